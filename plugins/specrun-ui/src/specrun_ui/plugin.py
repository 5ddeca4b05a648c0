"""The plugin's entry point: adds `specrun ui`. Only click is imported here, because the
CLI loads this module whenever it lists its commands (`specrun --help` stays light)."""

from __future__ import annotations

from typing import Any

from specrun import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from .command import ui

    cli.add_command(ui)
