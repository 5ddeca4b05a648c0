"""The worker side of cross-validation: one fold of a spec with a ``cv:`` section.

The data kind knows nothing of folds. After ``data.load`` the engine's data component is
wrapped (``FoldedData``): train and eval are pooled (test stays aside), each row gets a fold
(stratified on a column if asked, with the cv seed), and fold i trains on the other folds
and evaluates on fold i. Each fold keeps its out-of-fold predictions as a
parquet artifact (``oof/fold{i}.parquet``, with the pooled row index) for ensembling later.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..context import Dataset, Predictions, RunContext
from ..errors import DataError


def assign_folds(n: int, k: int, shuffle: bool, seed: int, labels: Any = None) -> Any:
    """A fold number per row. Plain: contiguous blocks (of a permutation when shuffled).
    Stratified: each class dealt round-robin, continuing where the previous class stopped,
    so every fold gets its share of every class and small classes do not pile in fold 0."""
    import numpy as np

    if n < k:
        raise DataError(
            f"cv.folds: {k} folds need at least {k} rows, the data has {n} (train + eval)"
        )
    rng = np.random.default_rng(seed)
    folds = np.empty(n, dtype=np.int64)
    if labels is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        folds[order] = np.arange(n) * k // n
        return folds
    labels = np.asarray(labels)
    offset = 0
    for value in np.unique(labels):
        idx = np.flatnonzero(labels == value)
        if shuffle:
            idx = rng.permutation(idx)
        folds[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return folds


def _pool(dataset: Dataset) -> Any:
    parts = [dataset.splits[s] for s in ("train", "eval") if s in dataset.splits]
    if all(hasattr(p, "vstack") for p in parts):
        import polars as pl

        return pl.concat(parts, how="vertical_relaxed")
    if all(isinstance(p, list) for p in parts):
        return [row for p in parts for row in p]
    raise DataError(
        "cv: the data kind's splits must be Polars frames or lists to be pooled into folds "
        f"(got {', '.join(type(p).__name__ for p in parts)})"
    )


class FoldedData:
    """Wraps the spec's data component: ``load`` returns fold ``fold``'s train/eval."""

    def __init__(self, inner: Any, cv: dict[str, Any], fold: int, seed: int):
        self.inner, self.cv, self.fold, self.seed = inner, cv, fold, seed
        self.eval_rows: list[int] = []  # pooled row index of each eval row, for the OOF file

    def load(self, ctx: Any) -> Dataset:
        import numpy as np

        dataset = self.inner.load(ctx)
        pool = _pool(dataset)
        labels = None
        column = self.cv.get("stratify")
        if column:
            if not hasattr(pool, "columns") or column not in pool.columns:
                have = ", ".join(pool.columns) if hasattr(pool, "columns") else "not a table"
                raise DataError(
                    f"cv.stratify: column {column!r} is not in the data (columns: {have})"
                )
            labels = [str(v) for v in pool[column].to_list()]
        seed = self.cv.get("seed")
        folds = assign_folds(
            len(pool),
            int(self.cv["folds"]),
            bool(self.cv.get("shuffle", True)),
            self.seed if seed is None else int(seed),
            labels,
        )
        eval_idx = np.flatnonzero(folds == self.fold)
        train_idx = np.flatnonzero(folds != self.fold)
        self.eval_rows = eval_idx.tolist()
        splits = {"train": _take(pool, train_idx), "eval": _take(pool, eval_idx)}
        if "test" in dataset.splits:
            splits["test"] = dataset.splits["test"]
        meta = dict(dataset.meta, cv_fold=self.fold, cv_folds=int(self.cv["folds"]))
        return Dataset(splits, meta)


def _take(pool: Any, idx: Any) -> Any:
    if isinstance(pool, list):
        return [pool[i] for i in idx]
    return pool[idx.tolist()]


class FoldContext(RunContext):
    """Keeps the last eval-split predictions: after the run they are the out-of-fold ones."""

    oof: Predictions | None = None

    def evaluate(self, preds: Predictions, step: int | None = None) -> dict[str, float]:
        if preds.split == "eval":
            self.oof = preds
        return super().evaluate(preds, step)


def execute_fold(
    spec: Any, fold: int, run_id: str, sink: Any, work_dir: Path, device: str, local: bool
) -> dict[str, float]:
    """Run fold ``fold`` of ``spec`` (called by ``worker.run_pipeline``)."""
    from ..runner.engine import execute

    comp, params = spec.components["data"]
    made: list[FoldedData] = []

    def build(p: Any) -> FoldedData:
        made.append(FoldedData(comp.build(p), spec.data["cv"], fold, spec.seed))
        return made[-1]

    spec.components["data"] = (dataclasses.replace(comp, factory=build), params)
    ctx = FoldContext(run_id, spec.data, sink, work_dir, device=device, local=local)
    final = execute(spec, ctx)
    if ctx.oof is not None and made:
        save_oof(ctx, ctx.oof, made[0].eval_rows, fold)
    return final


def save_oof(ctx: RunContext, preds: Predictions, rows: list[int], fold: int) -> None:
    import numpy as np
    import polars as pl

    n = (
        len(preds.outputs)
        if preds.outputs is not None
        else (len(preds.scores) if preds.scores is not None else 0)
    )
    if n == 0:
        return
    cols: dict[str, Any] = {"row": rows if len(rows) == n else [None] * n, "fold": [fold] * n}
    for name in ("inputs", "references", "outputs"):
        values = getattr(preds, name)
        if values is not None and len(values) == n:
            cols[name[:-1]] = [None if v is None else str(v) for v in values]
    if preds.scores is not None:
        scores = np.asarray(preds.scores, dtype=np.float64)
        if scores.ndim == 2 and preds.labels and scores.shape[1] == len(preds.labels):
            cols.update({f"score_{label}": scores[:, j] for j, label in enumerate(preds.labels)})
        elif scores.ndim == 1:
            cols["score"] = scores
        else:
            cols["scores"] = scores.reshape(n, -1).tolist()
    path = ctx.work_dir / f"oof_fold{fold}.parquet"
    pl.DataFrame(cols).write_parquet(path)
    ctx.save_artifact(path, f"oof/fold{fold}.parquet", kind="predictions")
