"""Metric curves for charts, downsampled in DuckDB: the browser never receives a whole
history. A curve longer than ``max_points`` becomes that many buckets of equal step
ranges, each the mean, min and max of its values at its last step, so a spike still shows
in the envelope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specrun.history.metrics import split_metric_name
from specrun.store.query import Store

MAX_POINTS = 400


def curves(
    store: Store, run_ids: Sequence[str], metric: str | None = None, max_points: int = MAX_POINTS
) -> list[dict[str, Any]]:
    """One dict per (run, split, name): step, t (seconds since the run started), value, lo, hi
    as lists, and n, the number of points stored before downsampling."""
    where = ["list_contains(?, m.run_id)"]
    args: list[Any] = [list(run_ids)]
    if metric:
        split, name = split_metric_name(metric)
        where.append("m.name = ?")
        args.append(name)
        if split:
            where.append("m.split = ?")
            args.append(split)
    max_points = max(2, min(int(max_points), 5000))
    k = max_points
    # Buckets are equal ranges of steps (no window function: 4x faster on 500,000 points);
    # a curve that fits keeps one point per step, its last logged value.
    sql = f"""
        WITH m AS (SELECT * FROM metrics m WHERE {" AND ".join(where)}),
        c AS (SELECT run_id, split, name, min(step) AS s0, max(step) AS s1, count(*) AS n
              FROM m GROUP BY ALL),
        b AS (
            SELECT m.run_id, m.split, m.name, any_value(c.n) AS n, max(m.step) AS step,
                   arg_max(m.value, m.ts) AS last, avg(m.value) AS mean,
                   min(m.value) AS lo, max(m.value) AS hi, max(m.ts) AS ts
            FROM m JOIN c USING (run_id, split, name)
            GROUP BY m.run_id, m.split, m.name,
                     CASE WHEN c.n <= {k} THEN m.step
                          ELSE (m.step - c.s0) * {k} // (c.s1 - c.s0 + 1) END)
        SELECT b.run_id, b.split, b.name, b.n,
               list(b.step ORDER BY b.step) AS step,
               list(round(epoch(b.ts) - epoch(runs.created_at), 3) ORDER BY b.step) AS t,
               list(CASE WHEN b.n <= {k} THEN b.last ELSE b.mean END ORDER BY b.step) AS value,
               list(b.lo ORDER BY b.step) AS lo, list(b.hi ORDER BY b.step) AS hi
        FROM b JOIN runs USING (run_id)
        GROUP BY b.run_id, b.split, b.name, b.n
        ORDER BY b.name, b.split, b.run_id"""
    frame = store._q(sql, args)
    out = []
    for row in frame.iter_rows(named=True):
        row["downsampled"] = row["n"] > max_points
        out.append(row)
    return out
