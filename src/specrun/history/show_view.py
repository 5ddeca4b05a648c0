"""The terminal view of one run for `specrun show`: rich renderables built from RunDetails."""

from __future__ import annotations

from typing import Any

from .details import RunDetails
from .render import cell, duration, frame_table, status


def show_view(details: RunDetails, flat_params: bool = False) -> list[Any]:
    """Renderables in reading order: summary, spec or params, metrics, env, artifacts, samples."""
    from rich.syntax import Syntax
    from rich.table import Table

    run = details.run
    out: list[Any] = [_summary(details)]
    if run.get("error"):
        out.append(f"[red bold]error:[/] {cell(run['error'])}")
        if run.get("traceback"):
            out.append(
                "[dim]the traceback is stored with the run: "
                "specrun show --json | jq .run.traceback[/dim]"
            )
    if flat_params:
        out.append(frame_table(details.params, "params", ["path", "type", "value"]))
    else:
        out.append("[bold]resolved spec[/bold] [dim](--params for the flat typed params)[/dim]")
        if run.get("spec_resolved") is None and run.get("spec_resolved_chars"):
            out.append(
                f"[dim]{run['spec_resolved_chars']:,} characters: too long to show here "
                "(specrun show --json)[/dim]"
            )
        else:
            out.append(
                Syntax(_short_yaml(details), "yaml", theme="ansi_dark", background_color="default")
            )
    out.append(_metrics(details))
    env = details.environment
    if env:
        table = Table(title="environment", title_justify="left", show_header=False)
        for key in ("python", "platform", "host", "cpu_count", "gpus", "git_commit", "git_dirty"):
            table.add_row(key, cell(env.get(key)))
        out.append(table)
        out.extend(_provenance(env.get("provenance"), details.run.get("data_fingerprint")))
    if details.artifacts.height:
        out.append(
            frame_table(
                details.artifacts.select("name", "kind", "bytes", "sha256"),
                "artifacts",
                numeric=["bytes"],
            )
        )
    if details.samples.height:
        out.append(
            frame_table(
                details.samples.select("split", "step", "input", "reference", "output"),
                "samples (newest step)",
            )
        )
    if details.children:
        labels = ", ".join(_rerun_label(details, r) for r in details.children)
        out.append(f"reruns of this run: {labels}")
    return out


def _short_yaml(details: RunDetails, limit: int = 500) -> str:
    """The resolved spec as YAML, each long string cut to ``limit`` characters."""
    import json

    from .compare import canonical_yaml

    def cut(v: Any) -> Any:
        if isinstance(v, str) and len(v) > limit:
            return v[:limit] + f"… ({len(v) - limit:,} more characters)"
        if isinstance(v, dict):
            return {k: cut(x) for k, x in v.items()}
        if isinstance(v, list):
            return [cut(x) for x in v]
        return v

    spec = details.run.get("spec_resolved")
    if not spec:
        return ""
    return canonical_yaml(json.dumps(cut(json.loads(spec)))).rstrip()


def _summary(details: RunDetails) -> Any:
    from rich.table import Table

    run = details.run
    table = Table(
        title=f"run {run['run_id']} · {run['name']}", title_justify="left", show_header=False
    )
    rows = [
        ("status", status(run["status"])),
        ("created", str(run["created_at"])[:19]),
        ("duration", duration(run)),
        ("seed", cell(run.get("seed"))),
        ("spec", cell(run.get("spec_path"))),
        ("overrides", " ".join(run.get("overrides") or []) or "–"),
        ("spec hash", cell((run.get("spec_hash") or "")[:16])),
        ("data fingerprint", cell((run.get("data_fingerprint") or "")[:16] or None)),
        ("mode / host", f"{run.get('mode')} on {run.get('host')}"),
        ("parent", cell(run.get("parent_id"))),
        *_reproduces(run),
        ("sweep", cell(run.get("sweep_id"))),
        ("tags", ", ".join(run.get("tags") or []) or "–"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def _rerun_label(details: RunDetails, rerun_id: str) -> str:
    check = details.rerun_checks.get(rerun_id)
    if not check:
        return rerun_id
    if check["repro_check"] == "matched":
        return f"{rerun_id} [green](reproduced it)[/green]"
    return f"{rerun_id} [red](differed: {cell(check['repro_detail'])})[/red]"


def _reproduces(run: dict[str, Any]) -> list[tuple[str, str]]:
    """The row `specrun rerun --check` leaves on a rerun: did it reproduce its parent?"""
    check = run.get("repro_check")
    if not check:
        return []
    if check == "matched":
        return [("reproduces parent", "[green]yes: every metric, sample and artifact[/green]")]
    return [("reproduces parent", f"[red]no: {cell(run.get('repro_detail'))}[/red]")]


def _metrics(details: RunDetails) -> Any:
    from rich.table import Table

    table = Table(title="metrics", title_justify="left")
    for col, justify in (
        ("split", "left"),
        ("metric", "left"),
        ("final", "right"),
        ("at step", "right"),
        ("best", "right"),
        ("at step", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    best = {(r["split"], r["name"]): r for r in details.best.iter_rows(named=True)}
    for r in details.final.iter_rows(named=True):
        b = best.get((r["split"], r["name"]), {})
        arrow = {"min": " ↓", "max": " ↑"}.get(b.get("direction", ""), "")
        table.add_row(
            r["split"],
            r["name"],
            cell(r["value"]),
            cell(r["step"]),
            cell(b.get("value")) + arrow,
            cell(b.get("step")),
        )
    if not details.final.height:
        table.add_row("–", "[dim]no metric logged yet[/dim]", "", "", "", "")
    return table


def _provenance(raw: Any, fingerprint: Any) -> list[Any]:
    """What plugins recorded about the run's inputs (collect_provenance): one table per
    section, one row per file, the run's data fingerprint in the title for comparison."""
    import json

    from rich.table import Table

    data = json.loads(raw) if isinstance(raw, str) else raw
    out: list[Any] = []
    for section, value in (data or {}).items():
        if not isinstance(value, dict):
            continue
        title = f"provenance: {section}"
        if fingerprint:
            title += f" (data fingerprint {str(fingerprint)[:16]})"
        table = Table(title=title, title_justify="left")
        files = value.get("files") or []
        columns = list(dict.fromkeys(k for f in files for k in f))
        for c in columns:
            table.add_column(c)
        for f in files:
            table.add_row(*[cell(f.get(c)) for c in columns])
        out.append(table)
        extra = {k: v for k, v in value.items() if k not in ("files", "warnings")}
        if extra:
            out.append("  " + ", ".join(f"{k}: {cell(v)}" for k, v in extra.items()))
        for w in value.get("warnings") or []:
            out.append(f"[yellow]warning:[/yellow] {cell(w)}")
    return out
