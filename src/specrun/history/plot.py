"""A metric against step for one or many runs, drawn with matplotlib's Agg backend (no
display needed), as a PNG file or as bytes for the HTML report."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..store.query import Store
from .compare import run_labels
from .metrics import direction, metric_series

# Past this many lines a legend hides the plot: it moves outside, in a smaller font.
_LEGEND_INSIDE_MAX = 8


def series_with_labels(store: Store, run_ids: Sequence[str], metric: str) -> Any:
    """:func:`metric_series` plus a ``label`` column (run name made unique, plus split when
    the metric was logged under several splits)."""
    import polars as pl

    series = metric_series(store, run_ids, metric)
    labels = run_labels(store, run_ids)
    order = {r: i for i, r in enumerate(run_ids)}
    series = (
        series.with_columns(
            pl.col("run_id").replace_strict(labels, return_dtype=pl.String).alias("label"),
            pl.col("run_id").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
        )
        .sort("_order", "split", "step")
        .drop("_order")
    )
    if series["split"].n_unique() > 1:
        series = series.with_columns((pl.col("label") + " · " + pl.col("split")).alias("label"))
    return series


def render_png(series: Any, metric: str, title: str | None = None, dpi: int = 110) -> bytes:
    """PNG bytes of ``series`` (label, step, value): one line per label, in the order given."""
    import matplotlib

    matplotlib.use("Agg")  # never open a window, work on a headless machine
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    labels = list(dict.fromkeys(series["label"].to_list()))
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=dpi)
    try:
        for label in labels:
            part = series.filter(series["label"] == label).sort("step")
            few = part.height <= 30
            ax.plot(
                part["step"].to_list(),
                part["value"].to_list(),
                label=label,
                marker="o" if few else None,
                markersize=3.5,
                linewidth=1.6,
            )
        name = metric.rsplit("/", 1)[-1]
        ax.set_xlabel("step")
        ax.set_ylabel(f"{metric} ({'lower' if direction(name) == 'min' else 'higher'} is better)")
        ax.set_title(title or f"{metric} by step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if len(labels) <= _LEGEND_INSIDE_MAX:
            ax.legend(loc="best", fontsize="small", frameon=True)
        else:
            ax.legend(
                loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small", frameon=False
            )
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def plot_metric(
    store: Store, run_ids: Sequence[str], metric: str, out: str | Path, title: str | None = None
) -> Path:
    """Write a PNG of ``metric`` for the runs to ``out``; returns the path written."""
    series = series_with_labels(store, run_ids, metric)
    if "/" not in metric and series["split"].n_unique() == 1:
        metric = f"{series['split'][0]}/{metric}"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_png(series, metric, title))
    return out
