"""`specrun tensorboard` and the opt-in live observer. Loaded by every `specrun` command, so
it imports nothing heavy: tensorboard is imported only when a command or a run needs it.

The observer is on when the spec has a ``tensorboard:`` section or ``SPECRUN_TENSORBOARD_DIR``
is set.
"""

from __future__ import annotations

import os
from typing import Any

import click
from pydantic import Field
from specrun import Params, hookimpl
from specrun.components import SpecSection

ENV_DIR = "SPECRUN_TENSORBOARD_DIR"


class TensorboardSection(Params):
    """Write TensorBoard event files while the run trains."""

    dir: str = Field(
        "runs/tensorboard",
        min_length=1,
        description="log dir (`tensorboard --logdir DIR`); relative to the working directory",
    )


def log_dir(spec: dict[str, Any] | None) -> str | None:
    section = (spec or {}).get("tensorboard")
    if section is not None:
        return str(TensorboardSection.model_validate(section).dir)
    return os.environ.get(ENV_DIR, "").strip() or None


_writer: Any = None


@hookimpl
def register_spec_sections(register: Any) -> None:
    register(SpecSection("tensorboard", TensorboardSection))


@click.command("tensorboard")
@click.argument("runs", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="log dir to write the event files into",
)
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default=None,
    help="run store (default: $SPECRUN_STORE or store/specrun.duckdb)",
)
def tensorboard_command(runs: tuple[str, ...], out: str, store: str | None) -> None:
    """Write RUNS (ids, names or sweep ids) as TensorBoard event files under --out."""
    from .export import export_runs

    folders = export_runs(store, runs, out)  # an unknown run is a StoreError: one line, exit 2
    for folder in folders:
        click.echo(str(folder))
    click.echo(f"{len(folders)} run(s); view them with: tensorboard --logdir {out}")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_command(tensorboard_command)


@hookimpl
def run_started(run: Any) -> None:
    global _writer
    folder = log_dir(run.spec)
    if folder is None:
        return
    if _writer is None:
        from .observer import LiveWriter

        _writer = LiveWriter()
    _writer.start(run, folder)


@hookimpl
def metrics_logged(run: Any, metrics: list[Any]) -> None:
    if _writer is not None:
        _writer.metrics(run, metrics)


@hookimpl
def artifact_saved(run: Any, artifact: Any) -> None:
    if _writer is not None:
        _writer.artifact(run, artifact)


@hookimpl
def run_finished(run: Any, status: str, error: str | None) -> None:
    if _writer is not None:
        _writer.finish(run)
