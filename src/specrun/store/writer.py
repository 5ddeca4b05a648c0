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
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .artifact_names import artifact_destination
from .connection import (
    StoreDiskFull,
    StoreLocked,
    artifact_root,
    disk_full,
    lock_wait_s,
    per_store,
    rollback,
    write_lease,
)
from .journal import Journal, merge_orphans, pid_alive, record_entry
from .pending import Pending, write_pending

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
        return (
            run_id,
            path,
            "int",
            float(value),
            value if abs(value) < 2**63 else None,
            None,
            None,
            json.dumps(value),
        )
    if isinstance(value, float):
        return (run_id, path, "float", value, None, None, None, json.dumps(value))
    if value is None:
        return (run_id, path, "null", None, None, None, None, "null")
    if isinstance(value, str):
        return (run_id, path, "str", None, None, None, value, json.dumps(value, ensure_ascii=False))
    kind = "list" if isinstance(value, list) else "dict"
    return (
        run_id,
        path,
        kind,
        None,
        None,
        None,
        None,
        json.dumps(value, ensure_ascii=False, default=str),
    )


class _Batch:
    """Everything the StoreWriters of one store in this process have not written yet.

    Runs, params, environment rows, metrics, samples, artifact rows and run updates wait
    here (``Pending``) and go into the file together, in one transaction, at most
    ``FLUSH_EVERY_S`` after the oldest of them (a thread sees to it), when a reader of this
    process opens the store, and when the process ends (``release_writes``). A run created
    and finished within one batch is inserted finished: no update at all. Opening,
    committing and updating cost about a millisecond each in DuckDB, so a batch of a
    hundred short runs costs what one did.

    Another process holding the file (a reader that stays) never fails a run: a flush that
    cannot get the file in ``ATTEMPT_WAIT_S`` keeps its rows, writes them to this process's
    journal (``journal.py``) and is tried again every ``FLUSH_EVERY_S / 4``.
    """

    FLUSH_EVERY_S = 1.0
    ATTEMPT_WAIT_S = 0.2  # a flush from the run's own thread: the run must not stall
    RETRY_WAIT_S = 1.5  # the flush thread's tries: a writer of another process holds ~1 s

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.RLock()  # guards the pending rows
        self.flushing = threading.Lock()  # one flush at a time; rows keep coming meanwhile
        self.pending = Pending()
        self.journal = Journal(path)
        self.since: float | None = None  # when the oldest pending write came
        self.last_flush = 0.0
        self.blocked_since: float | None = None  # the file was locked at the last try
        self.journaled_at = 0.0
        self.journal_cost = 0.0
        self.reconciled = False
        self._timer: threading.Thread | None = None

    def touch(self) -> None:
        if self.since is None:
            self.since = time.monotonic()
        self._ensure_timer()

    def _ensure_timer(self) -> None:
        if self._timer is None or not self._timer.is_alive():
            self._timer = threading.Thread(
                target=self._flush_when_due, name="specrun-store-batch", daemon=True
            )
            self._timer.start()

    def update(self, run_id: str, fields: dict[str, Any]) -> None:
        with self.lock:
            row = self.pending.runs.get(run_id)
            if row is not None:
                row.update(fields)
            else:
                self.pending.updates.setdefault(run_id, {}).update(fields)
            self.touch()

    def due(self) -> bool:
        """Flush now: the oldest pending write waited long enough, or nothing was written for
        a while (the first write after a quiet second goes out at once: a run that starts
        alone is in the file before its first step, so a kill -9 leaves it there). Never
        while the file is held by another process: the flush thread keeps trying then."""
        if self.since is None or self.blocked_since is not None:
            return False
        now = time.monotonic()
        return now - self.since >= self.FLUSH_EVERY_S or now - self.last_flush >= self.FLUSH_EVERY_S

    def pending_rows(self) -> int:
        return self.pending.rows()

    def _flush_when_due(self) -> None:
        while True:
            time.sleep(self.FLUSH_EVERY_S / 4)
            with self.lock:
                if self.since is None:
                    self._timer = None
                    return
                ripe = (
                    self.blocked_since is not None
                    or time.monotonic() - self.since >= self.FLUSH_EVERY_S
                )
            if ripe:
                try:
                    self.flush(self.RETRY_WAIT_S)
                except Exception as exc:  # noqa: BLE001 - retried by the next write or release
                    print(
                        f"specrun: could not write the run store {self.path} yet: {exc}",
                        file=sys.stderr,
                    )
                    time.sleep(self.FLUSH_EVERY_S)

    def flush(self, wait: float | None = None) -> bool:
        """Write every pending row; False when the file stayed locked for ``wait`` s (the rows
        are kept, and journaled). Other errors are raised, the rows kept."""
        with self.flushing:
            with self.lock:
                if self.since is None:
                    return True
                taken, since, entry = self.pending, self.since, self.journal.entry()
                self.pending, self.since, self.last_flush = Pending(), None, time.monotonic()
            try:
                with write_lease(self.path).connection(wait) as db:
                    if merge_orphans(db, self.path) or not self.reconciled:
                        _reconcile_dead(db)
                        self.reconciled = True
                    db.execute("BEGIN TRANSACTION")
                    try:
                        write_pending(db, taken)
                        if entry is not None:
                            record_entry(db, entry)
                        db.execute("COMMIT")
                    except BaseException:
                        rollback(db)
                        raise
            except StoreLocked:
                with self.lock:
                    self._put_back(taken, since)
                    first = self.blocked_since is None
                    self.blocked_since = self.blocked_since or time.monotonic()
                    self._journal(say=first)
                return False
            except BaseException as exc:
                with self.lock:
                    self._put_back(taken, since)
                full = disk_full(exc, self.path)
                if full is not None:
                    raise full from None
                raise
            with self.lock:
                if entry is not None:
                    self.journal.merged()
                if self.blocked_since is not None:
                    waited = time.monotonic() - self.blocked_since
                    self.blocked_since = None
                    print(
                        f"specrun: the run store {self.path} is free again: the writes that waited "
                        f"{waited:.0f}s are in it",
                        file=sys.stderr,
                    )
            return True

    def _put_back(self, taken: Pending, since: float) -> None:
        self.pending.prepend(taken)
        self.since = since if self.since is None else min(since, self.since)
        self._ensure_timer()

    def _journal(self, say: bool) -> None:
        """Rewrite this process's journal entry with every pending row: at most once a
        second, and never more than a tenth of the time (a large entry costs)."""
        now = time.monotonic()
        if not say and now - self.journaled_at < max(1.0, 10 * self.journal_cost):
            return
        try:
            path = self.journal.write(self.pending)
        except OSError as exc:  # a full disk, say: the rows stay in memory, retried
            print(
                f"specrun: could not journal the waiting writes in {self.journal.dir}: {exc}",
                file=sys.stderr,
            )
            self.journaled_at = now
            return
        self.journaled_at = time.monotonic()
        self.journal_cost = self.journaled_at - now
        if say:
            print(
                f"specrun: the run store {self.path} is held by another process (a reader that "
                f"stays open?): the run goes on; its writes wait in {path} and go in when the file "
                "is free",
                file=sys.stderr,
            )


def _reconcile_dead(db: Any) -> None:
    """Runs left 'running' by a driver on this host that no longer exists were killed
    without a chance to say so: mark them interrupted instead of running forever."""
    host = socket.gethostname()
    rows = db.execute(
        "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?", [host]
    ).fetchall()
    for run_id, pid in rows:
        if pid and not pid_alive(pid):
            db.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, error = ? WHERE run_id = ?",
                [
                    now(),
                    f"the driver process {pid} ended without recording an outcome (killed?)",
                    run_id,
                ],
            )


_batches: dict[str, _Batch] = {}
_batches_lock = threading.Lock()


def batch_for(path: Path) -> _Batch:
    batch: _Batch = per_store(_batches, _batches_lock, path, _Batch)
    return batch


def flush_pending(path: Path | None = None, final: bool = False) -> list[str]:
    """Write what this process holds for ``path`` (every store when None). Before a read, a
    short try (a reader of this process sees its own writes unless another process holds
    the file); ``final`` (the run ends, the process exits) waits ``lock_wait_s()`` and then
    leaves the rows in the journal, which the next writer of the store merges. Returns why
    rows could not be written or journaled (final only; each is printed too)."""
    lost: list[str] = []
    if path is None:
        targets = list(_batches.values())
    else:
        found = _batches.get(str(Path(path).resolve()))
        targets = [found] if found is not None else []
    for b in targets:
        try:
            if b.flush(lock_wait_s() if final else _Batch.ATTEMPT_WAIT_S) or not final:
                continue
        except StoreError as exc:
            if not final:
                raise
            print(f"specrun: could not write the run store: {exc}", file=sys.stderr)
            lost.append(f"could not write the run store: {exc}")
            continue
        with b.lock:
            try:
                where = b.journal.write(b.pending)
            except OSError as exc:
                print(
                    f"specrun: the run store {b.path} is still held by another process and its "
                    f"journal cannot be written ({exc}): this run's last writes are lost",
                    file=sys.stderr,
                )
                lost.append(
                    f"the run store {b.path} stayed held and the journal could not be written: {exc}"
                )
                continue
        print(
            f"specrun: the run store {b.path} is still held by another process: this run's last "
            f"writes are kept in {where} and go into the store with its next writer (the next "
            "`specrun run`)",
            file=sys.stderr,
        )
    return lost


class StoreWriter:
    """The driver's way into the store. Writes are batched per store and process (``_Batch``):
    they reach the file within a second, before any read of this process, and at exit."""

    def __init__(self, path: Path, flush_rows: int = 50_000):
        self.path = Path(path)
        self.flush_rows = flush_rows
        self.batch = batch_for(self.path)
        self.artifacts = artifact_root(self.path)

    def wait_for_store(self, say: Any = None) -> None:
        """Before a run starts: the file can be written (created, migrated, not damaged).
        Held by another process: say so (``say(message)``) and wait ``lock_wait_s()``; then
        ``StoreLocked``, before anything ran."""
        lease = write_lease(self.path)
        try:
            with lease.connection(wait=min(2.0, lock_wait_s())):
                return
        except StoreLocked:
            if say is None:
                raise
        say(
            f"waiting for the run store {self.path}: another process holds it (a notebook's "
            f"duckdb.connect, a long query?); the run starts when it is free (at most "
            f"{lock_wait_s():.0f}s: SPECRUN_STORE_LOCK_WAIT)"
        )
        with lease.connection(wait=lock_wait_s()):
            pass

    # -- runs -------------------------------------------------------------------
    def create_run(
        self,
        run_id: str,
        spec: Any,
        mode: str,
        parent_id: str | None = None,
        sweep_id: str | None = None,
        env: dict[str, Any] | None = None,
        plugin_versions: dict[str, str] | None = None,
    ) -> None:
        data = spec.data
        params = {
            p: _param_row(run_id, p, v) for p, v in flatten_params(data) if p
        }  # one row per path
        row = {
            "run_id": run_id,
            "name": spec.name,
            "status": "running",
            "created_at": now(),
            "description": data.get("description", ""),
            "tags": list(data.get("tags") or []),
            "spec_path": spec.path,
            "spec_text": spec.text,
            "spec_resolved": spec.stored_json(),
            "overrides": list(spec.overrides or []),
            "spec_hash": spec.hash,
            "seed": spec.seed,
            "plugin_versions": json.dumps(plugin_versions or {}),
            "parent_id": parent_id,
            "sweep_id": sweep_id,
            "mode": mode,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        with self.batch.lock:
            pending = self.batch.pending
            if run_id in pending.runs:
                raise ValueError(f"run {run_id} was created twice")
            pending.runs[run_id] = row
            pending.params.extend(params.values())
            if env is not None:
                pending.env.append(
                    (
                        run_id,
                        env.get("python"),
                        env.get("platform"),
                        env.get("host"),
                        env.get("cpu_count"),
                        env.get("gpus", []),
                        env.get("git_commit"),
                        env.get("git_dirty"),
                        json.dumps(env.get("packages", {})),
                        json.dumps(env["provenance"]) if env.get("provenance") else None,
                    )
                )
            self.batch.touch()
        self._maybe_flush()

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set columns of a run's row (node, trial index, fingerprint ...)."""
        self.batch.update(run_id, fields)
        self._maybe_flush()

    def set_fingerprint(self, run_id: str, fingerprint: str) -> None:
        self.update_run(run_id, data_fingerprint=fingerprint)

    def finish_run(
        self, run_id: str, status: str, error: str | None = None, traceback: str | None = None
    ) -> None:
        ended = now()
        with self.batch.lock:
            row = self.batch.pending.runs.get(run_id)
            if row is not None:  # never written yet: it goes in finished
                row.update(
                    status=status,
                    ended_at=ended,
                    error=error,
                    traceback=traceback,
                    duration_s=(ended - row["created_at"]).total_seconds(),
                )
                self.batch.touch()
            else:
                self.batch.update(
                    run_id,
                    {
                        "status": status,
                        "ended_at": ended,
                        "error": error,
                        "traceback": traceback,
                        "_ended": ended,
                    },
                )
        self._maybe_flush()

    # -- metrics ------------------------------------------------------------------
    def log_metrics(
        self, run_id: str, split: str, values: dict[str, float | None], step: int
    ) -> None:
        ts = now()
        step = int(step)
        with self.batch.lock:
            runs, splits, names, steps, vals, tss = self.batch.pending.metrics
            for name, value in values.items():
                runs.append(run_id)
                splits.append(split)
                names.append(name)
                steps.append(step)
                vals.append(None if value is None else float(value))
                tss.append(ts)
            self.batch.touch()
        self._maybe_flush()

    def flush(self, wait: float | None = None) -> bool:
        """Write everything pending now; False if another process held the file for ``wait``
        seconds (the rows wait, journaled)."""
        return self.batch.flush(wait)

    def _maybe_flush(self) -> None:
        batch = self.batch
        if batch.due() or (batch.blocked_since is None and batch.pending_rows() >= self.flush_rows):
            batch.flush(batch.ATTEMPT_WAIT_S)

    # -- samples and artifacts ---------------------------------------------------
    def log_samples(
        self, run_id: str, split: str, step: int | None, rows: list[dict[str, Any]], start: int = 0
    ) -> None:
        if not rows:
            return
        step = None if step is None else int(step)
        with self.batch.lock:  # batched like metrics: one Arrow insert per flush
            cols = self.batch.pending.samples
            for i, r in enumerate(rows):
                extra = {
                    k: v for k, v in r.items() if k not in ("input", "reference", "output", "idx")
                }
                for col, value in zip(
                    cols,
                    (
                        run_id,
                        split,
                        step,
                        int(r.get("idx", start + i)),
                        _text(r.get("input")),
                        _text(r.get("reference")),
                        _text(r.get("output")),
                        json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
                    ),
                    strict=True,
                ):
                    col.append(value)
            self.batch.touch()
        self._maybe_flush()

    def save_artifact(
        self, run_id: str, name: str, data: bytes | Path, kind: str | None = None
    ) -> dict[str, Any]:
        """Copy bytes (sent by a worker) or a local file into the run's folder of the store's
        artifact root; a name that would leave that folder is a ``ValueError``."""
        name, dest = artifact_destination(self.artifacts, run_id, name)
        rel = Path(run_id) / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        try:
            if isinstance(data, (bytes, bytearray)):
                tmp.write_bytes(data)
            else:
                shutil.copyfile(data, tmp)
            digest = hashlib.sha256()
            with open(tmp, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)  # no half-written file stays behind
            if disk_full(exc, dest) is not None:  # name the store's folder, not the source file
                raise StoreDiskFull(
                    f"no space left on device at {dest.parent}: the artifact {name!r} "
                    "did not fit; free space there (or choose another store with "
                    "--store) and run again"
                ) from None
            raise
        size = dest.stat().st_size
        info = {
            "run_id": run_id,
            "name": name,
            "kind": kind,
            "path": rel.as_posix(),
            "sha256": digest.hexdigest(),
            "bytes": size,
            "abs_path": str(dest),
        }
        with self.batch.lock:  # its row goes with the run's other writes
            self.batch.pending.artifacts.append(
                (run_id, name, kind, rel.as_posix(), info["sha256"], size, now())
            )
            self.batch.touch()
        self._maybe_flush()
        return info


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ||| ".join(str(v) for v in value)
    return str(value)

    return True
