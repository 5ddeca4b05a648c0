"""The driver side of a sweep: trials become runs in the store.

``TrialRecorder`` is a Tune callback, so it runs in the driver's Tune loop, in the one
process that writes the store. It drains the trials' events from the ``EventCollector``
actor at every loop step and turns them into rows through the same ``EventRecorder`` as a
single run. Tune tells it how each trial ended: a trial that ends without having sent its
outcome was stopped by the scheduler (ASHA); a trial whose actor died was failed (or is
retried, with ``max_failures``, as a new run).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ray.tune import Callback

from ..multi_display import STATUS_COLORS, LineDisplay
from ..runner.driver import EventRecorder, RunInfo, collect_provenance
from ..runner.placement import record_run_position
from ..store.writer import StoreWriter
from .space import SweepPlan

DRAIN_EVERY_S = 0.25


@dataclass
class TrialRun:
    run_id: str
    trial_id: str
    index: int | None
    values: dict[str, Any]
    recorder: EventRecorder
    started: float = field(default_factory=time.monotonic)
    outcome: dict[str, Any] | None = None


class TrialRecorder(Callback):
    def __init__(
        self,
        plan: SweepPlan,
        writer: StoreWriter,
        collector: Any,
        sweep_id: str,
        mode: str,
        display: LineDisplay,
        hooks: Any,
        next_index: int = 0,
    ):
        self.plan, self.writer, self.collector, self.sweep_id = plan, writer, collector, sweep_id
        self.mode, self.display, self.hooks = mode, display, hooks
        self.provenance: dict[str, Any] | None = None  # collect_provenance, once per sweep
        self.next_index = next_index  # adaptive searchers: trial numbers continue after a resume
        self.runs: dict[str, TrialRun] = {}  # open runs by run id
        self.by_trial: dict[str, str] = {}  # Tune trial id -> its current run id
        self.closed: list[tuple[str, str]] = []  # (run_id, status)
        self.seen: set[str] = set()  # Tune trial ids that have had a run
        self.index_of: dict[str, int | None] = {}  # Tune trial id -> its trial index
        # A trial paused by PBT and resumed from its own checkpoint goes on in the same run:
        # the resumed attempt's run id -> the run it continues.
        self.aliases: dict[str, str] = {}
        self.trials: list[Any] = []  # Tune's trials, as of the last loop step
        self.peak_running = 0  # most trials holding resources at once
        self._last_drain = 0.0

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles its callbacks into its own restore file; the store, not that file,
        # is how a sweep resumes, so nothing of this driver-only object needs to travel.
        return {}

    # -- Tune's callbacks (driver thread) -------------------------------------------
    def on_step_end(self, iteration: int, trials: list[Any], **info: Any) -> None:
        self.trials = trials
        self.peak_running = max(self.peak_running, sum(t.status == "RUNNING" for t in trials))
        if time.monotonic() - self._last_drain >= DRAIN_EVERY_S:
            self.drain()

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.drain()
        run = self._current(trial)
        if run is not None and run.outcome is None:
            reports = trial.last_result.get("training_iteration", 0) if trial.last_result else 0
            self._close(
                run,
                {
                    "status": "stopped",
                    "error": f"stopped early by the {self.plan.scheduler} scheduler after "
                    f"{reports} eval(s)",
                },
            )

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._trial_died(trial, retrying=False)

    def on_trial_recover(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._trial_died(trial, retrying=True)

    # -- events ---------------------------------------------------------------------
    def drain(self) -> None:
        import ray
        from ray.exceptions import ActorUnavailableError

        self._last_drain = time.monotonic()
        try:
            events = ray.get(self.collector.drain.remote())
        except (ActorUnavailableError, ray.exceptions.RaySystemError, ray.exceptions.RpcError):
            return  # a transient network error (a node just died): events wait for the next step
        for run_id, event in events:
            run_id = self.aliases.get(run_id, run_id)
            if event[0] == "trial_start":
                _, trial_id, index, values, source = event
                self._open(run_id, trial_id, index, values, source)
            elif run_id not in self.runs:
                continue  # a late event of a run already closed (e.g. after a stop)
            elif event[0] == "outcome":
                if not event[1].get("tune_stop"):  # Tune's callbacks tell why it stopped a trial
                    self._close(self.runs[run_id], event[1])
            else:
                self.runs[run_id].recorder(event)

    def _open(
        self,
        run_id: str,
        trial_id: str,
        index: int | None,
        values: dict[str, Any],
        source: str | None = None,
    ) -> TrialRun:
        """A trial's run starts. ``source``: the run whose checkpoint it continues (PBT)."""
        from .. import environment
        from ..plugins import plugin_versions

        if trial_id in self.index_of:  # a restart: PBT's config carries the donor's index
            index = self.index_of[trial_id]
        elif index is None:
            index, self.next_index = self.next_index, self.next_index + 1
        self.index_of[trial_id] = index
        if source is not None:  # checkpoints name the attempt's run id; the store, its run
            source = self.aliases.get(source, source)
        previous = self._current_by_id(trial_id)
        if previous is not None and source == previous.run_id:  # paused, resumed: same run
            self.aliases[run_id] = previous.run_id
            if self.display.verbose:
                self.display.line(
                    f"[dim]trial {index} {previous.run_id} resumed from its checkpoint[/dim]"
                )
            return previous
        if previous is not None:  # PBT restarted it from a better trial's model
            note = _restart_note(self.plan.scheduler, source, run_id)
            self._close(previous, {"status": "stopped", "error": note})
        spec = self.plan.trial_spec(values)
        info = RunInfo(
            run_id,
            spec.name,
            spec.data,
            str(self.writer.path),
            source,
            self.sweep_id,
            "trial",
            index,
        )
        env = environment.collect()
        if self.provenance is None:  # once per sweep, warnings included: trials read the same files
            self.provenance = collect_provenance(self.hooks, info) or {}
        env["provenance"] = self.provenance
        self.writer.create_run(
            run_id, spec, self.mode, source, self.sweep_id, env, plugin_versions()
        )
        record_run_position(self.writer.path, run_id, trial_index=index)
        self.hooks.run_started(run=info)
        run = TrialRun(
            run_id,
            trial_id,
            index,
            values,
            EventRecorder(self.writer, info, self.display, self.hooks),
        )
        self.runs[run_id] = run
        self.by_trial[trial_id] = run_id
        self.seen.add(trial_id)
        shown = " ".join(f"{k}={_short(v)}" for k, v in values.items())
        start = f"continues {source}" if source else "started"
        self.display.line(f"[cyan]trial {index}[/cyan] {run_id} {start}: {shown}")
        return run

    def _close(self, run: TrialRun, outcome: dict[str, Any]) -> None:
        run.outcome = outcome
        status = outcome["status"]
        self.writer.finish_run(run.run_id, status, outcome.get("error"), outcome.get("traceback"))
        self.hooks.run_finished(run=run.recorder.info, status=status, error=outcome.get("error"))
        self.runs.pop(run.run_id, None)
        self.closed.append((run.run_id, status))
        color = STATUS_COLORS.get(status, "yellow")
        value = _last_value(self, run)
        detail = f" {self.plan.metric}={value:.4g}" if value is not None else ""
        if status != "finished" and outcome.get("error"):
            detail += f" ({outcome['error'].splitlines()[0][:120]})"
        self.display.line(
            f"[{color}]trial {run.index} {status}[/{color}] {run.run_id}{detail} "
            f"[dim]{time.monotonic() - run.started:.1f}s[/dim]"
        )

    def _current(self, trial: Any) -> TrialRun | None:
        return self._current_by_id(trial.trial_id)

    def _current_by_id(self, trial_id: str) -> TrialRun | None:
        run_id = self.by_trial.get(trial_id)
        return self.runs.get(run_id) if run_id else None

    def _trial_died(self, trial: Any, retrying: bool) -> None:
        self.drain()
        run = self._current(trial)
        if run is None:  # died before it could say it started: still a run, failed
            from ..runner.driver import new_run_id
            from .space import trial_of

            index, values = trial_of(trial.config)
            run = self._open(new_run_id(), trial.trial_id, index, values)
        reason = _trial_error(trial)
        note = f" (retrying: attempt {trial.num_failures + 1})" if retrying else ""
        self._close(
            run, {"status": "failed", "error": f"the trial failed in Ray Tune: {reason}{note}"}
        )
        self.by_trial.pop(trial.trial_id, None)

    def record_silent_errors(self) -> None:
        """Trials Tune errored without a callback (e.g. an actor that could not start)."""
        for trial in self.trials:
            if trial.status == "ERROR" and trial.trial_id not in self.seen:
                self._trial_died(trial, retrying=False)

    def close_open(self, status: str, error: str) -> None:
        for run in list(self.runs.values()):
            self._close(run, {"status": status, "error": error})


def _last_value(recorder: TrialRecorder, run: TrialRun) -> float | None:
    from ..store.connection import connect

    split, _, name = recorder.plan.metric.partition("/")
    with connect(recorder.writer.path, write=False) as db:
        row = db.execute(
            "SELECT arg_max(value, step) FROM metrics WHERE run_id = ? AND split = ? AND name = ?",
            [run.run_id, split, name],
        ).fetchone()
    return row[0] if row else None


def _restart_note(scheduler: str, source: str | None, run_id: str) -> str:
    if source is None:
        return f"restarted by the {scheduler} scheduler as run {run_id}"
    return (
        f"replaced by the {scheduler} scheduler: a copy of run {source} with perturbed values "
        f"continues as run {run_id}"
    )


def _trial_error(trial: Any) -> str:
    try:
        err = trial.get_error()
    except Exception:  # noqa: BLE001 - the error file may be unreadable; say what we can
        err = None
    text = str(err or "unknown cause").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:  # the actor-death line is more telling than Tune's wrapper
        if "died" in line.lower() or "actor" in line.lower():
            return line.strip()[:300]
    return (lines[-1] if lines else text)[:300]


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
