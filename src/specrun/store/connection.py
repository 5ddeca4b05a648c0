"""Opening the DuckDB file briefly, with retries, so that one writer and many readers in
other processes can take turns while a run is in flight."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ..errors import StoreError
from .migrations import applied, migrate, unknown_migrations

DEFAULT_STORE = Path("store") / "specrun.duckdb"
LOCK_WAIT_S = float(os.environ.get("SPECRUN_STORE_LOCK_WAIT", "60"))


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get("SPECRUN_STORE")
    return Path(env) if env else DEFAULT_STORE


def artifact_root(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.stem}_artifacts"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "different configuration" in text


_checked: set[tuple[str, bool]] = set()


@contextmanager
def connect(path: Path, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection. Writers create and migrate the store; readers need it."""
    if not write and not path.exists():
        raise StoreError(
            f"no run store at {path}: it is created by the first `specrun run` "
            "(choose another with --store or SPECRUN_STORE)"
        )
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.01
    while True:
        try:
            db = duckdb.connect(str(path), read_only=not write)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc) or time.monotonic() > deadline:
                if _is_lock_error(exc):
                    raise StoreError(f"the run store {path} stayed locked by another process for {LOCK_WAIT_S:.0f}s") from None
                raise StoreError(f"cannot open the run store {path}: {exc}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
    try:
        key = (str(path.resolve()), write)
        if key not in _checked:
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
        yield db
    finally:
        db.close()
