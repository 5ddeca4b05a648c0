"""What a writer holds that is not in the file yet (``Pending``), how it goes in
(``write_pending``, one transaction) and how it survives in a journal file meanwhile."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

RUN_COLUMNS = {  # the columns of a new runs row, with their Arrow types
    "run_id": pa.string(),
    "name": pa.string(),
    "status": pa.string(),
    "created_at": pa.timestamp("us"),
    "ended_at": pa.timestamp("us"),
    "duration_s": pa.float64(),
    "description": pa.string(),
    "tags": pa.list_(pa.string()),
    "spec_path": pa.string(),
    "spec_text": pa.string(),
    "spec_resolved": pa.string(),
    "overrides": pa.list_(pa.string()),
    "spec_hash": pa.string(),
    "data_fingerprint": pa.string(),
    "seed": pa.int64(),
    "plugin_versions": pa.string(),
    "parent_id": pa.string(),
    "sweep_id": pa.string(),
    "mode": pa.string(),
    "host": pa.string(),
    "pid": pa.int64(),
    "error": pa.string(),
    "traceback": pa.string(),
    "trial_index": pa.int64(),
    "cv_fold": pa.int64(),
    "node_id": pa.string(),
    "node_ip": pa.string(),
    "node_host": pa.string(),
}
PARAM_TYPES = (
    pa.string(),
    pa.string(),
    pa.string(),
    pa.float64(),
    pa.int64(),
    pa.bool_(),
    pa.string(),
    pa.string(),
)
PARAM_NAMES = (
    "run_id",
    "path",
    "type",
    "value_num",
    "value_int",
    "value_bool",
    "value_str",
    "value_json",
)
METRIC_TYPES = (pa.string(), pa.string(), pa.string(), pa.int64(), pa.float64(), pa.timestamp("us"))
METRIC_NAMES = ("run_id", "split", "name", "step", "value", "ts")
SAMPLE_TYPES = (
    pa.string(),
    pa.string(),
    pa.int64(),
    pa.int32(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
)
SAMPLE_NAMES = ("run_id", "split", "step", "idx", "input", "reference", "output", "extra")


def _columns(n: int) -> tuple[list[Any], ...]:
    return tuple([] for _ in range(n))


@dataclass
class Pending:
    """Rows of every kind, in the order they must go in: new runs first, their updates last."""

    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # new rows
    params: list[Any] = field(default_factory=list)
    env: list[Any] = field(default_factory=list)
    metrics: tuple[list[Any], ...] = field(default_factory=lambda: _columns(6))
    samples: tuple[list[Any], ...] = field(default_factory=lambda: _columns(8))
    artifacts: list[Any] = field(default_factory=list)  # replace any row of the same (run, name)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # runs already in the file

    def rows(self) -> int:
        return (
            len(self.runs)
            + len(self.params)
            + len(self.env)
            + len(self.metrics[0])
            + len(self.samples[0])
            + len(self.artifacts)
            + len(self.updates)
        )

    def prepend(self, old: Pending) -> None:
        """Put ``old`` (a flush that failed) back in front of what came meanwhile."""
        self.runs = {**old.runs, **self.runs}
        self.params, self.env = old.params + self.params, old.env + self.env
        self.metrics = tuple(a + b for a, b in zip(old.metrics, self.metrics, strict=True))
        self.samples = tuple(a + b for a, b in zip(old.samples, self.samples, strict=True))
        self.artifacts = old.artifacts + self.artifacts
        for run_id, fields in self.updates.items():
            old.updates.setdefault(run_id, {}).update(fields)
        self.updates = old.updates

    # -- journal form: JSON, with timestamps tagged ---------------------------------
    def to_json(self) -> str:
        data = {
            "runs": self.runs,
            "params": self.params,
            "env": self.env,
            "metrics": self.metrics,
            "samples": self.samples,
            "artifacts": self.artifacts,
            "updates": self.updates,
        }
        return json.dumps(data, default=_encode, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Pending:
        data = json.loads(text, object_hook=_decode)
        return cls(
            runs=data["runs"],
            params=[tuple(p) for p in data["params"]],
            env=[tuple(e) for e in data["env"]],
            metrics=tuple(data["metrics"]),
            samples=tuple(data["samples"]),
            artifacts=[tuple(a) for a in data["artifacts"]],
            updates=data["updates"],
        )


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$ts": value.isoformat()}
    raise TypeError(f"cannot journal {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$ts" in obj:
        return dt.datetime.fromisoformat(obj["$ts"])
    # a timestamp inside a list (metrics' ts column) is decoded by the same hook
    return obj


def _arrow(names: tuple[str, ...], types: tuple[Any, ...], cols: Any) -> pa.Table:
    return pa.table({n: pa.array(c, t) for n, t, c in zip(names, types, cols, strict=True)})


def _insert(db: Any, table: str, data: pa.Table, by_name: bool = False) -> None:
    db.register("_specrun_new", data)
    try:
        db.execute(f"INSERT INTO {table} {'BY NAME ' if by_name else ''}SELECT * FROM _specrun_new")
    finally:
        db.unregister("_specrun_new")


def write_pending(db: Any, p: Pending) -> None:
    """Everything of ``p`` into the store (inside the caller's transaction)."""
    if p.runs:
        rows = list(p.runs.values())
        _insert(
            db,
            "runs",
            pa.table({c: pa.array([r.get(c) for r in rows], t) for c, t in RUN_COLUMNS.items()}),
            by_name=True,
        )
    if p.params:
        _insert(db, "params", _arrow(PARAM_NAMES, PARAM_TYPES, list(zip(*p.params, strict=True))))
    if p.env:
        db.executemany(
            "INSERT INTO environment (run_id, python, platform, host, cpu_count, gpus, git_commit, "
            "git_dirty, packages, provenance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            p.env,
        )
    if p.metrics[0]:
        db.register("_specrun_metrics", _arrow(METRIC_NAMES, METRIC_TYPES, p.metrics))
        try:
            db.execute("INSERT INTO metrics SELECT * FROM _specrun_metrics")
            # The newest value per metric; an older step never replaces a newer one.
            db.execute(
                """INSERT INTO metrics_final
                   SELECT run_id, split, name, max(step), arg_max(value, (step, ts)), max(ts)
                   FROM _specrun_metrics GROUP BY run_id, split, name
                   ON CONFLICT (run_id, split, name) DO UPDATE SET
                     value = CASE WHEN excluded.step >= step THEN excluded.value ELSE value END,
                     ts = CASE WHEN excluded.step >= step THEN excluded.ts ELSE ts END,
                     step = greatest(excluded.step, step)"""
            )
        finally:
            db.unregister("_specrun_metrics")
    if p.samples[0]:
        # one Arrow insert for the batch: executemany costs DuckDB ~0.1 ms a row
        _insert(db, "samples", _arrow(SAMPLE_NAMES, SAMPLE_TYPES, p.samples))
    for row in p.artifacts:
        db.execute("DELETE FROM artifacts WHERE run_id = ? AND name = ?", [row[0], row[1]])
        db.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?)", list(row))
    for run_id, fields in p.updates.items():
        fields = dict(fields)
        ended = fields.pop("_ended", None)
        cols = list(fields)
        sets = [f"{c} = ?" for c in cols]
        values = [fields[c] for c in cols]
        if ended is not None:
            sets.append("duration_s = date_diff('millisecond', created_at, ?) / 1000.0")
            values.append(ended)
        db.execute(f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ?", [*values, run_id])
