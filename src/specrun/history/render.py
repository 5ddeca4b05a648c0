"""Terminal rendering of history frames with rich (the commands' output, not the API's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

STATUS_COLORS = {
    "finished": "green",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
    "stopped": "yellow",
}


def cell(value: Any) -> str:
    if value is None:
        return "[dim]–[/dim]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("[", r"\[")  # rich markup must not eat brackets in user text


def status(value: str) -> str:
    return f"[{STATUS_COLORS.get(value, 'white')}]{value}[/]"


def frame_table(
    frame: Any,
    title: str | None = None,
    headers: Sequence[str] | None = None,
    numeric: Sequence[str] = (),
) -> Any:
    """A rich Table of a Polars frame; ``headers`` renames the columns for display."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    for col, header in zip(frame.columns, headers or frame.columns, strict=True):
        table.add_column(header, justify="right" if col in numeric else "left", overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*[cell(v) for v in row])
    return table


def duration(run: dict[str, Any]) -> str:
    if run.get("duration_s") is not None:
        return f"{run['duration_s']:.1f}s"
    if run.get("status") == "running" and run.get("created_at"):
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return f"running for {(now - run['created_at']).total_seconds():.0f}s"
    return "–"


def header_lines(labels: dict[str, str]) -> list[str]:
    """Column headers of a side-by-side table: the label above the run id."""
    return [
        f"{label}\n[dim]{run_id}[/dim]" if label != run_id else run_id
        for run_id, label in labels.items()
    ]
