"""Several runs side by side: the params that differ, final metrics, and spec diffs."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from ..store.query import Store
from .metrics import final_metrics
from .refs import run_rows

# Differences that say nothing about what a run did: left out of labels, kept in tables.
_DESCRIPTIVE = ("name", "description", "tags")


def param_values(store: Store, run_ids: Sequence[str]) -> Any:
    """A wide frame: ``path`` then one column per run id holding the value as JSON text."""
    import polars as pl

    long = store._q(
        "SELECT run_id, path, value_json::VARCHAR AS value FROM params"
        " WHERE list_contains(?, run_id)",
        [list(run_ids)],
    )
    if long.is_empty():
        return pl.DataFrame({"path": []}, schema={"path": pl.String})
    wide = long.pivot(on="run_id", index="path", values="value").sort("path")
    for run_id in run_ids:  # a run with no params at all still gets its column
        if run_id not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.String).alias(run_id))
    return wide.select("path", *run_ids)


def differing_params(store: Store, run_ids: Sequence[str]) -> Any:
    """Rows of :func:`param_values` whose values are not all equal (a missing value counts)."""
    import polars as pl

    wide = param_values(store, run_ids)
    if len(run_ids) < 2 or wide.is_empty():
        return wide.head(0)
    values = pl.concat_list([pl.col(r).fill_null("<absent>") for r in run_ids])
    return wide.filter(values.list.n_unique() > 1)


def compare_metrics(store: Store, run_ids: Sequence[str]) -> Any:
    """``metric`` ('split/name') then one column per run id with its final value."""
    import polars as pl

    final = final_metrics(store, run_ids)
    if final.is_empty():
        return pl.DataFrame(
            {"metric": [], **{r: [] for r in run_ids}},
            schema={"metric": pl.String, **{r: pl.Float64 for r in run_ids}},
        )
    wide = (
        final.with_columns((pl.col("split") + "/" + pl.col("name")).alias("metric"))
        .pivot(on="run_id", index="metric", values="value")
        .sort("metric")
    )
    for run_id in run_ids:
        if run_id not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(run_id))
    return wide.select("metric", *run_ids)


def run_labels(store: Store, run_ids: Sequence[str], max_params: int = 3) -> dict[str, str]:
    """A short legend label per run: its name, and for runs sharing a name the params that
    tell them apart (``lr=0.1 seed=2``, the most varied first); an id prefix is added
    where even those are equal (a rerun)."""
    rows = run_rows(store, run_ids)
    names = dict(zip(rows["run_id"].to_list(), rows["name"].to_list(), strict=True))
    labels = {r: names.get(r, r) for r in run_ids}
    clashing = [r for r in run_ids if list(names.values()).count(names.get(r)) > 1]
    if not clashing:
        return labels
    diff = differing_params(store, clashing)
    diff = diff.filter(~diff["path"].is_in(list(_DESCRIPTIVE)))
    if diff.height:
        import polars as pl

        spread = pl.concat_list([pl.col(r).fill_null("<absent>") for r in clashing]).list.n_unique()
        diff = diff.with_columns(spread.alias("_spread")).sort(
            ["_spread", "path"], descending=[True, False]
        )
        diff = diff.head(max_params).sort("path")
    for run_id in clashing:
        parts = [
            f"{row['path'].rsplit('.', 1)[-1]}={_short(row[run_id])}"
            for row in diff.iter_rows(named=True)
        ]
        labels[run_id] = " ".join([names.get(run_id, run_id), *parts])
    counts = {label: list(labels.values()).count(label) for label in labels.values()}
    return {r: f"{label} ({r[:6]})" if counts[label] > 1 else label for r, label in labels.items()}


def _short(value_json: str | None) -> str:
    if value_json is None:
        return "-"
    value = json.loads(value_json)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def canonical_yaml(spec_json: str | None) -> str:
    """The stored resolved spec as YAML with sorted keys: stable text to diff and read."""
    import yaml

    if not spec_json:
        return ""
    data = json.loads(spec_json)
    return yaml.safe_dump(
        data, sort_keys=True, allow_unicode=True, default_flow_style=False, width=100
    )


def spec_diff(store: Store, run_a: str, run_b: str, context: int = 3) -> str:
    """A unified diff of the canonical YAML of two runs' resolved specs ('' when equal)."""
    rows = {r["run_id"]: r for r in run_rows(store, [run_a, run_b]).iter_rows(named=True)}
    a, b = rows[run_a], rows[run_b]
    lines = difflib.unified_diff(
        canonical_yaml(a["spec_resolved"]).splitlines(keepends=True),
        canonical_yaml(b["spec_resolved"]).splitlines(keepends=True),
        fromfile=f"{run_a} ({a['name']})",
        tofile=f"{run_b} ({b['name']})",
        n=context,
    )
    return "".join(lines)
