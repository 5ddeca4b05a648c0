"""Read-only access to the run store; every answer is a Polars DataFrame."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ..errors import StoreError
from .connection import (
    _check_schema,
    _flush_pending,
    _leases,
    _retry_locked,
    artifact_root,
    connect,
    store_path,
)

# A user's SQL runs in a DuckDB instance of its own, closed around the store (issue 16:
# `EXPLAIN ANALYZE COPY (...) TO '...'` slipped past a list of statement types and overwrote
# an artifact). The store is attached read-only; then external access goes off, so that no
# statement can open a file, an extension or a database (COPY TO, EXPORT, ATTACH, INSTALL,
# LOAD of a file, read_csv('/etc/passwd')), and the configuration is locked, so that no
# SET or PRAGMA can give that back. What is left is SQL over the store's own tables.
SANDBOX_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
SANDBOX_SETUP = (
    "SET enable_progress_bar = false",  # a long query would draw one on stdout
    "SET temp_directory = ''",  # nothing spills to disk: a big query fails instead
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)
_REFUSED = (
    "read-only mode",
    "file system operations are disabled",
    "configuration has been locked",
    "Permission Error",
)


def _check_parses(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"SQL does not parse: {str(exc).splitlines()[0][:300]}") from None
    if not statements:
        raise StoreError("no SQL statement given")


@contextmanager
def sandbox(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that can read the store at ``path`` and nothing else: no file, no
    setting, no write. Held only while the query runs, like any reader's."""
    _flush_pending(path)  # a query sees everything this process has written so far
    lease = _leases.get(str(Path(path).resolve()))
    if lease is not None:
        lease.release()
    if not path.exists():
        raise StoreError(
            f"no run store at {path}: it is created by the first `specrun run` "
            "(choose another with --store or SPECRUN_STORE)"
        )
    db = duckdb.connect(":memory:", config=SANDBOX_CONFIG)
    try:
        quoted = str(path).replace("'", "''")
        _retry_locked(path, lambda: db.execute(f"ATTACH '{quoted}' AS store (READ_ONLY)"))
        db.execute("USE store")
        _check_schema(db, path, write=False)
        for statement in SANDBOX_SETUP:
            db.execute(statement)
        yield db
    finally:
        db.close()


def unique_names(names: list[str]) -> list[str]:
    """``a, a, a`` -> ``a, a_1, a_2`` (DuckDB's own way with a subquery's duplicate names):
    a frame needs distinct column names, and `select 1 as a, 2 as a` is legal SQL."""
    seen: set[str] = set()
    out = []
    for name in names:
        new, i = name, 0
        while new in seen:
            i += 1
            new = f"{name}_{i}"
        seen.add(new)
        out.append(new)
    return out


def flat_for_csv(df: Any) -> Any:
    """Nested columns (lists, structs: ``runs.tags``) as JSON text, which CSV can hold."""
    import json

    import polars as pl

    nested = [
        c for c, t in df.schema.items() if isinstance(t, (pl.List, pl.Array, pl.Struct, pl.Object))
    ]
    if not nested:
        return df
    return df.with_columns(
        pl.col(c).map_elements(
            lambda v: json.dumps(
                v.to_list() if isinstance(v, pl.Series) else v, ensure_ascii=False, default=str
            ),
            return_dtype=pl.String,
            skip_nulls=True,
        )
        for c in nested
    )


def to_polars(cursor: Any) -> Any:
    """A Polars frame from an executed DuckDB cursor (DuckDB 2 dropped ``.pl()`` there)."""
    import polars as pl

    if hasattr(cursor, "pl"):
        return cursor.pl()
    return pl.from_arrow(cursor.to_arrow_table())


# The list of runs cuts each error to its first ERROR_CHARS characters in SQL: a run's error
# can be 200 MB (a one-line CSV echoed), and `specrun runs` must not read it.
ERROR_CHARS = 1_000
RUN_LIST_COLUMNS = ", ".join(
    [
        *(
            "run_id",
            "name",
            "status",
            "created_at",
            "duration_s",
            "seed",
            "spec_hash",
            "sweep_id",
            "parent_id",
            "tags",
        ),
        f"CASE WHEN length(error) > {ERROR_CHARS} THEN left(error, {ERROR_CHARS}) || '…' ELSE error END AS error",
    ]
)
SMALL_RESULT = 256  # rows: below this, building the frame from Python rows beats Arrow


def _plain_dtypes() -> dict[str, Any]:
    import polars as pl

    return {
        "VARCHAR": pl.String,
        "DOUBLE": pl.Float64,
        "BIGINT": pl.Int64,
        "INTEGER": pl.Int32,
        "BOOLEAN": pl.Boolean,
        "FLOAT": pl.Float32,
        "SMALLINT": pl.Int16,
        "TIMESTAMP": pl.Datetime("us"),
        "DATE": pl.Date,
        "VARCHAR[]": pl.List(pl.String),
    }


def run_sql(db: Any, sql: str, params: list[Any] | None = None) -> Any:
    """A Polars frame of the query's result. Small results of plain column types (most of the
    history commands' queries) skip the Arrow round trip, which costs more than the query."""
    import polars as pl

    cur = db.execute(sql, params) if params else db.execute(sql)
    desc = cur.description
    if desc is None:
        return pl.DataFrame()
    names = unique_names([d[0] for d in desc])
    plain = _plain_dtypes()
    types = [plain.get(str(d[1])) for d in desc]
    head = None
    if all(t is not None for t in types):
        rows = cur.fetchmany(SMALL_RESULT)
        head = pl.DataFrame(rows, schema=dict(zip(names, types, strict=True)), orient="row")
        if len(rows) < SMALL_RESULT:
            return head
    with warnings.catch_warnings():  # "an extra copy": cheaper than running the query again
        warnings.simplefilter("ignore", UserWarning)
        table = cur.to_arrow_table()
        rest: Any = pl.from_arrow(
            table.rename_columns(names) if table.column_names != names else table
        )
    return rest if head is None else pl.concat([head, rest.cast(head.schema)])


class Store:
    """The run store, for reading. ``open_store(path).query(sql)`` returns a DataFrame."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = store_path(path)

    @property
    def artifact_root(self) -> Path:
        return artifact_root(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def query(self, sql: str, params: list[Any] | None = None, timeout: float | None = None) -> Any:
        """Run read-only SQL; ``timeout`` seconds interrupts a runaway query."""
        _check_parses(sql)
        with sandbox(self.path) as db:
            timer = None
            if timeout:
                timer = threading.Timer(timeout, db.interrupt)
                timer.start()
            try:
                return run_sql(db, sql, params)
            except duckdb.InterruptException:
                raise StoreError(f"query stopped after its time limit of {timeout:g}s") from None
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0][:500]
                if any(k in msg for k in _REFUSED):
                    raise StoreError(
                        f"queries are read-only and read only the store ({msg})"
                    ) from None
                raise StoreError(f"query failed: {msg}") from None
            finally:
                if timer:
                    timer.cancel()

    def _q(self, sql: str, params: list[Any] | None = None) -> Any:
        with connect(self.path, write=False) as db:
            return run_sql(db, sql, params)

    # -- runs ------------------------------------------------------------------
    def resolve_run_id(self, ref: str) -> str:
        """A full id, a unique prefix, or a run name (its newest run)."""
        rows = self._q(
            "SELECT run_id FROM runs WHERE run_id = ? OR starts_with(run_id, ?) ORDER BY run_id",
            [ref, ref],
        )
        ids = rows["run_id"].to_list()
        if ref in ids:
            return ref
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
            raise StoreError(
                f"run id prefix {ref!r} is ambiguous: it matches {len(ids)} runs ({shown})"
            )
        by_name = self._q(
            "SELECT run_id FROM runs WHERE name = ? ORDER BY created_at DESC LIMIT 1", [ref]
        )
        if by_name.height:
            return by_name["run_id"][0]
        raise StoreError(f"no run {ref!r} in {self.path}")

    def runs(
        self,
        name: str | None = None,
        tag: str | None = None,
        status: str | None = None,
        sweep: str | None = None,
        last: int | None = 20,
        where: Any = None,
        sort: str | None = None,
        offset: int = 0,
    ) -> Any:
        """Runs, newest first. ``where`` filters on params and final metrics
        (``["model.optimizer=adam", "eval/accuracy>0.8"]`` or ``{"model.optimizer": "adam"}``);
        ``sort="eval/accuracy"`` puts the best runs first and adds that metric as a column.
        ``last`` runs are returned from the ``offset``-th on (a page of a longer list)."""
        from .search import check_paths, check_sort

        clauses, args, conds = self._run_filter(name, tag, status, sweep, where)
        order = _sort_order(sort)
        sql = f"SELECT {RUN_LIST_COLUMNS} FROM runs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        if order is None:
            sql += " ORDER BY created_at DESC, run_id"
        else:
            sql = (
                f'SELECT r.*, s.value AS "{order.column.replace(chr(34), chr(34) * 2)}" FROM ({sql}) r LEFT JOIN metrics_final s '
                "ON s.run_id = r.run_id AND s.split = ? AND s.name = ? "
                f"ORDER BY s.value {'DESC' if order.descending else 'ASC'} NULLS LAST, r.created_at DESC, r.run_id"
            )
            args += [order.split, order.name]
        if last:
            sql += f" LIMIT {int(last)}"
        if offset:
            sql += f" OFFSET {int(offset)}"
        found = self._q(sql, args)
        if conds and not found.height:
            check_paths(self, conds, order)  # a misspelt path is an error, not an empty table
        elif order is not None and found[order.column].null_count() == found.height:
            check_sort(self, order)
        return found

    def count_runs(
        self,
        name: str | None = None,
        tag: str | None = None,
        status: str | None = None,
        sweep: str | None = None,
        where: Any = None,
    ) -> int:
        """How many runs :meth:`runs` finds with these filters, all pages together."""
        clauses, args, _ = self._run_filter(name, tag, status, sweep, where)
        sql = "SELECT count(*) AS n FROM runs" + (
            " WHERE " + " AND ".join(clauses) if clauses else ""
        )
        return int(self._q(sql, args)["n"][0])

    @staticmethod
    def _run_filter(
        name: str | None, tag: str | None, status: str | None, sweep: str | None, where: Any
    ) -> tuple[list[str], list[Any], list[Any]]:
        from .search import condition_sql, conditions

        clauses: list[str] = []
        args: list[Any] = []
        if name:
            clauses.append("name LIKE ?")
            args.append(name.replace("*", "%"))
        if tag:
            clauses.append("list_contains(tags, ?)")
            args.append(tag)
        if status:
            clauses.append("status = ?")
            args.append(status)
        if sweep:
            clauses.append("starts_with(sweep_id, ?)")
            args.append(sweep)
        conds = conditions(where)
        for cond in conds:
            clause, more = condition_sql(cond)
            clauses.append(clause)
            args.extend(more)
        return clauses, args, conds

    def run(self, ref: str) -> dict[str, Any]:
        run_id = self.resolve_run_id(ref)
        return self._q("SELECT * FROM runs WHERE run_id = ?", [run_id]).row(0, named=True)

    def final_metrics(self, run_id: str) -> Any:
        """The last value of each (split, name) of a run."""
        return self._q(
            """SELECT split, name, arg_max(value, step) AS value, max(step) AS step,
                      min(value) AS min, max(value) AS max
               FROM metrics WHERE run_id = ? GROUP BY split, name ORDER BY split, name""",
            [run_id],
        )

    def metrics(self, run_id: str, name: str | None = None) -> Any:
        sql = "SELECT split, name, step, value, ts FROM metrics WHERE run_id = ?"
        args: list[Any] = [run_id]
        if name:
            sql += " AND name = ?"
            args.append(name)
        return self._q(sql + " ORDER BY split, name, step", args)

    def params(self, run_id: str) -> Any:
        return self._q("SELECT * FROM params WHERE run_id = ? ORDER BY path", [run_id])

    def artifacts(self, run_id: str) -> Any:
        return self._q("SELECT * FROM artifacts WHERE run_id = ? ORDER BY name", [run_id])

    def artifact_path(self, run_id: str, name: str) -> Path:
        row = self._q("SELECT path FROM artifacts WHERE run_id = ? AND name = ?", [run_id, name])
        if not row.height:
            raise StoreError(f"run {run_id} has no artifact {name!r}")
        return self.artifact_root / row["path"][0]

    def samples(self, run_id: str, limit: int | None = None) -> Any:
        sql = "SELECT split, step, idx, input, reference, output, extra FROM samples WHERE run_id = ? ORDER BY split, step, idx"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._q(sql, [run_id])

    def environment(self, run_id: str) -> Any:
        return self._q("SELECT * FROM environment WHERE run_id = ?", [run_id])


def _sort_order(sort: str | None) -> Any:
    from .search import parse_sort

    return parse_sort(sort) if sort else None


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    return Store(path)
