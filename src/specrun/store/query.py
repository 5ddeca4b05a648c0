"""Read-only access to the run store; every answer is a Polars DataFrame."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any

import duckdb

from ..errors import StoreError
from .connection import artifact_root, connect, store_path

READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA", "RELATION"}


def _check_read_only(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"SQL does not parse: {exc}") from None
    if not statements:
        raise StoreError("no SQL statement given")
    for st in statements:
        kind = str(st.type).rsplit(".", 1)[-1].upper()
        if kind not in READ_STATEMENTS:
            raise StoreError(
                f"queries are read-only: a {kind} statement is refused (the store is written only by specrun runs)"
            )


def to_polars(cursor: Any) -> Any:
    """A Polars frame from an executed DuckDB cursor (DuckDB 2 dropped ``.pl()`` there)."""
    import polars as pl

    if hasattr(cursor, "pl"):
        return cursor.pl()
    return pl.from_arrow(cursor.to_arrow_table())


RUN_LIST_COLUMNS = ", ".join(
    c for c in ("run_id", "name", "status", "created_at", "duration_s", "seed", "spec_hash",
                          "sweep_id", "parent_id", "tags", "error")
)
SMALL_RESULT = 256  # rows: below this, building the frame from Python rows beats Arrow


def _plain_dtypes() -> dict[str, Any]:
    import polars as pl

    return {"VARCHAR": pl.String, "DOUBLE": pl.Float64, "BIGINT": pl.Int64, "INTEGER": pl.Int32,
            "BOOLEAN": pl.Boolean, "FLOAT": pl.Float32, "SMALLINT": pl.Int16,
            "TIMESTAMP": pl.Datetime("us"), "DATE": pl.Date, "VARCHAR[]": pl.List(pl.String)}


def run_sql(db: Any, sql: str, params: list[Any] | None = None) -> Any:
    """A Polars frame of the query's result. Small results of plain column types (most of the
    history commands' queries) skip the Arrow round trip, which costs more than the query."""
    import polars as pl

    cur = db.execute(sql, params) if params else db.execute(sql)
    desc = cur.description
    if desc is None:
        return pl.DataFrame()
    names = [d[0] for d in desc]
    plain = _plain_dtypes()
    types = [plain.get(str(d[1])) for d in desc]
    head = None
    if len(set(names)) == len(names) and all(t is not None for t in types):
        rows = cur.fetchmany(SMALL_RESULT)
        head = pl.DataFrame(rows, schema=dict(zip(names, types, strict=True)), orient="row")
        if len(rows) < SMALL_RESULT:
            return head
    with warnings.catch_warnings():  # "an extra copy": cheaper than running the query again
        warnings.simplefilter("ignore", UserWarning)
        rest: Any = pl.from_arrow(cur.to_arrow_table())
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
        _check_read_only(sql)
        with connect(self.path, write=False) as db:
            timer = None
            if timeout:
                timer = threading.Timer(timeout, db.interrupt)
                timer.start()
            try:
                return run_sql(db, sql, params)
            except duckdb.InterruptException:
                raise StoreError(f"query stopped after its time limit of {timeout:g}s") from None
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0]
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
        rows = self._q("SELECT run_id FROM runs WHERE run_id = ? OR starts_with(run_id, ?) ORDER BY run_id", [ref, ref])
        ids = rows["run_id"].to_list()
        if ref in ids:
            return ref
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
            raise StoreError(f"run id prefix {ref!r} is ambiguous: it matches {len(ids)} runs ({shown})")
        by_name = self._q("SELECT run_id FROM runs WHERE name = ? ORDER BY created_at DESC LIMIT 1", [ref])
        if by_name.height:
            return by_name["run_id"][0]
        raise StoreError(f"no run {ref!r} in {self.path}")

    def runs(self, name: str | None = None, tag: str | None = None, status: str | None = None,
             sweep: str | None = None, last: int | None = 20, where: Any = None,
             sort: str | None = None, offset: int = 0) -> Any:
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
            sql = (f"SELECT r.*, s.value AS \"{order.column.replace(chr(34), chr(34) * 2)}\" FROM ({sql}) r LEFT JOIN metrics_final s "
                   "ON s.run_id = r.run_id AND s.split = ? AND s.name = ? "
                   f"ORDER BY s.value {'DESC' if order.descending else 'ASC'} NULLS LAST, r.created_at DESC, r.run_id")
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

    def count_runs(self, name: str | None = None, tag: str | None = None, status: str | None = None,
                   sweep: str | None = None, where: Any = None) -> int:
        """How many runs :meth:`runs` finds with these filters, all pages together."""
        clauses, args, _ = self._run_filter(name, tag, status, sweep, where)
        sql = "SELECT count(*) AS n FROM runs" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        return int(self._q(sql, args)["n"][0])

    @staticmethod
    def _run_filter(name: str | None, tag: str | None, status: str | None, sweep: str | None,
                    where: Any) -> tuple[list[str], list[Any], list[Any]]:
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
