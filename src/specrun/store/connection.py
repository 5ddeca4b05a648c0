"""Opening the DuckDB file briefly, with retries, so that one writer and many readers in
other processes can take turns while a run is in flight."""

from __future__ import annotations

import atexit
import itertools
import os
import random
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ..errors import StoreError
from .migrations import applied, migrate, unknown_migrations

DEFAULT_STORE = Path("store") / "specrun.duckdb"


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get("SPECRUN_STORE")
    return Path(env) if env else DEFAULT_STORE


def artifact_root(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.stem}_artifacts"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    # "file handle conflict": this process has the file open in another DuckDB database.
    # Not a bare "lock": DuckDB's checksum errors say "in block at location ...".
    if _damage_reason(exc) is not None:
        return False
    return any(
        k in text
        for k in (
            "could not set lock",
            "conflicting lock",
            "different configuration",
            "file handle conflict",
        )
    )


class StoreDamaged(StoreError):
    """The store file is damaged (truncated, a block that fails its checksum...)."""


_DAMAGE = (
    "corrupt",
    "checksum",
    "could not read enough bytes",
    "not a valid duckdb",
    "invalid database",
    "truncated",
)
READ_DAMAGED_ENV = "SPECRUN_READ_DAMAGED"


def _damage_reason(exc: BaseException) -> str | None:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if any(k in text.lower() for k in _DAMAGE) else None


def damaged(path: Path, reason: str) -> StoreDamaged:
    return StoreDamaged(
        f"the run store {path} is damaged ({reason[:300]}); specrun will not write to it. Restore a copy "
        f"of it, or save what can still be read: {READ_DAMAGED_ENV}=1 specrun export RUN... --to parquet "
        f"DIR --store {path} (then start a new store)"
    )


def _check_size(db: duckdb.DuckDBPyConnection, path: Path, name: str | None = None) -> None:
    """A file shorter than the blocks its header counts was truncated (a copy cut short, a
    full disk): DuckDB itself opens it and fails only when a missing block is read. With a
    write-ahead log beside it, the count includes blocks the log has not put in the file
    yet: no verdict then."""
    if path.with_name(path.name + ".wal").exists():
        return
    where = "" if name is None else f" WHERE database_name = '{name}'"
    row = db.execute(
        f"SELECT block_size, used_blocks FROM pragma_database_size(){where}"
    ).fetchone()
    if not row:
        return
    # the file header, two database headers, and at least every used block (free blocks at
    # the end may be cut off by DuckDB itself)
    expected = 3 * 4096 + int(row[0]) * int(row[1])
    size = path.stat().st_size
    if size < expected:
        raise damaged(path, f"truncated: {size} bytes where its header counts {expected}")


_checked: set[tuple[str, bool]] = set()


class StoreLocked(StoreError):
    """Another process held the store file for longer than the caller would wait."""


class StoreDiskFull(StoreError):
    """The disk that holds the store (or its artifacts) is full."""


_NO_SPACE = "no space left on device"


def disk_full(exc: BaseException, where: Path) -> StoreDiskFull | None:
    """``exc`` as the one message a user needs when it is ENOSPC (DuckDB says it in its
    text, naming the file); else None."""
    errno_ = getattr(exc, "errno", None)
    text = str(exc)
    if errno_ != 28 and _NO_SPACE not in text.lower():
        return None
    m = re.search(r'file "([^"]+)"', text)
    at = m.group(1) if m else (getattr(exc, "filename", None) or where)
    return StoreDiskFull(
        f"no space left on device at {at}: free space there (or choose another store "
        "with --store) and run again"
    )


def rollback(db: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK where a failed COMMIT may have ended the transaction already (DuckDB then
    says "no transaction is active", which would hide the real error)."""
    try:
        db.execute("ROLLBACK")
    except duckdb.Error:
        pass


def lock_wait_s() -> float:
    """How long a writer waits for the file where it must (a run's start and end):
    ``SPECRUN_STORE_LOCK_WAIT`` seconds, read when asked so that tests can shorten it."""
    try:
        return max(0.0, float(os.environ.get("SPECRUN_STORE_LOCK_WAIT", "60")))
    except ValueError:
        return 60.0


def _retry_locked(path: Path, attempt: Any, wait: float | None = None) -> Any:
    """``attempt()``, again and again while another connection (of this process or another)
    holds the file, for up to ``wait`` seconds (default: ``lock_wait_s()``)."""
    wait = lock_wait_s() if wait is None else wait
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            return attempt()
        except duckdb.Error as exc:
            reason = _damage_reason(exc)
            if reason is not None:
                raise damaged(path, reason) from None
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                if _is_lock_error(exc):
                    raise StoreLocked(
                        f"the run store {path} stayed locked by another process for {wait:.0f}s "
                        "(a notebook's duckdb.connect, a long query?): close it, or wait longer "
                        "with SPECRUN_STORE_LOCK_WAIT=SECONDS"
                    ) from None
                raise StoreError(f"cannot open the run store {path}: {exc}") from None
            # Short sleeps: a writer releases its lock for a moment every second.
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.05)


def _check_schema(db: duckdb.DuckDBPyConnection, path: Path, write: bool) -> None:
    """Refuse a store from a newer specrun; migrate an older one (writers only)."""
    key = (str(path.resolve()), write)
    if key in _checked:
        return
    names = applied(db)
    newer = unknown_migrations(names)
    if newer:
        raise StoreError(
            f"the run store {path} was written by a newer specrun (schema migrations "
            f"{', '.join(newer)} are unknown here): upgrade specrun to read it"
        )
    if write:
        migrate(db)
    elif not names:
        raise StoreError(f"{path} is not a specrun run store (no schema)")
    _checked.add(key)


def _open_for_write(path: Path, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file for writing (waiting out another process's lock), migrated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = _retry_locked(path, lambda: duckdb.connect(str(path)), wait)
    try:
        _check_size(db, path)  # never write into a damaged file
        _check_schema(db, path, write=True)
    except BaseException:
        db.close()
        raise
    return db


class _ReadDatabase:
    """One in-memory DuckDB database per process that readers attach store files to.

    Opening a DuckDB file as a database of its own costs about 13 ms (DuckDB builds a catalog
    of its functions for every database), attaching it to a database that exists costs under
    one: a one-off query (``open_store().query(...)``) pays the difference every time. Each
    reader attaches the file under its own name, read-only, and detaches it when done, so
    the file's lock is held exactly as long as with a connection of its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._pid = 0
        self._names = itertools.count()

    def _base(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._db is None or self._pid != os.getpid():  # a forked child makes its own
                self._db, self._pid = duckdb.connect(":memory:"), os.getpid()
            return self._db

    def attach(self, path: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
        if not path.exists():
            raise StoreError(
                f"no run store at {path}: it is created by the first `specrun run` "
                "(choose another with --store or SPECRUN_STORE)"
            )
        cursor = self._base().cursor()  # a cursor of its own: one per thread, as DuckDB asks
        name = f"specrun_store_{next(self._names)}"
        quoted = str(path).replace("'", "''")
        try:
            _retry_locked(path, lambda: cursor.execute(f"ATTACH '{quoted}' AS {name} (READ_ONLY)"))
            cursor.execute(f"USE {name}")
            if os.environ.get(READ_DAMAGED_ENV) != "1":
                _check_size(cursor, path, name)
            _check_schema(cursor, path, write=False)
        except BaseException:
            self.detach(cursor, name)
            raise
        return cursor, name

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None

    @staticmethod
    def detach(cursor: duckdb.DuckDBPyConnection, name: str) -> None:
        try:
            cursor.execute("USE memory")
            cursor.execute(f"DETACH DATABASE IF EXISTS {name}")
        finally:
            cursor.close()


_readers = _ReadDatabase()
atexit.register(_readers.close)  # before DuckDB's own module teardown, which warns of live objects


def _flush_pending(path: Path | None, final: bool = False) -> list[str]:
    """Write what this process's StoreWriters hold; the reasons writes were lost (final).
    A process that never imported the writer has nothing pending, and a reader need not
    import it (pyarrow: 60 ms or more)."""
    writer = sys.modules.get(f"{__package__}.writer")
    if writer is not None:
        lost: list[str] = writer.flush_pending(path, final=final)
        return lost
    return []


@contextmanager
def connect(path: Path, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection. Writers create and migrate the store; readers need it.

    The run writer (``StoreWriter``) keeps a lease instead; a read-only connection here first
    closes this process's own lease (DuckDB lets one process hold a file in one database only).
    """
    if not write:
        _flush_pending(path)  # a reader sees everything this process has written so far
        lease = _leases.get(str(Path(path).resolve()))
        if lease is not None:
            lease.release()
        reader, name = _readers.attach(Path(path))
        try:
            yield reader
        except duckdb.Error as exc:
            reason = _damage_reason(exc)
            if reason is not None:
                raise damaged(Path(path), reason) from None
            raise
        finally:
            _readers.detach(reader, name)
        return
    db = _open_for_write(path)
    try:
        yield db
    except duckdb.Error as exc:
        reason = _damage_reason(exc)
        if reason is not None:
            raise damaged(Path(path), reason) from None
        raise
    finally:
        db.close()


class WriteLease:
    """One write connection per store file per process.

    Opening a DuckDB file costs 15 ms or more, so a busy writer keeps its connection, but
    only for MAX_HOLD_S at a time and never past IDLE_S without use: other processes'
    readers (``specrun runs`` during a run) get the file between holds.
    """

    MAX_HOLD_S = 1.0
    IDLE_S = 0.2
    GAP_S = 0.1

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._opened = 0.0
        self._used = 0.0
        self._closer: threading.Thread | None = None

    @contextmanager
    def connection(self, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """The held connection, or a new one (waiting up to ``wait`` s for the file)."""
        with self._lock:
            now = time.monotonic()
            if self._db is not None and now - self._opened > self.MAX_HOLD_S:
                self._close()
                time.sleep(self.GAP_S)
            if self._db is None:
                self._db = _open_for_write(self.path, wait)
                self._opened = time.monotonic()
                self._start_closer()
            try:
                yield self._db
            except BaseException:
                self._close()  # discards a half-done transaction with the connection
                raise
            finally:
                self._used = time.monotonic()

    def release(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None

    def _start_closer(self) -> None:
        if self._closer is not None and self._closer.is_alive():
            return
        self._closer = threading.Thread(
            target=self._close_when_idle, name="specrun-store-lease", daemon=True
        )
        self._closer.start()

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(self.IDLE_S / 2)
            if not self._lock.acquire(blocking=False):
                continue
            try:
                if self._db is None:
                    return
                now = time.monotonic()
                if now - self._used > self.IDLE_S or now - self._opened > self.MAX_HOLD_S:
                    self._close()
                    return
            finally:
                self._lock.release()


_leases: dict[str, WriteLease] = {}
_leases_lock = threading.Lock()


def per_store(registry: dict[str, Any], lock: threading.Lock, path: Path, make: Any) -> Any:
    """The one object of ``registry`` for the store file at ``path`` in this process."""
    key = str(Path(path).resolve())
    with lock:
        found = registry.get(key)
        if found is None:
            found = registry[key] = make(Path(path))
        return found


def write_lease(path: Path) -> WriteLease:
    lease: WriteLease = per_store(_leases, _leases_lock, path, WriteLease)
    return lease


@atexit.register
def release_writes() -> list[str]:
    """Close this process's write connections: a finished run leaves the file free for any
    reader at once (a raw ``duckdb.connect(read_only=True)`` included). Returns why writes
    could not reach the store (a full disk), already printed; empty when all went in."""
    lost = _flush_pending(None, final=True)
    for lease in list(_leases.values()):
        lease.release()
    return lost
