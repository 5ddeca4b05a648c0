"""The Ray Tune side of a sweep: a searcher for planned trials, and the ``Tuner``.

Imported only when a sweep runs (it imports ray.tune).
"""

from __future__ import annotations

from typing import Any

from ray import tune
from ray.tune.search import Searcher

from .space import PLANNED_KEY, SweepPlan, build_scheduler, build_searcher, trial_of
from .trial import trial_main


class PlannedSearch(Searcher):
    """Hands out trials planned on the driver (random, grid) in order, then says FINISHED.

    Planning outside Tune keeps trial i the same trial across a resume."""

    def __init__(self, trials: list[tuple[int, dict[str, Any]]], metric: str, mode: str):
        super().__init__(metric=metric, mode=mode)
        self.queue = list(trials)

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict, **spec: Any
    ) -> bool:
        return True  # metric and mode come from our constructor; there is no param space

    # Tune's stub says dict | None, but its own protocol ends a searcher with the string
    # Searcher.FINISHED.
    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:  # type: ignore[override]
        if not self.queue:
            return Searcher.FINISHED
        index, values = self.queue.pop(0)
        return {"trial_index": index, "values": values}

    def on_trial_complete(
        self, trial_id: str, result: dict | None = None, error: bool = False
    ) -> None:
        pass


def _silent_progress() -> Any:
    """Tune prints each trial's last result unless given a progress callback of its own."""
    from ray.tune.progress_reporter import TrialProgressCallback

    class SilentProgress(TrialProgressCallback):
        def _print(self, msg: str) -> None:
            pass

    return SilentProgress()


def trial_resources(res: dict[str, Any]) -> dict[str, float]:
    out = {"cpu": float(res.get("cpus", 1)), "gpu": float(res.get("gpus", 0))}
    if res.get("memory"):
        out["memory"] = float(res["memory"])
    out.update({k: float(v) for k, v in (res.get("custom") or {}).items()})
    return out


def build_tuner(
    plan: SweepPlan,
    collector: Any,
    callbacks: list[Any],
    storage: str,
    name: str,
    pending: list[tuple[int, dict[str, Any]]] | None,
    done: list[tuple[dict[str, Any], float]],
    remaining: int,
) -> tune.Tuner:
    """``pending``: planned trials still to run; adaptive searchers get ``done`` (finished
    trials of a resumed sweep, as evaluated points) and sample ``remaining`` more."""
    from ray.tune import FailureConfig, RunConfig, TuneConfig

    from ..runner.driver import actor_options

    env = (actor_options(plan.base)["runtime_env"] or {}).get("env_vars", {})  # as for a single run
    trainable = tune.with_parameters(
        trial_main,
        base=plan.base,
        spec_path=plan.spec.path,
        spec_text=plan.spec.text,
        collector=collector,
        metric=plan.metric,
        env=env,
        checkpoints=plan.scheduler == "pbt",
    )
    # A function of the config: resources can be swept like any other value.
    # Tune takes a plain resource dict from the function too (its stub says only a
    # PlacementGroupFactory); the sweep tests run trials with swept resources this way.
    trainable = tune.with_resources(
        trainable,
        lambda config: trial_resources(plan.resources_of(trial_of(config)[1])),  # type: ignore[arg-type,return-value]
    )
    limit = plan.max_concurrent
    if pending is not None and plan.scheduler == "pbt":
        # PBT refuses any searcher but Tune's own generator: the planned trials become
        # one grid over whole trials, in order.
        planned = [{"trial_index": i, "values": values} for i, values in pending]
        searcher, param_space, num_samples = None, {PLANNED_KEY: tune.grid_search(planned)}, 1
    elif pending is not None:
        searcher, param_space, num_samples = (
            PlannedSearch(pending, plan.metric, plan.mode),
            {},
            len(pending),
        )
        # Tune keeps one trial pending at a time for a custom searcher unless there is a
        # concurrency limit: with all trials pending, each starts as soon as resources free up.
        limit = limit or max(len(pending), 1)
    else:
        searcher = build_searcher(plan, done)
        param_space = {d.path: d.tune_domain() for d in plan.dims}
        num_samples = remaining
    tune_config = TuneConfig(
        metric=plan.metric,
        mode=plan.mode,
        search_alg=searcher,
        scheduler=build_scheduler(plan, nested=pending is not None),
        num_samples=num_samples,
        max_concurrent_trials=limit,
        # A fresh actor per trial costs a Python start and every import: 3x slower sweeps of
        # short trials on 2 cores (benchmarks/bench_sweep.py). Trials a scheduler stops or
        # pauses end their thread with SystemExit (sweep.trial.trial_main), so Tune can reset
        # the actor for the next trial.
        reuse_actors=True,
    )
    run_config = RunConfig(
        name=name,
        storage_path=storage,
        verbose=0,
        callbacks=[*callbacks, _silent_progress()],
        failure_config=FailureConfig(max_failures=plan.max_failures),
    )
    return tune.Tuner(
        trainable, param_space=param_space, tune_config=tune_config, run_config=run_config
    )
