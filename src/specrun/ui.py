"""What a person sees while a run goes: rich progress bars on stderr, a result table."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

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
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=False,
                disable=not sys.stderr.isatty() and os.environ.get("SPECRUN_PROGRESS") != "1",
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, pid: str, description: str, total: int | None, completed: int, done: bool) -> None:
        if self.progress is None:
            if done and not self.quiet:
                err_console.print(f"  {description}: {completed}" + (f"/{total}" if total else "") + " done")
            return
        task = self.tasks.get(pid)
        if task is None:
            task = self.progress.add_task(description, total=total)
            self.tasks[pid] = task
        self.progress.update(task, description=description, total=total, completed=completed)

    def log(self, message: str) -> None:
        if not self.quiet:
            err_console.print(f"[dim]{message}[/dim]")


def metrics_table(run_id: str, name: str, status: str, metrics: dict[str, float], duration_s: float | None) -> Table:
    table = Table(title=f"{name} · {status}" + (f" · {duration_s:.1f}s" if duration_s else ""))
    table.add_column("split")
    table.add_column("metric")
    table.add_column("value", justify="right")
    # What judges the run: every eval/test metric; of the training bookkeeping, the loss.
    shown = [k for k in sorted(metrics) if not k.startswith("train/") or k == "train/loss"]
    for key in shown:
        split, _, metric = key.partition("/")
        table.add_row(split, metric, f"{metrics[key]:.4g}")
    hidden = len(metrics) - len(shown)
    if hidden:
        table.caption = f"{hidden} more training metric(s): specrun show {run_id}"
    return table
