"""Cross-validation: the spec's ``cv:`` section as K fold runs under one parent run.

The parent run holds the spec and, when every fold finished, the mean and std over folds of
each final metric (``eval/accuracy`` is the mean, ``eval/accuracy_std`` the std). Fold runs
have the same spec, ``parent_id`` = the parent and ``cv_fold`` = i; they run in parallel as
Ray actors with the spec's resources (Ray starts each when resources free up), or one after
another in this process with ``mode="local"``. How a fold gets its data: ``folds``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from ..hooks_api import MetricPoint
from ..multi_display import STATUS_COLORS, LineDisplay
from ..runner.driver import EventRecorder, RunInfo, collect_provenance, new_run_id
from ..runner.placement import record_run_position
from ..store.connection import store_path
from ..store.writer import StoreWriter


@dataclass
class CVResult:
    run_id: str  # the parent run
    name: str
    status: str
    metrics: dict[str, float] = field(default_factory=dict)  # split/name (mean), split/name_std
    folds: list[dict[str, Any]] = field(
        default_factory=list
    )  # fold, run_id, status, metrics, error
    error: str | None = None
    user_error: bool = False
    duration_s: float = 0.0


def aggregate(fold_metrics: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Mean and population std (numpy's default) of every metric that every fold has."""
    import numpy as np

    keys = set.intersection(*(set(m) for m in fold_metrics)) if fold_metrics else set()
    return {
        k: (
            float(np.mean([m[k] for m in fold_metrics])),
            float(np.std([m[k] for m in fold_metrics])),
        )
        for k in sorted(keys)
    }


class _Fold:
    """One fold run on the driver: its row, its recorder, its outcome."""

    def __init__(self, index: int, run_id: str, recorder: EventRecorder):
        self.index, self.run_id, self.recorder = index, run_id, recorder
        self.outcome: dict[str, Any] | None = None
        self.started = time.monotonic()


def run_cv(
    resolved: Any,
    store: str | os.PathLike[str] | None = None,
    mode: str = "ray",
    address: str | None = None,
    quiet: bool = False,
    verbose: bool = False,
    print_result: bool = True,
) -> CVResult:
    """Run every fold of ``resolved`` (a spec with ``cv:``) and record them under a parent."""
    from ..errors import UserError
    from ..runner.driver import check_cluster_resources, check_local_resources, ray_session

    if not resolved.data.get("cv"):
        raise UserError(f"{resolved.path}: the spec has no cv: section")
    if resolved.data.get("sweep"):
        raise UserError("a spec with both sweep: and cv: is not supported yet")
    res = resolved.data.get("resources", {})
    if mode == "local":
        check_local_resources(res)
        result = _record(resolved, store, "local", None, quiet, verbose)
    else:
        cluster = address or os.environ.get("RAY_ADDRESS")
        with ray_session(address, verbose) as ray:
            check_cluster_resources(
                ray, res, f"the Ray cluster at {cluster}" if cluster else "this machine"
            )
            result = _record(resolved, store, "cluster" if cluster else "ray", ray, quiet, verbose)
    if print_result:
        from ..ui import out_console

        out_console.print(cv_table(result))
        out_console.print(
            f"run id: [bold]{result.run_id}[/bold] (parent of {len(result.folds)} fold runs)"
        )
    return result


def _record(spec: Any, store: Any, mode: str, ray: Any, quiet: bool, verbose: bool) -> CVResult:
    from .. import environment
    from ..plugins import get_manager, plugin_versions

    path = store_path(store)
    writer = StoreWriter(path)
    hooks = get_manager().hook
    env, versions = environment.collect(), plugin_versions()
    parent_id = new_run_id()
    parent = RunInfo(parent_id, spec.name, spec.data, str(path), role="cv")
    env["provenance"] = collect_provenance(hooks, parent)  # once: the folds read the same files
    writer.create_run(parent_id, spec, mode, None, None, env, versions)
    hooks.run_started(run=parent)
    display = LineDisplay(quiet, verbose)
    started = time.monotonic()
    folds: list[_Fold] = []
    for i in range(int(spec.data["cv"]["folds"])):
        run_id = new_run_id()
        info = RunInfo(run_id, spec.name, spec.data, str(path), parent_id, None, "fold", i)
        writer.create_run(run_id, spec, mode, parent_id, None, env, versions)
        record_run_position(path, run_id, cv_fold=i)
        hooks.run_started(run=info)
        folds.append(_Fold(i, run_id, EventRecorder(writer, info, display, hooks)))
    display.line(f"cross-validation [bold]{parent_id}[/bold]: {len(folds)} folds")
    try:
        if ray is None:
            _run_local(spec, folds, display)
        else:
            _run_actors(ray, spec, folds, display)
    except KeyboardInterrupt:
        for fold in folds:
            if fold.outcome is None:
                _finish(
                    fold,
                    {"status": "interrupted", "error": "interrupted (Ctrl-C or SIGTERM)"},
                    display,
                )
    return _finish_parent(writer, spec, parent, folds, hooks, time.monotonic() - started)


def _finish(fold: _Fold, outcome: dict[str, Any], display: LineDisplay) -> None:
    fold.outcome = outcome
    rec = fold.recorder
    rec.writer.finish_run(
        fold.run_id, outcome["status"], outcome.get("error"), outcome.get("traceback")
    )
    rec.hooks.run_finished(run=rec.info, status=outcome["status"], error=outcome.get("error"))
    shown = " ".join(
        f"{k}={v:.4g}"
        for k, v in sorted(outcome.get("metrics", {}).items())
        if k.startswith("eval/")
    )
    if outcome["status"] != "finished":
        shown = (outcome.get("error") or "").splitlines()[0][:160] if outcome.get("error") else ""
    color = STATUS_COLORS.get(outcome["status"], "white")
    display.line(
        f"[{color}]fold {fold.index} {outcome['status']}[/{color}] {fold.run_id} {shown} "
        f"[dim]{time.monotonic() - fold.started:.1f}s[/dim]"
    )


def _run_local(spec: Any, folds: list[_Fold], display: LineDisplay) -> None:
    from ..runner.worker import outcome_of, run_pipeline

    for fold in folds:
        fold.started = time.monotonic()
        try:
            outcome = run_pipeline(
                spec.data,
                fold.run_id,
                fold.recorder,
                "cpu",
                local=True,
                spec_path=spec.path,
                cv_fold=fold.index,
            )
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - a driver-side bug is still recorded
            outcome = outcome_of(exc)
        fold.recorder.writer.flush()
        _finish(fold, outcome, display)


def _run_actors(ray: Any, spec: Any, folds: list[_Fold], display: LineDisplay) -> None:
    """All folds at once: Ray starts each actor when resources allow. Draining is
    non-blocking, since a drain call on an actor still waiting for resources would wait too."""
    from ray.exceptions import RayActorError

    from ..runner.driver import actor_options
    from ..runner.worker import RunWorker

    options = actor_options(spec.data)
    actors = {f.index: ray.remote(RunWorker).options(**options).remote() for f in folds}
    runs = {actors[f.index].run.remote(spec.data, f.run_id, spec.path, f.index): f for f in folds}
    drains = {actors[f.index].drain.remote(): f for f in folds}
    try:
        while runs:
            ready, _ = ray.wait(list(runs), num_returns=1, timeout=0.2)
            done_drains, _ = ray.wait(list(drains), num_returns=len(drains), timeout=0)
            for ref in done_drains:
                fold = drains.pop(ref)
                _deliver(ray, fold, ref)
                if fold.outcome is None:
                    drains[actors[fold.index].drain.remote()] = fold
            for ref in ready:
                fold = runs.pop(ref)
                for pending in [r for r, f in drains.items() if f is fold]:  # events in order
                    drains.pop(pending)
                    _deliver(ray, fold, pending)
                try:
                    outcome = ray.get(ref)
                    _deliver(ray, fold, actors[fold.index].drain.remote())
                except RayActorError as exc:
                    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    outcome = {
                        "status": "failed",
                        "error": f"the worker process running the fold died: {reason}",
                    }
                fold.recorder.writer.flush()
                _finish(fold, outcome, display)
                ray.kill(actors[fold.index], no_restart=True)
    finally:
        for actor in actors.values():
            try:
                ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone
                pass


def _deliver(ray: Any, fold: _Fold, ref: Any) -> None:
    from ray.exceptions import RayActorError

    try:
        events = ray.get(ref)
    except RayActorError:
        return  # the run's own ref reports the death
    for event in events:
        fold.recorder(event)


def _finish_parent(
    writer: StoreWriter, spec: Any, parent: RunInfo, folds: list[_Fold], hooks: Any, duration: float
) -> CVResult:
    outcomes = [f.outcome or {"status": "interrupted"} for f in folds]
    rows = [
        {
            "fold": f.index,
            "run_id": f.run_id,
            "status": o["status"],
            "metrics": o.get("metrics", {}),
            "error": o.get("error"),
        }
        for f, o in zip(folds, outcomes, strict=True)
    ]
    metrics: dict[str, float] = {}
    status, error, user_error = "finished", None, False
    bad = [r for r in rows if r["status"] != "finished"]
    if any(r["status"] == "interrupted" for r in rows):
        status, error = "interrupted", "interrupted before every fold finished"
    elif bad:
        status, error = "failed", f"fold {bad[0]['fold']} failed: {bad[0]['error']}"
        user_error = all(o.get("user_error") for o in outcomes if o["status"] == "failed")
    else:
        for key, (mean, std) in aggregate([r["metrics"] for r in rows]).items():
            split, _, name = key.partition("/")
            values: dict[str, float | None] = {name: mean, f"{name}_std": std}
            writer.log_metrics(parent.run_id, split, values, step=0)
            hooks.metrics_logged(
                run=parent, metrics=[MetricPoint(split, k, 0, v) for k, v in values.items()]
            )
            metrics[key], metrics[f"{key}_std"] = mean, std
    writer.finish_run(parent.run_id, status, error)
    from ..store.connection import release_writes

    release_writes()
    hooks.run_finished(run=parent, status=status, error=error)
    return CVResult(parent.run_id, spec.name, status, metrics, rows, error, user_error, duration)


def cv_table(result: CVResult) -> Any:
    """Each fold's eval and test metrics, then the mean ± std (a rich Table)."""
    from rich.table import Table

    keys = sorted(
        {k for r in result.folds for k in r["metrics"] if k.startswith(("eval/", "test/"))}
    )
    table = Table(
        title=f"{result.name} · cross-validation · {result.status} · {result.duration_s:.1f}s"
    )
    for col in ("fold", "run id", "status", *keys):
        table.add_column(col, justify="right" if col in keys else "left")
    for r in result.folds:
        table.add_row(
            str(r["fold"]),
            r["run_id"],
            f"[{STATUS_COLORS.get(r['status'], 'white')}]{r['status']}",
            *[f"{r['metrics'][k]:.4g}" if k in r["metrics"] else "" for k in keys],
        )
    if result.metrics:
        table.add_row(
            "mean ± std",
            result.run_id,
            result.status,
            *[
                f"{result.metrics[k]:.4g} ± {result.metrics[k + '_std']:.2g}"
                if k in result.metrics
                else ""
                for k in keys
            ],
        )
    return table
