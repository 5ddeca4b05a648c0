"""`specrun tensorboard RUN... --out DIR`: stored runs as TensorBoard event files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .events import IMAGE_SUFFIXES, RunEvents, run_label, spec_markdown


def expand_refs(store: Any, refs: tuple[str, ...] | list[str]) -> list[str]:
    """Run ids for each reference: a run (id, prefix or name), or a sweep id (its trials)."""
    from specrun.errors import StoreError

    out: list[str] = []
    for ref in refs:
        try:
            found = [store.resolve_run_id(ref)]
        except StoreError:
            trials = store.runs(sweep=ref, last=None)
            if not trials.height:
                raise
            found = list(reversed(trials["run_id"].to_list()))
        out.extend(r for r in found if r not in out)
    return out


def role_of(store: Any, row: dict[str, Any]) -> str:
    if row.get("sweep_id"):
        return "trial"
    if row.get("cv_fold") is not None:
        return "fold"
    children = store.query(
        "SELECT count(*) AS n FROM runs WHERE parent_id = ? AND cv_fold IS NOT NULL",
        [row["run_id"]],
    )
    return "cv" if children["n"][0] else "run"


def export_run(store: Any, run_id: str, out: Path) -> Path:
    row = store.run(run_id)
    label = run_label(
        row["name"], run_id, role_of(store, row), row.get("sweep_id"), row.get("parent_id")
    )
    folder = out / label
    if folder.is_dir():  # exported again: the new file replaces the old, never doubles it
        for old in folder.glob("events.out.tfevents.*"):
            old.unlink()
    events = RunEvents(folder)
    try:
        metrics = store.metrics(run_id)
        start = _wall(row.get("created_at"))
        events.text("spec", spec_markdown(json.loads(row["spec_resolved"])), 0, start)
        by_step: dict[int, dict[str, float]] = {}
        wall: dict[int, float | None] = {}
        for split, name, step, value, ts in metrics.select(
            "split", "name", "step", "value", "ts"
        ).iter_rows():
            if value is not None:
                by_step.setdefault(step, {})[f"{split}/{name}"] = value
                wall[step] = max(filter(None, (wall.get(step), _wall(ts))), default=None)
        for step in sorted(by_step):
            events.scalars(by_step[step], step, wall[step])
        last = max(by_step, default=0)
        for art in store.artifacts(run_id).iter_rows(named=True):
            if Path(art["name"]).suffix.lower() in IMAGE_SUFFIXES:
                data = store.artifact_path(run_id, art["name"]).read_bytes()
                events.image(art["name"], data, last)
    finally:
        events.close()
    return folder


def _wall(ts: Any) -> float | None:
    return ts.timestamp() if hasattr(ts, "timestamp") else None


def export_runs(
    store_path: str | None, refs: tuple[str, ...] | list[str], out: str | Path
) -> list[Path]:
    import specrun

    store = specrun.open_store(store_path)
    return [export_run(store, run_id, Path(out)) for run_id in expand_refs(store, refs)]
