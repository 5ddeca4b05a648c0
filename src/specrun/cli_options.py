"""What every command module shares: the common options, the error exit and SIGTERM's handler.

A leaf module (click only), so cli.py and the command modules it loads import from here
instead of from each other.
"""

from __future__ import annotations

import sys
from typing import Any

import click


def fail(message: str, code: int = 2) -> None:
    """One red ``error:`` line on stderr, then exit with ``code``."""
    click.echo(click.style("error: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


def on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM stops the work the way Ctrl-C does, so the store marks what was running."""
    raise KeyboardInterrupt


store_option = click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default=None,
    help="run store (default: $SPECRUN_STORE or store/specrun.duckdb)",
)
override_option = click.option(
    "-o",
    "--override",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="set a spec value by dotted path, e.g. -o trainer.lr=1e-4 (repeatable)",
)
address_option = click.option(
    "--address", default=None, help="join an existing Ray cluster (default: $RAY_ADDRESS)"
)
