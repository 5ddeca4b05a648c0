"""One read-only connection for all the queries of one command.

Attaching the store file for a query costs 1-3 ms (the file's lock and its first reads),
and `show` or `report` run a dozen queries. Inside ``with store.held():`` they share one connection,
closed at the end of the block, so a run writing in another process waits at most that
long (the writer retries for ``SPECRUN_STORE_LOCK_WAIT`` seconds). Outside the block every
query opens and closes its own connection, as ``Store`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..store.connection import connect
from ..store.query import Store, run_sql


class HistoryStore(Store):
    def __init__(self, path: Any = None):
        super().__init__(path)
        self._db: Any = None

    @contextmanager
    def held(self) -> Iterator[HistoryStore]:
        """Share one read-only connection until the block ends (re-entrant)."""
        if self._db is not None:
            yield self
            return
        with connect(self.path, write=False) as db:
            self._db = db
            try:
                yield self
            finally:
                self._db = None

    def _q(self, sql: str, params: list[Any] | None = None) -> Any:
        if self._db is None:
            return super()._q(sql, params)
        return run_sql(self._db, sql, params)


def open_history(path: Any = None) -> HistoryStore:
    return HistoryStore(path)
