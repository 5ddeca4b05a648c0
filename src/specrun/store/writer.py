"""The single writer of the run store. Only the driver process uses it.

Metrics are buffered and flushed in batches (at least every ``flush_every_s``) through a
connection held only for the flush, so that readers in other processes get their turn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from .connection import artifact_root, write_lease

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


class StoreWriter:
    def __init__(self, path: Path, flush_every_s: float = 1.0, flush_rows: int = 50_000):
        self.path = Path(path)
        self.flush_every_s = flush_every_s
        self.flush_rows = flush_rows
        # Columns, not row tuples: a million points cost a million appends, not tuples.
        self._cols: tuple[list[Any], ...] = ([], [], [], [], [], [])
        self._last_flush = time.monotonic()
        self._reconciled = False
        self.artifacts = artifact_root(self.path)

    # -- runs -------------------------------------------------------------------
    def create_run(self, run_id: str, spec: Any, mode: str, parent_id: str | None = None,
                   sweep_id: str | None = None, env: dict[str, Any] | None = None,
                   plugin_versions: dict[str, str] | None = None) -> None:
        data = spec.data
        params = [_param_row(run_id, p, v) for p, v in flatten_params(data) if p]
        with write_lease(self.path).connection() as db:
            if not self._reconciled:
                self._reconcile_dead(db)
                self._reconciled = True
            db.execute("BEGIN TRANSACTION")
            db.execute(
                """INSERT INTO runs (run_id, name, status, created_at, description, tags, spec_path, spec_text,
                   spec_resolved, overrides, spec_hash, seed, plugin_versions, parent_id, sweep_id, mode, host, pid)
                   VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [run_id, spec.name, now(), data.get("description", ""), data.get("tags", []), spec.path,
                 spec.text, spec.canonical(), spec.overrides, spec.hash, spec.seed,
                 json.dumps(plugin_versions or {}), parent_id, sweep_id, mode, socket.gethostname(), os.getpid()],
            )
            if params:
                # One Arrow insert: executemany costs a round trip per row.
                cols = list(zip(*params, strict=True))
                table = pa.table({
                    "run_id": pa.array(cols[0], pa.string()), "path": pa.array(cols[1], pa.string()),
                    "type": pa.array(cols[2], pa.string()), "value_num": pa.array(cols[3], pa.float64()),
                    "value_int": pa.array(cols[4], pa.int64()), "value_bool": pa.array(cols[5], pa.bool_()),
                    "value_str": pa.array(cols[6], pa.string()), "value_json": pa.array(cols[7], pa.string()),
                })
                db.register("new_params", table)
                try:
                    db.execute("INSERT INTO params SELECT * FROM new_params")
                finally:
                    db.unregister("new_params")
            if env is not None:
                db.execute(
                    "INSERT INTO environment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, env.get("python"), env.get("platform"), env.get("host"), env.get("cpu_count"),
                     env.get("gpus", []), env.get("git_commit"), env.get("git_dirty"),
                     json.dumps(env.get("packages", {}))],
                )
            db.execute("COMMIT")

    def set_fingerprint(self, run_id: str, fingerprint: str) -> None:
        with write_lease(self.path).connection() as db:
            db.execute("UPDATE runs SET data_fingerprint = ? WHERE run_id = ?", [fingerprint, run_id])

    def finish_run(self, run_id: str, status: str, error: str | None = None, traceback: str | None = None) -> None:
        with write_lease(self.path).connection() as db:
            self._flush_into(db)
            db.execute(
                """UPDATE runs SET status = ?, ended_at = ?, error = ?, traceback = ?,
                   duration_s = date_diff('millisecond', created_at, ?) / 1000.0 WHERE run_id = ?""",
                [status, now(), error, traceback, now(), run_id],
            )

    @staticmethod
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

    # -- metrics ------------------------------------------------------------------
    def log_metrics(self, run_id: str, split: str, values: dict[str, float | None], step: int) -> None:
        ts = now()
        runs, splits, names, steps, vals, tss = self._cols
        step = int(step)
        for name, value in values.items():
            runs.append(run_id)
            splits.append(split)
            names.append(name)
            steps.append(step)
            vals.append(None if value is None else float(value))
            tss.append(ts)
        if len(runs) >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_every_s:
            self.flush()

    def flush(self) -> None:
        if not self._cols[0]:
            self._last_flush = time.monotonic()
            return
        with write_lease(self.path).connection() as db:
            self._flush_into(db)

    def _flush_into(self, db: Any) -> None:
        self._last_flush = time.monotonic()
        if not self._cols[0]:
            return
        cols, self._cols = self._cols, ([], [], [], [], [], [])
        table = pa.table(
            {
                "run_id": pa.array(cols[0], pa.string()),
                "split": pa.array(cols[1], pa.string()),
                "name": pa.array(cols[2], pa.string()),
                "step": pa.array(cols[3], pa.int64()),
                "value": pa.array(cols[4], pa.float64()),
                "ts": pa.array(cols[5], pa.timestamp("us")),
            }
        )
        db.register("new_metrics", table)
        try:
            db.execute("INSERT INTO metrics SELECT * FROM new_metrics")
        finally:
            db.unregister("new_metrics")

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
        """Copy bytes (sent by a worker) or a local file into the store's artifact root."""
        rel = Path(run_id) / name
        dest = self.artifacts / rel
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
