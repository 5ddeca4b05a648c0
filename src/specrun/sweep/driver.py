"""Sweeps: the spec's ``sweep:`` section run on Ray Tune, every trial a run in the store.

``run_sweep`` plans the trials (``space``), records the sweep in the ``sweeps`` table,
runs the trials as Tune trials with the spec's resources (``tune``, ``trial``)
while a Tune callback on the driver writes their runs (``record``), and ends with the
trials sorted by the metric and the best run. ``resume=SWEEP_ID`` runs what is left: planned
trials without a finished or stopped run (failed and interrupted ones run again).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError
from ..spec import ResolvedSpec, canonical_json
from ..store.connection import store_path
from .store import (
    DONE,
    best_run,
    create_sweep,
    finish_sweep,
    latest_per_trial,
    reopen_sweep,
    sorted_trials,
    spec_diff,
    sweep_row,
    trial_runs,
)


@dataclass
class SweepResult:
    sweep_id: str
    name: str
    status: str  # finished, failed, interrupted
    metric: str
    mode: str
    trials: list[dict[str, Any]] = field(default_factory=list)  # sorted by the metric, best first
    best: dict[str, Any] | None = None
    error: str | None = None
    user_error: bool = False
    skipped: int = 0  # trials a resume did not run again
    peak_running: int = 0  # most trials that held their resources at the same time

    @property
    def best_run_id(self) -> str | None:
        return self.best["run_id"] if self.best else None


def _resume_state(path: Any, plan: Any, ref: str) -> tuple[str, dict[int, dict[str, Any]]]:
    row = sweep_row(path, ref)
    stored = canonical_json(json.loads(row["spec_resolved"]))
    if stored != plan.spec.canonical():
        raise UserError(
            f"sweep {row['sweep_id']} was started from a different spec; resuming would mix "
            "trials of two experiments. Run it as a new sweep, or restore the spec:\n"
            + spec_diff(stored, plan.spec.canonical())
        )
    return row["sweep_id"], latest_per_trial(trial_runs(path, row["sweep_id"], plan.metric))


def run_sweep(
    resolved: ResolvedSpec,
    store: str | os.PathLike[str] | None = None,
    address: str | None = None,
    quiet: bool = False,
    verbose: bool = False,
    resume: str | None = None,
    print_result: bool = True,
) -> SweepResult:
    """Run (or resume) the sweep of ``resolved``; every trial is recorded as a run.

    ``quiet``: no progress lines; ``print_result``: end with the table of trials on stdout."""
    result = _run_sweep(resolved, store, address, quiet, verbose, resume)
    if print_result:
        from ..ui import out_console

        out_console.print(sweep_table(result))
        out_console.print(
            f"sweep id: [bold]{result.sweep_id}[/bold]  best run: [bold]{result.best_run_id}[/bold]"
            + (f" ({result.metric}={result.best['value']:.4g})" if result.best else "")
        )
    return result


def _run_sweep(
    resolved: ResolvedSpec,
    store: Any,
    address: str | None,
    quiet: bool,
    verbose: bool,
    resume: str | None,
) -> SweepResult:
    from ..runner.driver import check_cluster_resources, new_run_id, ray_session
    from .space import build_plan

    plan = build_plan(resolved)
    path = store_path(store)
    if resume:
        sweep_id, previous = _resume_state(path, plan, resume)
    else:
        sweep_id, previous = new_run_id(), {}
    done_idx = {i for i, run in previous.items() if run["status"] in DONE}
    if plan.trials is not None:
        pending = [(i, values) for i, values in enumerate(plan.trials) if i not in done_idx]
        left = len(pending)
    else:
        pending, left = None, max(plan.num_samples - len(done_idx), 0)
    if resume and left == 0:
        finish_sweep(path, sweep_id, "finished", best_run(previous, plan.mode))
        return _result(path, plan, sweep_id, "finished", skipped=len(done_idx))
    cluster = address or os.environ.get("RAY_ADDRESS")
    with ray_session(address, verbose) as ray:
        where = f"the Ray cluster at {cluster}" if cluster else "this machine"
        wanted = {
            canonical_json(plan.resources_of(values)): plan.resources_of(values)
            for values in (plan.trials or [{}])
        }
        for resources in wanted.values():  # before anything is written: no node could host it
            check_cluster_resources(ray, resources, where)
        if resume:
            reopen_sweep(path, sweep_id)
        else:
            create_sweep(path, sweep_id, plan)
        hooks, info = _observed(plan, path, sweep_id)
        hooks.sweep_started(sweep=info)
        try:
            status, error, peak = _run_trials(
                ray,
                plan,
                path,
                sweep_id,
                pending,
                previous,
                left,
                "cluster" if cluster else "ray",
                quiet,
                verbose,
            )
        except BaseException as exc:  # noqa: BLE001 - a sweep row never stays 'running'
            interrupted = isinstance(exc, KeyboardInterrupt)
            finish_sweep(
                path,
                sweep_id,
                "interrupted" if interrupted else "failed",
                None,
                "interrupted" if interrupted else f"{type(exc).__name__}: {exc}",
            )
            hooks.sweep_finished(
                sweep=info,
                status="interrupted" if interrupted else "failed",
                error="interrupted" if interrupted else f"{type(exc).__name__}: {exc}",
                best=None,
            )
            raise
    result = _result(path, plan, sweep_id, status, skipped=len(done_idx), error=error)
    result.peak_running = peak
    finish_sweep(path, sweep_id, result.status, result.best, result.error)
    hooks.sweep_finished(sweep=info, status=result.status, error=result.error, best=result.best)
    return result


def _observed(plan: Any, path: Any, sweep_id: str) -> tuple[Any, Any]:
    """The hook caller and the ``SweepInfo`` that observer plugins receive."""
    from ..hooks_api import SweepInfo
    from ..plugins import get_manager

    spec = plan.spec
    info = SweepInfo(sweep_id, spec.name, spec.data, str(path), plan.metric, plan.mode)
    return get_manager().hook, info


def _run_trials(
    ray: Any,
    plan: Any,
    path: Any,
    sweep_id: str,
    pending: Any,
    previous: dict[int, dict[str, Any]],
    left: int,
    mode: str,
    quiet: bool,
    verbose: bool,
) -> tuple[str, str | None, int]:
    from ..multi_display import LineDisplay
    from ..plugins import get_manager
    from ..store.writer import StoreWriter
    from .record import TrialRecorder
    from .tune import build_tuner

    _quiet_tune_logs(verbose)
    writer = StoreWriter(path)
    display = LineDisplay(quiet, verbose)
    collector = _start_collector(ray)
    next_index = max(previous, default=-1) + 1
    recorder = TrialRecorder(
        plan, writer, collector, sweep_id, mode, display, get_manager().hook, next_index
    )
    done = [
        (_values(run), run["value"])
        for run in previous.values()
        if run["status"] in DONE and run["value"] is not None
    ]
    display.line(
        f"sweep [bold]{sweep_id}[/bold]: {left} trial(s) to run"
        + (f" ({plan.total - left} already done)" if plan.total - left else "")
        + f", {plan.search} search, {plan.scheduler} scheduler, metric {plan.metric} ({plan.mode})"
    )
    storage = tempfile.mkdtemp(
        prefix="specrun-tune-"
    )  # Tune's own experiment state: not the record
    interrupted = False
    try:
        tuner = build_tuner(plan, collector, [recorder], storage, sweep_id, pending, done, left)
        tuner.fit()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            recorder.drain()
            recorder.record_silent_errors()
        except Exception:  # noqa: BLE001 - the collector may be gone with the cluster
            pass
        if recorder.runs:
            interrupted = True
            recorder.close_open("interrupted", "the sweep was interrupted (Ctrl-C or SIGTERM)")
        writer.flush()
        from ..store.connection import release_writes

        release_writes()
        shutil.rmtree(storage, ignore_errors=True)
        try:
            ray.kill(collector)
        except Exception:  # noqa: BLE001 - already gone
            pass
    finished_trials = {
        i
        for i, run in latest_per_trial(trial_runs(path, sweep_id, plan.metric)).items()
        if run["status"] not in ("running", "interrupted")
    }
    if interrupted or len(finished_trials) < plan.total:
        return (
            "interrupted",
            "interrupted before every trial ran; continue with --resume",
            recorder.peak_running,
        )
    return "finished", None, recorder.peak_running


def _start_collector(ray: Any) -> Any:
    """The events actor, pinned (hard affinity) to the driver's own node: it must outlive any
    worker node that dies mid-sweep, and while the driver runs its node is alive."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from .trial import EventCollector

    node = ray.get_runtime_context().get_node_id()
    where = NodeAffinitySchedulingStrategy(node, soft=False)
    collector = ray.remote(EventCollector).options(num_cpus=0, scheduling_strategy=where).remote()
    placed = ray.get(collector.node.remote())
    if placed != node:  # the affinity is hard; a mismatch would be a Ray bug, and lose events
        raise RuntimeError(f"the sweep's event collector landed on node {placed}, not {node}")
    return collector


def _values(run: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for text in run.get("overrides") or []:
        key, _, value = text.partition("=")
        out[key] = json.loads(value)
    return out


def _result(
    path: Any, plan: Any, sweep_id: str, status: str, skipped: int = 0, error: str | None = None
) -> SweepResult:
    trials = latest_per_trial(trial_runs(path, sweep_id, plan.metric))
    for run in trials.values():
        run["values"] = _values(run)
    ordered = sorted_trials(trials, plan.mode)
    user_error = False
    if status == "finished" and trials and all(t["status"] == "failed" for t in trials.values()):
        first = min(trials.values(), key=lambda t: t["trial_index"])
        status, error = (
            "failed",
            f"every trial failed; trial {first['trial_index']}: {first['error']}",
        )
        user_error = True
    return SweepResult(
        sweep_id,
        plan.spec.name,
        status,
        plan.metric,
        plan.mode,
        ordered,
        best_run(trials, plan.mode),
        error,
        user_error,
        skipped,
    )


def _quiet_tune_logs(verbose: bool) -> None:
    """Tune logs each trial error with a traceback; the store keeps errors, the console a line."""
    import logging

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # its boxes ignore verbose=0; we print our own
    # A trial that never reports the metric is failed by us, with a message that says so;
    # Tune's strict check would instead abort the whole sweep.
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    if not verbose:
        import warnings

        # Tune suggests actor reuse for pbt; a trial it pauses must end its thread first
        warnings.filterwarnings("ignore", message="Consider boosting PBT performance")
        for name in ("ray.tune", "ray.train", "ray.air"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def sweep_table(result: SweepResult) -> Any:
    """Trials sorted by the metric, best first (a rich Table)."""
    from rich.table import Table

    from ..multi_display import STATUS_COLORS

    paths: list[str] = []
    for t in result.trials:
        paths.extend(k for k in t["values"] if k not in paths)
    nodes = {t["node_id"] for t in result.trials if t.get("node_id")}
    table = Table(title=f"sweep {result.sweep_id} · {result.name} · {result.status}")
    for col in ("#", "trial", "run id", "status", *paths, result.metric):
        table.add_column(col, justify="right" if col in ("#", "trial", result.metric) else "left")
    if len(nodes) > 1:
        table.add_column("node")
    for rank, t in enumerate(result.trials, 1):
        value = "" if t["value"] is None else f"{t['value']:.4g}"
        cells = [
            str(rank),
            str(t["trial_index"]),
            t["run_id"],
            f"[{STATUS_COLORS.get(t['status'], 'white')}]{t['status']}",
            *[_cell(t["values"].get(p)) for p in paths],
            value,
        ]
        if len(nodes) > 1:
            cells.append((t.get("node_id") or "")[:8])
        table.add_row(*cells)
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)
