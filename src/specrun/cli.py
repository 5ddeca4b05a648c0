"""The command line: a thin layer over the Python API. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import click

from .cli_options import address_option, override_option, store_option
from .cli_options import fail as _fail
from .cli_options import on_sigterm as _on_sigterm
from .errors import UserError

__all__ = ["address_option", "cli", "main", "override_option", "store_option"]


class SpecrunGroup(click.Group):
    """Turns user errors into one message and exit code 2, and loads plugin commands."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            _fail(str(exc), exc.exit_code)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_plugin_commands(self)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is None:
            _load_plugin_commands(self)
            cmd = super().get_command(ctx, name)
        return cmd


_plugin_commands_loaded = False


def _load_plugin_commands(group: click.Group) -> None:
    global _plugin_commands_loaded
    if _plugin_commands_loaded:
        return
    _plugin_commands_loaded = True
    from .plugins import get_manager

    # One faulty plugin must not take the whole CLI down: report it and go on.
    for impl in get_manager().hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=group)
        except Exception as exc:  # noqa: BLE001
            click.echo(
                click.style("warning: ", fg="yellow")
                + f"plugin {impl.plugin_name!r} could not add its commands: {type(exc).__name__}: {exc}",
                err=True,
            )


@click.group(cls=SpecrunGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="specrun")
def cli() -> None:
    """specrun: one YAML spec -> a validated, reproducible, recorded experiment."""


@cli.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@override_option
def validate(specs: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check specs without running them (no torch, tensorflow or ray is imported)."""
    from .errors import SpecError
    from .spec import load_spec

    problems = 0
    for path in specs:
        try:
            spec = load_spec(path, overrides)
        except SpecError as exc:
            problems += len(exc.issues)
            for issue in exc.issues:
                click.echo(click.style("error: ", fg="red", bold=True) + str(issue), err=True)
            continue
        click.echo(f"ok  {path}  (name={spec.name}, hash={spec.hash[:12]})")
    if problems:
        click.echo(f"{problems} problem(s) in {len(specs)} spec(s)", err=True)
        sys.exit(2)


def _print_result(result: Any, store: str | None = None) -> None:
    from .ui import out_console, result_table

    out_console.print(result_table(result, store))
    out_console.print(f"run id: [bold]{result.run_id}[/bold]")


@cli.command()
@click.argument("spec", type=click.Path())
@override_option
@click.option(
    "--local", is_flag=True, help="run in this process instead of a Ray actor (debugging)"
)
@address_option
@store_option
@click.option("-q", "--quiet", is_flag=True, help="no progress output")
@click.option("-v", "--verbose", is_flag=True, help="show worker and framework logs")
@click.option("--no-sweep", is_flag=True, help="run the spec once, ignoring its sweep: section")
def run(
    spec: str,
    overrides: tuple[str, ...],
    local: bool,
    address: str | None,
    store: str | None,
    quiet: bool,
    verbose: bool,
    no_sweep: bool,
) -> None:
    """Run an experiment: data -> augment -> model -> trainer -> metrics, recorded in the store."""
    from .spec import load_spec

    if verbose:
        os.environ["SPECRUN_VERBOSE"] = "1"  # reaches Ray workers: plugins keep framework logs on
    if store:
        # Components that read other runs (an ensemble of stored models) read this store,
        # in this process or in a Ray worker (which gets the driver's SPECRUN_* variables).
        os.environ["SPECRUN_STORE"] = os.path.abspath(store)
    resolved = load_spec(spec, (*overrides, "sweep=null") if no_sweep else overrides)
    signal.signal(signal.SIGTERM, _on_sigterm)
    if resolved.data.get("sweep"):
        from .sweep.commands import exit_for_sweep
        from .sweep.driver import run_sweep

        exit_for_sweep(
            run_sweep(resolved, store=store, address=address, quiet=quiet, verbose=verbose), spec
        )
        return
    if resolved.data.get("cv"):
        from .cv.driver import run_cv
        from .sweep.commands import exit_for_cv

        exit_for_cv(
            run_cv(
                resolved,
                store=store,
                mode="local" if local else "ray",
                address=address,
                quiet=quiet,
                verbose=verbose,
            )
        )
        return
    from .runner.driver import run_spec

    result = run_spec(
        resolved,
        store=store,
        mode="local" if local else "ray",
        address=address,
        quiet=quiet,
        verbose=verbose,
    )
    _print_result(result, store)
    if result.status == "interrupted":
        _fail(f"run {result.run_id} interrupted; metrics logged so far are in the store", 130)
    if result.status != "finished":
        if result.user_error:
            _fail(f"run {result.run_id} failed: {result.error}", 2)
        _fail(
            f"run {result.run_id} failed: {result.error}\n(the traceback is stored with the run: "
            f"specrun query \"SELECT traceback FROM runs WHERE run_id='{result.run_id}'\")",
            1,
        )


@cli.command()
@click.option("--name", default=None, help="name pattern (* wildcards)")
@click.option("--tag", default=None)
@click.option(
    "--status",
    default=None,
    type=click.Choice(["running", "finished", "failed", "interrupted", "stopped"]),
)
@click.option("--sweep", default=None, help="runs of a sweep id")
@click.option(
    "--where",
    "-w",
    "where",
    multiple=True,
    metavar="PATH OP VALUE",
    help="keep runs whose param or final metric matches, e.g. model.optimizer=adam, "
    "model.lr<=1e-3, eval/accuracy>0.8 (OP: = != < <= > >=; repeat for AND)",
)
@click.option(
    "--sort",
    default=None,
    metavar="SPLIT/METRIC",
    help="best runs first by this final metric (a loss ascending, others descending; "
    "+ or - in front forces ascending or descending)",
)
@click.option(
    "--last", default=20, show_default=True, type=int, help="at most this many runs (0: all)"
)
@store_option
def runs(
    name: str | None,
    tag: str | None,
    status: str | None,
    sweep: str | None,
    where: tuple[str, ...],
    sort: str | None,
    last: int,
    store: str | None,
) -> None:
    """List runs with their headline metrics: the newest first, or the best first with --sort.

    \b
    specrun runs --where model.optimizer=adam --sort eval/accuracy --last 10
    """
    from rich.table import Table

    from .store import open_store
    from .ui import out_console

    st = open_store(store)
    df = st.runs(
        name=name, tag=tag, status=status, sweep=sweep, last=last, where=list(where), sort=sort
    )
    headline = _headline_metrics(st, df["run_id"].to_list())
    table = Table(title=f"runs in {st.path}")
    ranked = df.columns[-1] if sort else None
    for col in (
        "run id",
        "name",
        "status",
        "created",
        "duration",
        *([ranked] if ranked else []),
        "metrics",
    ):
        table.add_column(col, justify="right" if col == ranked else "left")
    colors = {
        "finished": "green",
        "failed": "red",
        "interrupted": "yellow",
        "running": "cyan",
        "stopped": "yellow",
    }
    for row in df.iter_rows(named=True):
        dur = f"{row['duration_s']:.1f}s" if row["duration_s"] is not None else ""
        value = [] if ranked is None else ["" if row[ranked] is None else f"{row[ranked]:.4g}"]
        table.add_row(
            row["run_id"],
            row["name"],
            f"[{colors.get(row['status'], 'white')}]{row['status']}",
            str(row["created_at"])[:19],
            dur,
            *value,
            headline.get(row["run_id"], ""),
        )
    out_console.print(table)


def _headline_metrics(st: Any, run_ids: list[str]) -> dict[str, str]:
    if not run_ids:
        return {}
    placeholders = ",".join("?" * len(run_ids))
    df = st._q(
        f"""SELECT run_id, split, name, arg_max(value, step) AS value FROM metrics
            WHERE run_id IN ({placeholders}) AND split IN ('eval', 'test')
            GROUP BY run_id, split, name ORDER BY run_id, split, name""",
        run_ids,
    )
    out: dict[str, list[str]] = {}
    for r in df.iter_rows(named=True):
        out.setdefault(r["run_id"], []).append(f"{r['split']}/{r['name']}={r['value']:.4g}")
    return {k: " ".join(v[:4]) for k, v in out.items()}


@cli.command()
@click.argument("sql")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]), default="table"
)
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="file for parquet output"
)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="seconds before the query is stopped",
)
@store_option
def query(sql: str, fmt: str, out: str | None, timeout: float, store: str | None) -> None:
    """Answer read-only SQL over the store (tables: runs, params, metrics, metrics_final, artifacts, samples, environment, sweeps)."""
    from .store import open_store

    df = open_store(store).query(sql, timeout=timeout)
    if fmt == "csv":
        from .store.query import flat_for_csv

        click.echo(flat_for_csv(df).write_csv(), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(df.to_dicts(), default=str, ensure_ascii=False, indent=1))
    elif fmt == "parquet":
        if not out:
            raise UserError("--format parquet needs --out FILE.parquet")
        df.write_parquet(out)
        click.echo(f"wrote {df.height} rows to {out}")
    else:
        from rich.table import Table

        from .ui import out_console

        table = Table()
        for col in df.columns:
            table.add_column(col)
        for row in df.iter_rows():
            table.add_row(*["" if v is None else str(v) for v in row])
        out_console.print(table)
        click.echo(f"{df.height} row(s)", err=True)


@cli.command()
def plugins() -> None:
    """List every section, kind, plugin package and version (and plugins that failed to load)."""
    from rich.table import Table

    from .plugins import get_registry
    from .ui import out_console

    reg = get_registry()
    table = Table(title="installed components")
    for col in ("section", "kind", "plugin", "package", "version", "description"):
        table.add_column(col)
    for (section, kind), comp in sorted(reg.components.items()):
        table.add_row(section, kind, comp.plugin, comp.package, comp.version, comp.description)
    out_console.print(table)
    for b in reg.broken:
        click.echo(
            click.style("broken plugin: ", fg="red") + f"{b.name} ({b.package}): {b.error}",
            err=True,
        )


@cli.command()
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="write to a file instead of stdout"
)
def schema(out: str | None) -> None:
    """Print the JSON Schema of a spec with every installed plugin's params (for editors)."""
    from .spec import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"wrote {out}")
    else:
        click.echo(text)


def _add_core_commands() -> None:
    """Command families that live in their own modules (each with ``add_commands(cli)``)."""
    import importlib

    for module in ("specrun.history.commands", "specrun.sweep.commands"):
        importlib.import_module(module).add_commands(cli)


_add_core_commands()


# Commands that execute a run in this process (--local) or start its driver.
RUN_COMMANDS = ("run", "rerun", "sweep", "cv")


def _fix_hash_seed() -> None:
    """Give a run a fixed str hash seed: restart this process with PYTHONHASHSEED=0.

    Python salts ``hash(str)`` per process, so code that iterates a set of strings (a
    vocabulary, the keys of a merged config...) sees another order in a fresh process, and
    a rerun gives other numbers. The seed can only be set before the interpreter starts,
    hence the exec (same pid, so signals and process managers see no difference)."""
    if os.environ.get("PYTHONHASHSEED"):  # chosen by the user (or set by the exec below)
        return
    args = sys.argv[1:]
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in RUN_COMMANDS:
        return
    os.environ["PYTHONHASHSEED"] = "0"
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(sys.executable, [sys.executable, "-m", "specrun", *args])
    except OSError:
        pass  # go on unseeded rather than not at all


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _fix_hash_seed()
    try:
        cli(prog_name="specrun")
    except KeyboardInterrupt:
        _fail("interrupted", 130)


if __name__ == "__main__":
    main()
