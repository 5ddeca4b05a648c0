"""Stored samples of several runs side by side: what a person reads to judge models.

Rows are aligned on the input text, not on the sample index: runs with another seed or
split may show other examples, and an index would then pair unrelated outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..store.query import Store


def latest_samples(store: Store, run_ids: Sequence[str], split: str | None = None) -> Any:
    """run_id, split, step, idx, input, reference, output, extra (JSON text of the sample's
    other fields): each run's newest step per split."""
    sql = """SELECT run_id, split, step, idx, input, reference, output, extra FROM samples
             WHERE list_contains(?, run_id)
               AND step IS NOT DISTINCT FROM (
                   SELECT max(step) FROM samples s
                   WHERE s.run_id = samples.run_id AND s.split = samples.split)"""
    args: list[Any] = [list(run_ids)]
    if split:
        sql += " AND split = ?"
        args.append(split)
    return store._q(sql + " ORDER BY run_id, split, idx", args)


def samples_side_by_side(
    store: Store, run_ids: Sequence[str], limit: int = 10, split: str | None = None
) -> Any:
    """split, input, reference, then one output column per run id (null: not shown to it).

    Inputs that more of the runs saw come first (those are the comparable rows), then in
    the order of the first run that saw them.
    """
    import polars as pl

    frame = latest_samples(store, run_ids, split)
    columns = {"split": pl.String, "input": pl.String, "reference": pl.String}
    if frame.is_empty():
        return pl.DataFrame(schema={**columns, **{r: pl.String for r in run_ids}})
    order = {r: i for i, r in enumerate(run_ids)}
    frame = frame.with_columns(
        pl.col("run_id").replace_strict(order, return_dtype=pl.Int64).alias("_run"),
        pl.col("input").fill_null(""),
    )
    keys = (
        frame.sort("_run", "split", "idx")
        .group_by("split", "input", maintain_order=True)
        .agg(
            pl.col("reference").drop_nulls().first(),
            pl.col("_run").first(),
            pl.col("idx").first(),
            pl.col("_run").n_unique().alias("_seen_by"),
        )
        .sort(["split", "_seen_by", "_run", "idx"], descending=[False, True, False, False])
        .head(int(limit))
    )
    # A run may show one input twice (duplicate rows in the data): keep its first output.
    outputs = (
        frame.sort("_run", "idx")
        .unique(["run_id", "split", "input"], keep="first", maintain_order=True)
        .pivot(on="run_id", index=["split", "input"], values="output")
    )
    result = keys.select("split", "input", "reference").join(
        outputs, on=["split", "input"], how="left", maintain_order="left"
    )
    for run_id in run_ids:
        if run_id not in result.columns:
            result = result.with_columns(pl.lit(None, pl.String).alias(run_id))
    return result.select("split", "input", "reference", *run_ids)
