"""One self-contained HTML page about a run, several runs or a sweep: tables of runs,
params, metrics and samples, with the plots embedded as base64 PNGs so that the file can
be mailed or opened from disk with nothing else beside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..store.query import Store
from . import html as h
from .compare import canonical_yaml, compare_metrics, differing_params, param_values, run_labels
from .metrics import best_metrics, direction, metric_names
from .plot import render_png, series_with_labels
from .refs import resolve_runs, run_rows
from .samples import samples_side_by_side

# Evaluation metrics are what people compare; train curves come after them.
_SPLIT_ORDER = {"eval": 0, "test": 1, "train": 2}


def build_report(store: Store, refs: Sequence[str], max_plots: int = 12, samples: int = 10) -> str:
    """The HTML text of the report on ``refs`` (run ids, prefixes, names or sweep ids)."""
    run_ids = resolve_runs(store, refs)
    runs = run_rows(store, run_ids)
    labels = run_labels(store, run_ids)
    sweep = _whole_sweep(store, runs)
    metrics_wide = compare_metrics(store, run_ids)
    parts = []
    if sweep is not None:
        parts.append(_sweep_section(sweep))
    parts.append(_runs_section(runs, labels))
    parts.append(_params_section(store, run_ids, labels))
    parts.append(_metrics_section(store, run_ids, labels, metrics_wide, sweep))
    parts.append(_plots_section(store, run_ids, max_plots))
    parts.append(_samples_section(store, run_ids, labels, samples))
    if len(run_ids) == 1:
        parts.extend(_single_run_sections(store, runs.row(0, named=True)))
    if sweep is not None:
        title = f"sweep {sweep['name']} ({sweep['sweep_id']})"
    elif len(run_ids) == 1:
        title = f"run {runs['name'][0]} ({run_ids[0]})"
    else:
        title = f"{len(run_ids)} runs: " + ", ".join(sorted(set(runs["name"].to_list())))[:120]
    generated = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return h.page(title, f"specrun report · store {store.path} · generated {generated}", parts)


def write_report(store: Store, refs: Sequence[str], out: str | Path, **kwargs: Any) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(store, refs, **kwargs), encoding="utf-8")
    return out


def _whole_sweep(store: Store, runs: Any) -> dict[str, Any] | None:
    """The sweep row when the runs are exactly the trials of one sweep."""
    sweep_ids = set(runs["sweep_id"].to_list())
    if len(sweep_ids) != 1 or None in sweep_ids:
        return None
    sweep_id = sweep_ids.pop()
    trials = store._q("SELECT count(*) AS n FROM runs WHERE sweep_id = ?", [sweep_id])["n"][0]
    if trials != runs.height:
        return None
    row = store._q("SELECT * FROM sweeps WHERE sweep_id = ?", [sweep_id])
    if row.height:
        return row.row(0, named=True)
    return {
        "sweep_id": sweep_id,
        "name": runs["name"][0],
        "status": "unknown",
        "metric": None,
        "mode": None,
    }


def _sweep_section(sweep: dict[str, Any]) -> str:
    keys = (
        "sweep_id",
        "name",
        "status",
        "metric",
        "mode",
        "num_samples",
        "best_run_id",
        "best_value",
        "created_at",
        "ended_at",
        "error",
    )
    rows = [(k, sweep.get(k)) for k in keys if sweep.get(k) is not None]
    return h.section("Sweep", h.table(["field", "value"], rows))


def _runs_section(runs: Any, labels: dict[str, str]) -> str:
    rows = []
    for r in runs.iter_rows(named=True):
        duration = (
            f"{r['duration_s']:.1f}s"
            if r["duration_s"] is not None
            else "still running"
            if r["status"] == "running"
            else None
        )
        rows.append(
            (
                r["run_id"],
                labels[r["run_id"]],
                h.status(r["status"]),
                str(r["created_at"])[:19],
                duration,
                r["seed"],
                r["parent_id"],
                r["error"],
            )
        )
    header = ["run id", "label", "status", "created", "duration", "seed", "parent", "error"]
    return h.section("Runs", h.table(header, rows))


def _params_section(store: Store, run_ids: list[str], labels: dict[str, str]) -> str:
    every = param_values(store, run_ids)
    header = ["param", *[labels[r] for r in run_ids]]
    all_table = h.table(header, every.rows())
    if len(run_ids) == 1:
        return h.section("Params", all_table)
    diff = differing_params(store, run_ids)
    body = h.table(header, diff.rows()) if diff.height else "<p>All params are equal.</p>"
    return h.section(
        "Params that differ", body + h.collapsed(f"all {every.height} params", all_table)
    )


def _metrics_section(
    store: Store,
    run_ids: list[str],
    labels: dict[str, str],
    wide: Any,
    sweep: dict[str, Any] | None,
) -> str:
    if wide.is_empty():
        return h.section("Metrics", "<p>No metric logged yet.</p>")
    rows, marked = [], set()
    for i, row in enumerate(wide.iter_rows(named=True)):
        values = [row[r] for r in run_ids]
        present = [(v, j) for j, v in enumerate(values) if v is not None]
        if len(run_ids) > 1 and present:
            mode = _mode_for(row["metric"], sweep)
            best = (max if mode == "max" else min)(present)
            marked.add((i, best[1] + 1))
        rows.append([row["metric"], *values])
    numeric = [False] + [True] * len(run_ids)
    final = h.table(["final value", *[labels[r] for r in run_ids]], rows, numeric, marked)
    best = best_metrics(store, run_ids)
    best_rows = [
        (labels[r["run_id"]], f"{r['split']}/{r['name']}", r["direction"], r["value"], r["step"])
        for r in best.iter_rows(named=True)
    ]
    best_table = h.table(
        ["run", "metric", "better", "best value", "at step"],
        best_rows,
        [False, False, False, True, True],
    )
    note = (
        "The last value of each metric; the best run of each row is highlighted."
        if len(run_ids) > 1
        else "The last value of each metric."
    )
    return h.section(
        "Metrics", final + h.collapsed("best value of each metric and its step", best_table), note
    )


def _mode_for(metric: str, sweep: dict[str, Any] | None) -> str:
    name = metric.rsplit("/", 1)[-1]
    if sweep and sweep.get("mode") in ("min", "max") and sweep.get("metric") in (name, metric):
        return str(sweep["mode"])
    return direction(name)


def _plots_section(store: Store, run_ids: list[str], max_plots: int) -> str:
    names = sorted(
        metric_names(store, run_ids), key=lambda m: (_SPLIT_ORDER.get(m.split("/")[0], 3), m)
    )
    if not names:
        return h.section("Plots", "<p>No metric logged yet.</p>")
    images = []
    for metric in names[:max_plots]:
        series = series_with_labels(store, run_ids, metric)
        images.append(h.png(render_png(series, metric), f"{metric} by step"))
    note = f"{len(names) - max_plots} more metric(s) not drawn." if len(names) > max_plots else None
    return h.section("Plots", "".join(images), note)


def _samples_section(store: Store, run_ids: list[str], labels: dict[str, str], limit: int) -> str:
    frame = samples_side_by_side(store, run_ids, limit=limit)
    if frame.is_empty():
        return h.section("Samples", "<p>No samples stored.</p>")
    header = ["split", "input", "reference", *[f"output: {labels[r]}" for r in run_ids]]
    rows = []
    for split, text, reference, *outputs in frame.rows():
        marked = [
            h.mismatch(o) if o is not None and reference is not None and o != reference else o
            for o in outputs
        ]
        rows.append([split, text, reference, *marked])
    note = (
        "The newest step's samples of each run, aligned on the input; "
        "an output that differs from the reference is marked."
    )
    return h.section("Samples", h.table(header, rows), note)


def _single_run_sections(store: Store, run: dict[str, Any]) -> list[str]:
    run_id = run["run_id"]
    parts = []
    if run.get("error"):
        body = h.pre(run["error"]) + (
            h.collapsed("traceback", h.pre(run["traceback"])) if run.get("traceback") else ""
        )
        parts.append(h.section("Error", body))
    env = store.environment(run_id)
    if env.height:
        row = env.row(0, named=True)
        rows = [
            (k, row[k])
            for k in ("python", "platform", "host", "cpu_count", "gpus", "git_commit", "git_dirty")
        ]
        parts.append(h.section("Environment", h.table(["field", "value"], rows)))
    artifacts = store.artifacts(run_id)
    if artifacts.height:
        artifact_rows: list[tuple[Any, ...]] = [
            (a["name"], a["kind"], a["bytes"], a["sha256"][:16])
            for a in artifacts.iter_rows(named=True)
        ]
        parts.append(
            h.section(
                "Artifacts",
                h.table(
                    ["name", "kind", "bytes", "sha256"], artifact_rows, [False, False, True, False]
                ),
            )
        )
        parts.extend(_html_artifacts(store, run_id, artifacts))
    parts.append(h.section("Resolved spec", h.pre(canonical_yaml(run.get("spec_resolved")))))
    return parts


# An HTML artifact larger than this is listed, not embedded: the report must stay mailable.
HTML_EMBED_LIMIT = 5_000_000


def _html_artifacts(store: Store, run_id: str, artifacts: Any) -> list[str]:
    """Artifacts of kind ``html`` (an executed notebook, a plugin's own report) shown in the
    page, each in a sandboxed frame so that its styles and scripts stay its own."""
    parts = []
    for a in artifacts.filter(kind="html").iter_rows(named=True):
        path = store.artifact_path(run_id, a["name"])
        if not path.is_file() or a["bytes"] > HTML_EMBED_LIMIT:
            continue
        frame = (
            f'<iframe sandbox title="{h.esc(a["name"])}" srcdoc="{h.esc(path.read_text("utf-8"))}" '
            'style="width:100%;height:70vh;border:1px solid #ccc"></iframe>'
        )
        parts.append(h.section(a["name"], frame, "an HTML artifact of the run, embedded"))
    return parts
