"""``specrun sweep`` and ``specrun cv``: thin commands over ``run_sweep`` and ``run_cv``.

Imported by cli.py at start-up, so nothing heavy (ray, tune) is imported here at module level.
"""

from __future__ import annotations

import signal
from typing import Any

import click

from ..cli_options import address_option, on_sigterm, override_option, store_option
from ..cli_options import fail as _fail
from ..errors import UserError


def exit_for_sweep(result: Any, spec_path: str) -> None:
    """Exit code of a sweep: 130 interrupted, 2 every trial failed on a user error, else 0."""
    if result.status == "interrupted":
        _fail(
            f"sweep {result.sweep_id} interrupted; finished trials are kept. Continue with: "
            f"specrun sweep {spec_path} --resume {result.sweep_id}",
            130,
        )
    if result.status == "failed":
        _fail(f"sweep {result.sweep_id} failed: {result.error}", 2 if result.user_error else 1)


def exit_for_cv(result: Any) -> None:
    if result.status == "interrupted":
        _fail(f"cross-validation {result.run_id} interrupted", 130)
    if result.status != "finished":
        _fail(
            f"cross-validation {result.run_id} failed: {result.error}",
            2 if result.user_error else 1,
        )


def add_commands(cli: click.Group) -> None:
    quiet_option = click.option(
        "-q", "--quiet", is_flag=True, help="no progress lines (the result table is still shown)"
    )

    @cli.command()
    @click.argument("spec", type=click.Path())
    @override_option
    @click.option(
        "--resume",
        "resume",
        default=None,
        metavar="SWEEP_ID",
        help="continue a sweep: finished trials are kept, failed and interrupted ones run again",
    )
    @address_option
    @store_option
    @quiet_option
    @click.option("-v", "--verbose", is_flag=True, help="show each trial's logs and Tune's")
    def sweep(
        spec: str,
        overrides: tuple[str, ...],
        resume: str | None,
        address: str | None,
        store: str | None,
        quiet: bool,
        verbose: bool,
    ) -> None:
        """Run the spec's sweep: section on Ray Tune; every trial is a run in the store."""
        from .driver import run_sweep

        resolved = _spec_to_start(spec, overrides, "sweep", "specs/sweep_topics.yaml")
        result = run_sweep(
            resolved, store=store, address=address, quiet=quiet, verbose=verbose, resume=resume
        )
        exit_for_sweep(result, spec)

    @cli.command()
    @click.argument("spec", type=click.Path())
    @override_option
    @click.option("--local", is_flag=True, help="run the folds one after another in this process")
    @address_option
    @store_option
    @quiet_option
    @click.option("-v", "--verbose", is_flag=True, help="show worker logs")
    def cv(
        spec: str,
        overrides: tuple[str, ...],
        local: bool,
        address: str | None,
        store: str | None,
        quiet: bool,
        verbose: bool,
    ) -> None:
        """Cross-validate: the spec's cv: section as K fold runs under one parent run."""
        from ..cv.driver import run_cv

        resolved = _spec_to_start(spec, overrides, "cv", "specs/cv_topics.yaml")
        result = run_cv(
            resolved,
            store=store,
            mode="local" if local else "ray",
            address=address,
            quiet=quiet,
            verbose=verbose,
        )
        exit_for_cv(result)


def _spec_to_start(spec: str, overrides: tuple[str, ...], section: str, example: str) -> Any:
    """The validated spec, which must have ``section``; from here SIGTERM stops the work
    the way Ctrl-C does, so the store marks what was running."""
    from ..spec import load_spec

    resolved = load_spec(spec, overrides)
    if not resolved.data.get(section):
        raise UserError(f"{spec} has no {section}: section (see {example})")
    signal.signal(signal.SIGTERM, on_sigterm)
    return resolved
