"""Metric values of several runs at once: final, best, and the series against step.

"Best" needs a direction. A sweep records its own (``sweeps.mode``); otherwise a metric
whose name says it is an error or a loss is minimised and every other one maximised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import StoreError
from ..store.query import Store
from ..store.search import direction

__all__ = [
    "best_metrics",
    "direction",
    "final_metrics",
    "metric_names",
    "metric_series",
    "split_metric_name",
]


def final_metrics(store: Store, run_ids: Sequence[str]) -> Any:
    """One row per (run, split, name): the value at the last step and the step itself."""
    return store._q(
        """SELECT run_id, split, name, arg_max(value, (step, ts)) AS value, max(step) AS step
           FROM metrics WHERE list_contains(?, run_id)
           GROUP BY run_id, split, name ORDER BY run_id, split, name""",
        [list(run_ids)],
    )


def best_metrics(store: Store, run_ids: Sequence[str]) -> Any:
    """One row per (run, split, name): the best value, at which step, and the direction used."""
    import polars as pl

    frame = store._q(
        """SELECT run_id, split, name,
                  arg_min(step, value) AS min_step, min(value) AS min_value,
                  arg_max(step, value) AS max_step, max(value) AS max_value
           FROM metrics WHERE list_contains(?, run_id) AND value IS NOT NULL AND NOT isnan(value)
           GROUP BY run_id, split, name ORDER BY run_id, split, name""",
        [list(run_ids)],
    )
    if frame.is_empty():
        return pl.DataFrame(
            schema={
                "run_id": pl.String,
                "split": pl.String,
                "name": pl.String,
                "direction": pl.String,
                "value": pl.Float64,
                "step": pl.Int64,
            }
        )
    is_min = pl.col("direction") == "min"
    return (
        frame.with_columns(
            pl.col("name").map_elements(direction, return_dtype=pl.String).alias("direction")
        )
        .with_columns(
            pl.when(is_min).then(pl.col("min_value")).otherwise(pl.col("max_value")).alias("value"),
            pl.when(is_min).then(pl.col("min_step")).otherwise(pl.col("max_step")).alias("step"),
        )
        .select("run_id", "split", "name", "direction", "value", "step")
    )


def split_metric_name(metric: str) -> tuple[str | None, str]:
    """'eval/accuracy' -> ('eval', 'accuracy'); 'accuracy' -> (None, 'accuracy')."""
    if "/" in metric:
        split, name = metric.split("/", 1)
        return split or None, name
    return None, metric


def metric_names(store: Store, run_ids: Sequence[str]) -> list[str]:
    """'split/name' of every metric the runs logged, sorted."""
    rows = store._q(
        "SELECT DISTINCT split || '/' || name AS m FROM metrics"
        " WHERE list_contains(?, run_id) ORDER BY m",
        [list(run_ids)],
    )
    return rows["m"].to_list()


def metric_series(store: Store, run_ids: Sequence[str], metric: str) -> Any:
    """run_id, split, name, step, value of ``metric`` ('name' or 'split/name') for the runs.

    A step logged twice (the engine evaluates once more at the end) keeps its last value.
    Raises ``StoreError`` naming the metrics that do exist when none of the runs has it.
    """
    split, name = split_metric_name(metric)
    sql = """SELECT run_id, split, name, step, arg_max(value, ts) AS value FROM metrics
             WHERE list_contains(?, run_id) AND name = ?"""
    args: list[Any] = [list(run_ids), name]
    if split:
        sql += " AND split = ?"
        args.append(split)
    sql += " GROUP BY run_id, split, name, step ORDER BY run_id, split, step"
    frame = store._q(sql, args)
    if frame.is_empty():
        known = metric_names(store, run_ids)
        listed = ", ".join(known) if known else "none yet"
        raise StoreError(
            f"no metric {metric!r} in the {len(run_ids)} run(s) asked for "
            f"(metrics logged: {listed})"
        )
    return frame
