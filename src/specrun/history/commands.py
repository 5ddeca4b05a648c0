"""The run-history commands: show, compare, diff, plot, report, samples, rerun, export, rm, gc.

Each is a thin layer over ``specrun.history``; this module imports only click at load
time so that ``specrun --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import UserError

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
    help="change a value of the stored spec, e.g. -o trainer.lr=1e-4 (repeatable)",
)


def _store(path: str | None) -> Any:
    """The store of ``--store``; ``with st.held():`` shares one connection for a command."""
    from .session import open_history

    return open_history(path)


def _print(*items: Any) -> None:
    from ..ui import out_console

    for item in items:
        out_console.print(item)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, default=str, ensure_ascii=False, indent=1))


@click.command()
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="everything as JSON, for scripts")
@click.option("--samples", "n_samples", default=5, show_default=True, help="samples to show")
@click.option(
    "--params", "flat_params", is_flag=True, help="flat typed params instead of the spec's YAML"
)
@store_option
def show(run: str, as_json: bool, n_samples: int, flat_params: bool, store: str | None) -> None:
    """One run: resolved spec, params, final and best metrics, environment, artifacts, samples."""
    from .details import SHOW_CHARS, run_details

    st = _store(store)
    with st.held():
        details = run_details(st, run, samples=n_samples, clip=None if as_json else SHOW_CHARS)
    if as_json:
        _json(details.to_json())
        return
    from .show_view import show_view

    _print(*show_view(details, flat_params))


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("--all", "all_params", is_flag=True, help="every param, not only those that differ")
@click.option("--json", "as_json", is_flag=True, help="params and metrics as JSON")
@store_option
def compare(runs: tuple[str, ...], all_params: bool, as_json: bool, store: str | None) -> None:
    """Runs side by side: the params that differ and the final metrics (a sweep id = its trials)."""
    from .compare import compare_metrics, differing_params, param_values, run_labels
    from .refs import resolve_runs
    from .render import frame_table, header_lines

    st = _store(store)
    with st.held():
        ids = resolve_runs(st, runs)
        params = param_values(st, ids) if all_params else differing_params(st, ids)
        metrics = compare_metrics(st, ids)
        labels = run_labels(st, ids)
    if as_json:
        _json({"runs": ids, "params": params.to_dicts(), "metrics": metrics.to_dicts()})
        return
    headers = header_lines(labels)
    what = "params" if all_params else "params that differ"
    if params.height:
        _print(frame_table(params, what, ["param", *headers]))
    else:
        _print(f"[dim]no {what}[/dim]")
    _print(frame_table(metrics, "final metrics", ["metric", *headers], numeric=ids))


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("-U", "--context", default=3, show_default=True, help="lines of context")
@store_option
def diff(run_a: str, run_b: str, context: int, store: str | None) -> None:
    """The resolved specs of two runs as a unified diff of their canonical YAML."""
    from .compare import spec_diff
    from .refs import resolve_run

    st = _store(store)
    with st.held():
        text = spec_diff(st, resolve_run(st, run_a), resolve_run(st, run_b), context)
    if not text:
        click.echo("the resolved specs are identical")
        return
    color = sys.stdout.isatty()
    for line in text.splitlines():
        fg = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1]) if color else None
        click.echo(click.style(line, fg=fg) if fg else line)


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("-m", "--metric", required=True, help="metric name, or split/name (eval/accuracy)")
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="PNG file (default: METRIC.png)"
)
@click.option("--title", default=None)
@store_option
def plot(
    runs: tuple[str, ...], metric: str, out: str | None, title: str | None, store: str | None
) -> None:
    """A metric against step for runs (a sweep id = its trials), as a PNG."""
    from .plot import plot_metric
    from .refs import resolve_runs

    out = out or metric.replace("/", "_") + ".png"
    if not out.lower().endswith(".png"):
        raise UserError(f"--out {out}: plots are written as PNG; give a file name ending in .png")
    st = _store(store)
    with st.held():
        ids = resolve_runs(st, runs)
        path = plot_metric(st, ids, metric, out, title)
    click.echo(f"wrote {path} ({len(ids)} run(s))")


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("--out", type=click.Path(dir_okay=False), default="report.html", show_default=True)
@click.option("--max-plots", default=12, show_default=True, help="metrics drawn at most")
@click.option("--samples", "n_samples", default=10, show_default=True, help="sample rows shown")
@store_option
def report(
    runs: tuple[str, ...], out: str, max_plots: int, n_samples: int, store: str | None
) -> None:
    """One self-contained HTML page on runs or a sweep (plots embedded), openable from disk."""
    from .report import write_report

    st = _store(store)
    with st.held():
        path = write_report(st, runs, out, max_plots=max_plots, samples=n_samples)
    click.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("-n", "--limit", default=10, show_default=True, help="rows shown")
@click.option("--split", default=None, help="only this split (eval, test...)")
@click.option("--json", "as_json", is_flag=True)
@store_option
def samples(
    runs: tuple[str, ...], limit: int, split: str | None, as_json: bool, store: str | None
) -> None:
    """Stored inputs, references and outputs of runs side by side (aligned on the input)."""
    from .compare import run_labels
    from .refs import resolve_runs
    from .render import frame_table, header_lines
    from .samples import samples_side_by_side

    st = _store(store)
    with st.held():
        ids = resolve_runs(st, runs)
        frame = samples_side_by_side(st, ids, limit=limit, split=split)
        labels = run_labels(st, ids)
    if as_json:
        _json(frame.to_dicts())
        return
    if frame.is_empty():
        _print("[dim]no samples stored for these runs[/dim]")
        return
    _print(frame_table(frame, None, ["split", "input", "reference", *header_lines(labels)]))


@click.command()
@click.argument("run")
@override_option
@click.option("--local", is_flag=True, help="run in this process instead of a Ray actor")
@click.option(
    "--address", default=None, help="join an existing Ray cluster (default: $RAY_ADDRESS)"
)
@click.option("-q", "--quiet", is_flag=True, help="no progress output")
@click.option("-v", "--verbose", is_flag=True, help="show worker and framework logs")
@click.option(
    "--check",
    is_flag=True,
    help="compare the rerun with the original, metric by metric: exit 0 if every metric, "
    "sample and artifact matches, 1 at the first difference",
)
@store_option
def rerun(
    run: str,
    overrides: tuple[str, ...],
    local: bool,
    address: str | None,
    quiet: bool,
    verbose: bool,
    check: bool,
    store: str | None,
) -> None:
    """Run again from a run's stored resolved spec; the new run records it as its parent."""
    from ..ui import result_table
    from .refs import resolve_run
    from .reproduce import check_rerun
    from .reproduce import rerun as rerun_api

    if store:  # as `specrun run --store` does: components that read other runs read this one
        import os

        os.environ["SPECRUN_STORE"] = os.path.abspath(store)
    st = _store(store)
    original = resolve_run(st, run)
    result = rerun_api(
        st, original, overrides, local=local, address=address, quiet=quiet, verbose=verbose
    )
    _print(result_table(result, st.path))
    _print(f"run id: [bold]{result.run_id}[/bold] (rerun of {original})")
    if check and result.status == "finished":
        from .repro_check import check_table

        verdict = check_rerun(st, original, result.run_id)
        _print(check_table(verdict))
        if verdict.skipped_timings:
            skipped = ", ".join(verdict.skipped_timings)
            _print(f"[dim]not compared (timings, cache use): {skipped}[/dim]")
        if verdict.matched:
            _print(f"[green]reproduced:[/green] {result.run_id} matches {original}")
        else:
            click.echo(
                click.style("differs: ", fg="red", bold=True)
                + f"rerun {result.run_id} parts from {original}: "
                f"{verdict.first_difference()} (original vs rerun)",
                err=True,
            )
            sys.exit(1)
    if result.status != "finished":
        click.echo(
            click.style("error: ", fg="red", bold=True) + f"run {result.run_id} {result.status}: "
            f"{result.error}",
            err=True,
        )
        sys.exit(2 if result.user_error else 130 if result.status == "interrupted" else 1)


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option(
    "--to",
    "target",
    nargs=2,
    type=(click.Choice(["parquet"]), click.Path(file_okay=False)),
    required=True,
    metavar="parquet DIR",
    help="format and folder: --to parquet DIR",
)
@click.option("--with-files", is_flag=True, help="also copy the runs' artifact files")
@click.option("--overwrite", is_flag=True, help="write into a folder that is not empty")
@store_option
def export(
    runs: tuple[str, ...],
    target: tuple[str, str],
    with_files: bool,
    overwrite: bool,
    store: str | None,
) -> None:
    """Rows of runs (runs, params, metrics, samples, artifacts, environment, sweeps) as Parquet."""
    from .export import export_parquet
    from .refs import resolve_runs
    from .render import frame_table

    st = _store(store)
    with st.held():
        ids = resolve_runs(st, runs)
        written = export_parquet(st, ids, target[1], with_files=with_files, overwrite=overwrite)
    _print(frame_table(written, f"exported {len(ids)} run(s)", numeric=["rows"]))


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="do not ask for confirmation")
@click.option("--force", is_flag=True, help="also remove runs still marked running")
@click.option(
    "--keep-files", is_flag=True, help="leave the artifact folders (gc removes them later)"
)
@store_option
def rm(runs: tuple[str, ...], yes: bool, force: bool, keep_files: bool, store: str | None) -> None:
    """Delete runs (a sweep id = its trials) from every table of the store, and their artifacts."""
    from .cleanup import remove_runs
    from .refs import resolve_runs, run_rows

    st = _store(store)
    with st.held():  # released before the write below: one process cannot hold both
        ids = resolve_runs(st, runs)
        rows = run_rows(st, ids)
    if not yes:
        for r in rows.iter_rows(named=True):
            click.echo(f"  {r['run_id']}  {r['name']}  {r['status']}  {str(r['created_at'])[:19]}")
        # Piped answers work too (`echo y | specrun rm ...`); no answer at all removes nothing.
        try:
            confirmed = click.confirm(f"remove these {len(ids)} run(s) and their artifacts?")
        except click.Abort:
            confirmed = False
        if not confirmed:
            raise UserError("nothing removed (answer y to confirm, or pass --yes)")
    removal = remove_runs(st, ids, force=force, keep_files=keep_files)
    counts = ", ".join(f"{n} {t}" for t, n in removal.rows.items() if n)
    click.echo(
        f"removed {len(ids)} run(s): {counts}; {len(removal.folders)} artifact folder(s), "
        f"{removal.bytes_freed / 1e6:.1f} MB"
    )


@click.command()
@click.option("--dry-run", is_flag=True, help="list what would be removed")
@store_option
def gc(dry_run: bool, store: str | None) -> None:
    """Remove artifact folders of runs no longer in the store (and cut-short copies)."""
    from .cleanup import collect_garbage

    removal = collect_garbage(_store(store), dry_run=dry_run)
    for path in removal.folders:
        click.echo(f"  {path}")
    verb = "would free" if dry_run else "freed"
    click.echo(f"{len(removal.folders)} item(s), {verb} {removal.bytes_freed / 1e6:.1f} MB")


COMMANDS = (show, compare, diff, plot, report, samples, rerun, export, rm, gc)


def add_commands(cli: click.Group) -> None:
    """Called by specrun.cli: add the history commands to the ``specrun`` group."""
    for command in COMMANDS:
        cli.add_command(command)
