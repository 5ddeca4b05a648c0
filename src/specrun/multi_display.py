"""What a person sees while many runs go at once (sweep trials, cross-validation folds):
one line per run start and end on stderr, instead of a progress bar per run."""

from __future__ import annotations

from typing import Any


class LineDisplay:
    """Used as an ``EventRecorder`` display: progress events are dropped, logs shown with -v."""

    def __init__(self, quiet: bool, verbose: bool):
        import os

        from .ui import err_console

        self.quiet = quiet or os.environ.get("SPECRUN_QUIET") == "1"
        self.verbose, self.console = verbose, err_console

    def update(self, *_: Any) -> None:
        pass

    def log(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self.console.print(f"[dim]{message}[/dim]")

    def line(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)


STATUS_COLORS = {
    "finished": "green",
    "failed": "red",
    "stopped": "yellow",
    "interrupted": "yellow",
    "running": "cyan",
}
