"""What a person sees while a run goes: rich progress bars on stderr, a result table."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

# Piped output (CI logs, `| grep`) should not be wrapped at 80 columns.
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
err_console = Console(stderr=True)
out_console = Console(width=_PIPE_WIDTH)


class RunDisplay:
    """Draws progress events from a run (local or remote) and its log lines."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet or os.environ.get("SPECRUN_QUIET") == "1"
        self.progress: Progress | None = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RunDisplay:
        if not self.quiet:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=False,
                disable=not sys.stderr.isatty() and os.environ.get("SPECRUN_PROGRESS") != "1",
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(
        self, pid: str, description: str, total: int | None, completed: int, done: bool
    ) -> None:
        if self.progress is None:
            if done and not self.quiet:
                err_console.print(
                    f"  {description}: {completed}" + (f"/{total}" if total else "") + " done"
                )
            return
        task = self.tasks.get(pid)
        if task is None:
            task = self.progress.add_task(description, total=total)
            self.tasks[pid] = task
        self.progress.update(task, description=description, total=total, completed=completed)

    def log(self, message: str) -> None:
        if not self.quiet:
            err_console.print(f"[dim]{message}[/dim]")


def result_table(result: Any, store: Any = None) -> Table | Group:
    """The table a run ends with. A run that did not finish has no final metrics: it shows
    the last value of each metric it logged (from the store), and says so."""
    if result.status == "finished" or result.metrics:
        return metrics_table(
            result.run_id, result.name, result.status, result.metrics, result.duration_s
        )
    last: dict[str, float] = {}
    steps: set[int] = set()
    try:
        from .store import open_store

        df = open_store(store)._q(
            "SELECT split, name, step, value FROM metrics_final WHERE run_id = ? "
            "AND value IS NOT NULL ORDER BY split, name LIMIT 200",
            [result.run_id],
        )
        for row in df.iter_rows(named=True):
            last[f"{row['split']}/{row['name']}"] = row["value"]
            steps.add(row["step"])
    except Exception:  # noqa: BLE001 - the table is a courtesy; the outcome is printed anyway
        pass
    table = metrics_table(
        result.run_id, result.name, result.status, last, result.duration_s, every=True
    )
    at = f" (step {max(steps)})" if steps else ""
    if not last:
        return Group(Text(f"no metric was logged before the run was {result.status}"))
    # a line of its own: a caption would wrap at the table's width
    return Group(
        table, Text(f"last values logged before the run was {result.status}{at}; no final metrics")
    )


def metrics_table(
    run_id: str,
    name: str,
    status: str,
    metrics: dict[str, float],
    duration_s: float | None,
    every: bool = False,
) -> Table:
    table = Table(title=f"{name} · {status}" + (f" · {duration_s:.1f}s" if duration_s else ""))
    table.add_column("split")
    table.add_column("metric")
    table.add_column("value", justify="right")
    # What judges the run: every eval/test metric; of the training bookkeeping, the loss.
    shown = [k for k in sorted(metrics) if every or not k.startswith("train/") or k == "train/loss"]
    for key in shown:
        split, _, metric = key.partition("/")
        table.add_row(split, metric, f"{metrics[key]:.4g}")
    hidden = len(metrics) - len(shown)
    if hidden:
        table.caption = f"{hidden} more training metric(s): specrun show {run_id}"
    return table
