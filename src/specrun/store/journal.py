"""The journal beside a store: what a writer could not put into the file yet (another
process holds it: a notebook's ``duckdb.connect(path, read_only=True)``, a long query).

Each writing process keeps one file, ``<store>.journal/<host>-<pid>-<generation>.json``,
rewritten whole (to a temporary name, then renamed) each time a flush finds the store
locked, so that it always holds everything that process has not written. When the flush
succeeds, the same transaction records the entry in ``journal_merged`` and the file is
removed; if the process dies first, the next writer of the store merges the file (once:
``journal_merged`` says whether it already went in).
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

from .connection import rollback
from .pending import Pending, write_pending

_NAME = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)-(?P<gen>\d+)\.json$")


def journal_dir(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.name}.journal"


class Journal:
    """This process's journal file for one store."""

    def __init__(self, db_path: Path):
        self.dir = journal_dir(Path(db_path))
        self.generation = 0
        self.written: Path | None = None

    def _name(self) -> str:
        return f"{socket.gethostname()}-{os.getpid()}-{self.generation}"

    def entry(self) -> str | None:
        """The id of the entry the journal holds now (None: nothing journaled)."""
        return self.written.stem if self.written is not None else None

    def write(self, pending: Pending) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{self._name()}.json"
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(pending.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.written = path
        return path

    def merged(self) -> None:
        """The entry is in the store: its file goes, and the next entry has a new id."""
        if self.written is not None:
            self.written.unlink(missing_ok=True)
            self.written = None
            self.generation += 1


def record_entry(db: Any, entry: str) -> None:
    db.execute(
        "INSERT INTO journal_merged VALUES (?, current_timestamp) ON CONFLICT DO NOTHING", [entry]
    )


def merge_orphans(db: Any, db_path: Path) -> int:
    """Merge the journal files of writers on this host that are gone; return how many."""
    folder = journal_dir(Path(db_path))
    if not folder.is_dir():
        return 0
    host, merged = socket.gethostname(), 0
    for path in sorted(folder.glob("*.json")):
        m = _NAME.match(path.name)
        if m is None or m["host"] != host or pid_alive(int(m["pid"])):
            continue
        entry = path.stem
        if db.execute("SELECT 1 FROM journal_merged WHERE entry = ?", [entry]).fetchone():
            path.unlink(missing_ok=True)  # went in before its writer could remove the file
            continue
        try:
            pending = Pending.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError) as exc:
            bad = path.with_name(path.name + ".unreadable")
            os.replace(path, bad)
            print(
                f"specrun: the journal entry {path} cannot be read ({exc}); kept as {bad}",
                file=sys.stderr,
            )
            continue
        db.execute("BEGIN TRANSACTION")
        try:
            write_pending(db, pending)
            record_entry(db, entry)
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise
        path.unlink(missing_ok=True)
        merged += 1
    return merged


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still exists (ours always does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
