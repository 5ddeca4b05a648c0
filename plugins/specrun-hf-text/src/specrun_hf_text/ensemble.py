"""``ensemble`` (a model that trains itself): the weighted average of the logits that
earlier classifier runs stored (``predictions/<split>_logits.parquet``), aligned by row
id, scored and recorded as a run of its own. A run that stored no logits but has child
runs (the folds of a ``cv:`` parent) stands for its finished children."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from specrun import DataError, Dataset, Predictions

from .classification_report import CLASSES_ARTIFACT, LOGITS_ARTIFACT, record_split
from .hf_env import resolve_store


@dataclass
class Member:
    run_id: str
    name: str
    weight: float


@dataclass
class EnsembleModel:
    members: list[Member]
    classes: list[str]
    store: Any
    frames: dict[str, list[Any]] = field(default_factory=dict)  # split -> member frames, aligned


def _artifact_names(store: Any, run_id: str) -> set[str]:
    return set(store.artifacts(run_id)["name"].to_list())


def resolve_members(
    store: Any, refs: list[str], weights: list[float] | None, expand_children: bool
) -> list[Member]:
    members: list[Member] = []
    for ref, weight in zip(refs, weights or [1.0] * len(refs), strict=True):
        row = store.run(ref)  # StoreError (a user error) for an unknown id or name
        run_id = row["run_id"]
        if any(
            n.startswith("predictions/") and n.endswith("_logits.parquet")
            for n in _artifact_names(store, run_id)
        ):
            if row["status"] != "finished":
                raise DataError(
                    f"ensemble: run {ref} ({row['name']}) is {row['status']}, not finished"
                )
            members.append(Member(run_id, row["name"], weight))
            continue
        children = (
            store.query(
                "SELECT run_id, name FROM runs WHERE parent_id = ? AND status = 'finished' "
                "ORDER BY created_at",
                [run_id],
            )
            if expand_children
            else None
        )
        kids = (
            []
            if children is None
            else [
                (r["run_id"], r["name"])
                for r in children.iter_rows(named=True)
                if CLASSES_ARTIFACT in _artifact_names(store, r["run_id"])
            ]
        )
        if not kids:
            raise DataError(
                f"ensemble: run {ref} ({row['name']}, model kind "
                f"{_model_kind(row)!r}) stored no predictions/<split>_logits.parquet"
                + (" and has no finished child runs that did" if expand_children else "")
                + ": ensembles are built from hf_classifier_trainer runs with save_logits: true"
            )
        members.extend(Member(kid, name, weight / len(kids)) for kid, name in kids)
    return members


def _model_kind(row: dict[str, Any]) -> str:
    spec = row.get("spec_resolved")
    spec = json.loads(spec) if isinstance(spec, str) else (spec or {})
    return (spec.get("model") or {}).get("kind", "?")


def _load_split(
    store: Any, members: list[Member], split: str, data_ids: list[str] | None
) -> list[Any]:
    import polars as pl

    frames = []
    for m in members:
        name = LOGITS_ARTIFACT.format(split=split)
        if name not in _artifact_names(store, m.run_id):
            raise DataError(f"ensemble: member run {m.run_id} ({m.name}) stored no {name}")
        frames.append(pl.read_parquet(store.artifact_path(m.run_id, name)))
    order = data_ids if data_ids is not None else frames[0]["id"].to_list()
    wanted = set(order)
    aligned = []
    for m, f in zip(members, frames, strict=True):
        have = set(f["id"].to_list())
        missing = wanted - have
        if missing:
            raise DataError(
                f"ensemble: member run {m.run_id} ({m.name}) has no {split} predictions for "
                f"{len(missing)} of {len(wanted)} rows (e.g. id {sorted(missing)[0]!r}): the "
                "members and the ensemble must use the same data section and seed"
            )
        aligned.append(
            pl.DataFrame({"id": order}).join(f, on="id", how="left", maintain_order="left")
        )
    return aligned


class Ensemble:
    def __init__(self, params: Any):
        self.p = params

    def build(self, ctx: Any, data: Dataset) -> EnsembleModel:
        import specrun

        store = specrun.open_store(resolve_store(self.p.store))
        members = resolve_members(store, self.p.runs, self.p.weights, self.p.expand_children)
        classes = None
        for m in members:
            got = json.loads(
                store.artifact_path(m.run_id, CLASSES_ARTIFACT).read_text(encoding="utf-8")
            )
            if classes is not None and got != classes:
                raise DataError(
                    f"ensemble: member run {m.run_id} has classes {got}, others {classes}"
                )
            classes = got
        model = EnsembleModel(members, classes or [], store)
        ctx.log_metrics({"members": float(len(members))}, step=0, split="train")
        ctx.log(
            f"ensemble of {len(members)} runs: "
            + ", ".join(f"{m.run_id}×{m.weight:.3g}" for m in members)
        )
        return model

    def fit(self, ctx: Any, model: EnsembleModel, data: Dataset) -> EnsembleModel:
        return model  # nothing to train: the members were trained by their own runs

    def predict(
        self, ctx: Any, model: EnsembleModel, data: Dataset, split: str
    ) -> Predictions | None:
        import numpy as np

        if split not in self.p.splits:
            return None
        frame = data[split]
        data_ids = (
            [str(i) for i in frame[self.p.id].to_list()] if self.p.id in frame.columns else None
        )
        members = _load_split(model.store, model.members, split, data_ids)
        k = len(model.classes)
        weights = np.array([m.weight for m in model.members], dtype=np.float64)
        weights /= weights.sum()
        total = np.zeros((members[0].height, k), dtype=np.float64)
        member_acc = []
        labels = [str(y) for y in members[0]["label"].to_list()]
        for w, f in zip(weights, members, strict=True):
            logits = f.select([f"logit_{j}" for j in range(k)]).to_numpy().astype(np.float64)
            member_acc.append(
                float((logits.argmax(1) == _label_index(labels, model.classes)).mean())
            )
            if self.p.average == "probs":
                logits = np.exp(logits - logits.max(1, keepdims=True))
                logits /= logits.sum(1, keepdims=True)
            total += w * logits
        # Single members against the ensemble: what averaging bought.
        ctx.log_metrics(
            {
                "member_accuracy_mean": float(np.mean(member_acc)),
                "member_accuracy_best": float(np.max(member_acc)),
                "member_accuracy_worst": float(np.min(member_acc)),
            },
            split=split,
        )
        ids = members[0]["id"].to_list()
        # Texts line up with the members' rows only when the rows were aligned to the data.
        aligned = data_ids is not None and "text" in frame.columns
        texts = [str(t) for t in frame["text"].to_list()] if aligned else None
        record_split(
            ctx,
            split,
            ids,
            labels,
            total.astype(np.float32),
            model.classes,
            inputs=texts,
            samples=self.p.samples,
        )
        outputs = [model.classes[j] for j in total.argmax(1)]
        return Predictions(
            split,
            outputs=outputs,
            references=labels,
            inputs=texts,
            scores=total,
            labels=model.classes,
            extra={"ids": ids},
        )


def _label_index(labels: list[str], classes: list[str]) -> Any:
    import numpy as np

    index = {c: i for i, c in enumerate(classes)}
    return np.array([index.get(y, -1) for y in labels])
