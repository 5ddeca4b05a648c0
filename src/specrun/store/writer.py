"""The single writer of the run store. Only the driver process uses it.

Writes of every run of the process are batched (``_Batch``) and go into the file in one
transaction at most a second apart, through a connection held only for the flush, so that
readers in other processes get their turn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from .artifact_names import artifact_destination
from .connection import artifact_root, per_store, write_lease

UTC = dt.UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(tzinfo=None)


def flatten_params(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """{'trainer': {'lr': 1e-3}, 'augment': [{'kind': 'eda'}]} -> [('trainer.lr', 1e-3), ('augment[0].kind', 'eda')]."""
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.extend(flatten_params(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(data, list) and data and any(isinstance(x, (dict, list)) for x in data):
        for i, v in enumerate(data):
            out.extend(flatten_params(v, f"{prefix}[{i}]"))
    else:
        out.append((prefix, data))
    return out


def _param_row(run_id: str, path: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, bool):
        return (run_id, path, "bool", None, None, value, None, json.dumps(value))
    if isinstance(value, int):
        return (run_id, path, "int", float(value), value if abs(value) < 2**63 else None, None, None, json.dumps(value))
    if isinstance(value, float):
        return (run_id, path, "float", value, None, None, None, json.dumps(value))
    if value is None:
        return (run_id, path, "null", None, None, None, None, "null")
    if isinstance(value, str):
        return (run_id, path, "str", None, None, None, value, json.dumps(value, ensure_ascii=False))
    kind = "list" if isinstance(value, list) else "dict"
    return (run_id, path, kind, None, None, None, None, json.dumps(value, ensure_ascii=False, default=str))


RUN_COLUMNS = {  # the columns of a new runs row, with their Arrow types
    "run_id": pa.string(), "name": pa.string(), "status": pa.string(), "created_at": pa.timestamp("us"),
    "ended_at": pa.timestamp("us"), "duration_s": pa.float64(), "description": pa.string(),
    "tags": pa.list_(pa.string()), "spec_path": pa.string(), "spec_text": pa.string(),
    "spec_resolved": pa.string(), "overrides": pa.list_(pa.string()), "spec_hash": pa.string(),
    "data_fingerprint": pa.string(), "seed": pa.int64(), "plugin_versions": pa.string(),
    "parent_id": pa.string(), "sweep_id": pa.string(), "mode": pa.string(), "host": pa.string(),
    "pid": pa.int64(), "error": pa.string(), "traceback": pa.string(), "trial_index": pa.int64(),
    "cv_fold": pa.int64(), "node_id": pa.string(), "node_ip": pa.string(), "node_host": pa.string(),
}
PARAM_TYPES = (pa.string(), pa.string(), pa.string(), pa.float64(), pa.int64(), pa.bool_(), pa.string(), pa.string())
PARAM_NAMES = ("run_id", "path", "type", "value_num", "value_int", "value_bool", "value_str", "value_json")
METRIC_TYPES = (pa.string(), pa.string(), pa.string(), pa.int64(), pa.float64(), pa.timestamp("us"))
METRIC_NAMES = ("run_id", "split", "name", "step", "value", "ts")


class _Batch:
    """Everything the StoreWriters of one store in this process have not written yet.

    Runs, params, environment rows, metrics and run updates wait here and go into the file
    together, in one transaction, at most ``FLUSH_EVERY_S`` after the oldest of them (a
    thread sees to it), when a reader of this process opens the store, and when the process
    ends (``release_writes``). A run created and finished within one batch is inserted
    finished: no update at all. Opening, committing and updating cost about a millisecond
    each in DuckDB, so a batch of a hundred short runs costs what one did.
    """

    FLUSH_EVERY_S = 1.0

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.RLock()
        self.runs: dict[str, dict[str, Any]] = {}  # new rows, not yet in the file
        self.params: list[tuple[Any, ...]] = []
        self.env: list[tuple[Any, ...]] = []
        self.metrics: tuple[list[Any], ...] = ([], [], [], [], [], [])
        self.updates: dict[str, dict[str, Any]] = {}  # runs already in the file
        self.since: float | None = None  # when the oldest pending write came
        self.last_flush = 0.0
        self.reconciled = False
        self._timer: threading.Thread | None = None

    def touch(self) -> None:
        if self.since is None:
            self.since = time.monotonic()
            if self._timer is None or not self._timer.is_alive():
                self._timer = threading.Thread(target=self._flush_when_due, name="specrun-store-batch",
                                               daemon=True)
                self._timer.start()

    def update(self, run_id: str, fields: dict[str, Any]) -> None:
        with self.lock:
            row = self.runs.get(run_id)
            if row is not None:
                row.update(fields)
            else:
                self.updates.setdefault(run_id, {}).update(fields)
            self.touch()

    def due(self) -> bool:
        """Flush now: the oldest pending write waited long enough, or nothing was written for
        a while (the first write after a quiet second goes out at once: a run that starts
        alone is in the file before its first step, so a kill -9 leaves it there)."""
        if self.since is None:
            return False
        now = time.monotonic()
        return now - self.since >= self.FLUSH_EVERY_S or now - self.last_flush >= self.FLUSH_EVERY_S

    def pending(self) -> bool:
        return self.since is not None

    def _flush_when_due(self) -> None:
        while True:
            time.sleep(self.FLUSH_EVERY_S / 4)
            with self.lock:
                if self.since is None:
                    self._timer = None
                    return
                if time.monotonic() - self.since >= self.FLUSH_EVERY_S:
                    try:
                        self.flush()
                    except Exception as exc:  # noqa: BLE001 - retried by the next write or release
                        import sys

                        print(f"specrun: could not write the run store {self.path} yet: {exc}", file=sys.stderr)

    def flush(self) -> None:
        with self.lock:
            if self.since is None:
                return
            runs, params, env, metrics, updates = self.runs, self.params, self.env, self.metrics, self.updates
            self.runs, self.params, self.env, self.updates = {}, [], [], {}
            self.metrics = ([], [], [], [], [], [])
            self.since, self.last_flush = None, time.monotonic()
            try:
                with write_lease(self.path).connection() as db:
                    if not self.reconciled:
                        _reconcile_dead(db)
                        self.reconciled = True
                    db.execute("BEGIN TRANSACTION")
                    try:
                        _write_batch(db, runs, params, env, metrics, updates)
                        db.execute("COMMIT")
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
            except BaseException:
                # Nothing was written: put it back in front of what came meanwhile.
                self.runs = {**runs, **self.runs}
                self.params, self.env = params + self.params, env + self.env
                self.metrics = tuple(old + new for old, new in zip(metrics, self.metrics, strict=True))
                for run_id, fields in self.updates.items():
                    updates.setdefault(run_id, {}).update(fields)
                self.updates = updates
                self.touch()
                raise


def _arrow(names: tuple[str, ...], types: tuple[Any, ...], cols: Any) -> pa.Table:
    return pa.table({n: pa.array(c, t) for n, t, c in zip(names, types, cols, strict=True)})


def _insert(db: Any, table: str, data: pa.Table, by_name: bool = False) -> None:
    db.register("_specrun_new", data)
    try:
        db.execute(f"INSERT INTO {table} {'BY NAME ' if by_name else ''}SELECT * FROM _specrun_new")
    finally:
        db.unregister("_specrun_new")


def _write_batch(db: Any, runs: dict[str, dict[str, Any]], params: list[tuple[Any, ...]],
                 env: list[tuple[Any, ...]], metrics: tuple[list[Any], ...],
                 updates: dict[str, dict[str, Any]]) -> None:
    if runs:
        rows = list(runs.values())
        _insert(db, "runs", pa.table({c: pa.array([r.get(c) for r in rows], t) for c, t in RUN_COLUMNS.items()}),
                by_name=True)
    if params:
        _insert(db, "params", _arrow(PARAM_NAMES, PARAM_TYPES, list(zip(*params, strict=True))))
    if env:
        db.executemany("INSERT INTO environment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", env)
    if metrics[0]:
        db.register("_specrun_metrics", _arrow(METRIC_NAMES, METRIC_TYPES, metrics))
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
    for run_id, fields in updates.items():
        fields = dict(fields)
        ended = fields.pop("_ended", None)
        cols = list(fields)
        sets = [f"{c} = ?" for c in cols]
        values = [fields[c] for c in cols]
        if ended is not None:
            sets.append("duration_s = date_diff('millisecond', created_at, ?) / 1000.0")
            values.append(ended)
        db.execute(f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ?", [*values, run_id])


def _reconcile_dead(db: Any) -> None:
    """Runs left 'running' by a driver on this host that no longer exists were killed
    without a chance to say so: mark them interrupted instead of running forever."""
    host = socket.gethostname()
    rows = db.execute("SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?", [host]).fetchall()
    for run_id, pid in rows:
        if pid and not _pid_alive(pid):
            db.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, error = ? WHERE run_id = ?",
                [now(), f"the driver process {pid} ended without recording an outcome (killed?)", run_id],
            )


_batches: dict[str, _Batch] = {}
_batches_lock = threading.Lock()


def batch_for(path: Path) -> _Batch:
    batch: _Batch = per_store(_batches, _batches_lock, path, _Batch)
    return batch


def flush_pending(path: Path | None = None) -> None:
    """Write what this process holds for ``path`` (every store when None)."""
    if path is None:
        targets = list(_batches.values())
    else:
        found = _batches.get(str(Path(path).resolve()))
        targets = [found] if found is not None else []
    for b in targets:
        b.flush()


class StoreWriter:
    """The driver's way into the store. Writes are batched per store and process (``_Batch``):
    they reach the file within a second, before any read of this process, and at exit."""

    def __init__(self, path: Path, flush_rows: int = 50_000):
        self.path = Path(path)
        self.flush_rows = flush_rows
        self.batch = batch_for(self.path)
        self.artifacts = artifact_root(self.path)

    # -- runs -------------------------------------------------------------------
    def create_run(self, run_id: str, spec: Any, mode: str, parent_id: str | None = None,
                   sweep_id: str | None = None, env: dict[str, Any] | None = None,
                   plugin_versions: dict[str, str] | None = None) -> None:
        data = spec.data
        params = {p: _param_row(run_id, p, v) for p, v in flatten_params(data) if p}  # one row per path
        row = {"run_id": run_id, "name": spec.name, "status": "running", "created_at": now(),
               "description": data.get("description", ""), "tags": list(data.get("tags") or []),
               "spec_path": spec.path, "spec_text": spec.text, "spec_resolved": spec.stored_json(),
               "overrides": list(spec.overrides or []), "spec_hash": spec.hash, "seed": spec.seed,
               "plugin_versions": json.dumps(plugin_versions or {}), "parent_id": parent_id,
               "sweep_id": sweep_id, "mode": mode, "host": socket.gethostname(), "pid": os.getpid()}
        with self.batch.lock:
            if run_id in self.batch.runs:
                raise ValueError(f"run {run_id} was created twice")
            self.batch.runs[run_id] = row
            self.batch.params.extend(params.values())
            if env is not None:
                self.batch.env.append(
                    (run_id, env.get("python"), env.get("platform"), env.get("host"), env.get("cpu_count"),
                     env.get("gpus", []), env.get("git_commit"), env.get("git_dirty"),
                     json.dumps(env.get("packages", {}))))
            self.batch.touch()
        self._maybe_flush()

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set columns of a run's row (node, trial index, fingerprint ...)."""
        self.batch.update(run_id, fields)
        self._maybe_flush()

    def set_fingerprint(self, run_id: str, fingerprint: str) -> None:
        self.update_run(run_id, data_fingerprint=fingerprint)

    def finish_run(self, run_id: str, status: str, error: str | None = None, traceback: str | None = None) -> None:
        ended = now()
        with self.batch.lock:
            row = self.batch.runs.get(run_id)
            if row is not None:  # never written yet: it goes in finished
                row.update(status=status, ended_at=ended, error=error, traceback=traceback,
                           duration_s=(ended - row["created_at"]).total_seconds())
                self.batch.touch()
            else:
                self.batch.update(run_id, {"status": status, "ended_at": ended, "error": error,
                                           "traceback": traceback, "_ended": ended})
        self._maybe_flush()

    # -- metrics ------------------------------------------------------------------
    def log_metrics(self, run_id: str, split: str, values: dict[str, float | None], step: int) -> None:
        ts = now()
        step = int(step)
        with self.batch.lock:
            runs, splits, names, steps, vals, tss = self.batch.metrics
            for name, value in values.items():
                runs.append(run_id)
                splits.append(split)
                names.append(name)
                steps.append(step)
                vals.append(None if value is None else float(value))
                tss.append(ts)
            self.batch.touch()
            full = len(runs) >= self.flush_rows
        if full:
            self.flush()
        else:
            self._maybe_flush()

    def flush(self) -> None:
        self.batch.flush()

    def _maybe_flush(self) -> None:
        if self.batch.due():
            self.batch.flush()

    # -- samples and artifacts ---------------------------------------------------
    def log_samples(self, run_id: str, split: str, step: int | None, rows: list[dict[str, Any]], start: int = 0) -> None:
        if not rows:
            return
        vals = []
        for i, r in enumerate(rows):
            extra = {k: v for k, v in r.items() if k not in ("input", "reference", "output", "idx")}
            vals.append((run_id, split, step, int(r.get("idx", start + i)), _text(r.get("input")),
                         _text(r.get("reference")), _text(r.get("output")),
                         json.dumps(extra, ensure_ascii=False, default=str) if extra else None))
        with write_lease(self.path).connection() as db:
            db.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?)", vals)

    def save_artifact(self, run_id: str, name: str, data: bytes | Path, kind: str | None = None) -> dict[str, Any]:
        """Copy bytes (sent by a worker) or a local file into the run's folder of the store's
        artifact root; a name that would leave that folder is a ``ValueError``."""
        name, dest = artifact_destination(self.artifacts, run_id, name)
        rel = Path(run_id) / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        if isinstance(data, (bytes, bytearray)):
            tmp.write_bytes(data)
        else:
            shutil.copyfile(data, tmp)
        digest = hashlib.sha256()
        with open(tmp, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        os.replace(tmp, dest)
        size = dest.stat().st_size
        info = {"run_id": run_id, "name": name, "kind": kind, "path": rel.as_posix(),
                "sha256": digest.hexdigest(), "bytes": size, "abs_path": str(dest)}
        with write_lease(self.path).connection() as db:
            db.execute("DELETE FROM artifacts WHERE run_id = ? AND name = ?", [run_id, name])
            db.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [run_id, name, kind, rel.as_posix(), info["sha256"], size, now()])
        return info


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ||| ".join(str(v) for v in value)
    return str(value)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
