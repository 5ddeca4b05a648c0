"""The worker side of a sweep trial: runs inside a Ray Tune trial actor, on any node.

A trial runs the ordinary pipeline (``run_pipeline``) and never writes the store. Its events
(metrics, samples, artifact bytes) are pushed to an ``EventCollector`` actor that the
driver drains; pushes are synchronous, so when Tune tells the driver that a trial ended,
everything the trial said is already waiting there. Intermediate metrics go to Tune through
``tune.report`` at every ``ctx.evaluate``, which is where ASHA may stop the trial: the events
before that report have been pushed by then, so a stopped trial keeps its metrics so far.
"""

from __future__ import annotations

import time
from typing import Any

FLUSH_EVERY_S = 0.5
CHECKPOINT_FILE = "specrun_state.pkl"


def load_checkpoint(checkpoint: Any) -> dict[str, Any] | None:
    """The ``{"run_id", "step", "state"}`` a trial reported with its checkpoint, if any."""
    import pickle
    from pathlib import Path

    if checkpoint is None:
        return None
    with checkpoint.as_directory() as folder:
        path = Path(folder) / CHECKPOINT_FILE
        if not path.exists():
            return None
        return pickle.loads(path.read_bytes())  # noqa: S301 - written by our own trials


class EventCollector:
    """A tiny actor (no CPU) holding (run_id, event) pairs until the driver drains them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def push(self, batch: list[tuple[str, Any]]) -> int:
        self.events.extend(batch)
        return len(batch)

    def drain(self) -> list[tuple[str, Any]]:
        out, self.events = self.events, []
        return out

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()


class TrialSink:
    """The run's event sink inside a trial: buffers, ships to the collector, reports to Tune."""

    def __init__(
        self, collector: Any, run_id: str, metric: str, report: Any, checkpoints: bool = False
    ):
        self.collector, self.run_id, self.metric, self._report = collector, run_id, metric, report
        self.wants_checkpoint = checkpoints  # PBT: every report carries the trainer's state
        self.buffer: list[tuple[str, Any]] = []
        self.latest: dict[str, float] = {}  # split/name -> last value, for Tune
        self.reports = 0
        self._last_flush = time.monotonic()

    def __call__(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "progress":
            return  # a sweep shows trials, not each trial's bars
        if kind == "metrics":
            _, split, values, _step = event
            self.latest.update({f"{split}/{k}": v for k, v in values.items() if v is not None})
        if kind == "report":
            self.latest.update(event[1])
            self.flush()  # everything so far reaches the driver before Tune may stop us
            if self.metric in self.latest:
                self.reports += 1
                result = {**self.latest, "step": int(event[2])}
                if len(event) > 3:  # with the trainer's state: a checkpoint for Tune
                    self._report_with_checkpoint(result, int(event[2]), event[3])
                else:
                    self._report(result)
            return
        self.buffer.append((self.run_id, event))
        if kind == "artifact" or time.monotonic() - self._last_flush > FLUSH_EVERY_S:
            self.flush()

    def _report_with_checkpoint(self, result: dict[str, Any], step: int, state: Any) -> None:
        import pickle
        import shutil
        import tempfile
        from pathlib import Path

        from ray.tune import Checkpoint

        folder = Path(tempfile.mkdtemp(prefix="specrun-ckpt-"))
        try:
            payload = {"run_id": self.run_id, "step": step, "state": state}
            (folder / CHECKPOINT_FILE).write_bytes(pickle.dumps(payload, protocol=5))
            self._report(
                result, checkpoint=Checkpoint.from_directory(str(folder))
            )  # Tune copies it
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def flush(self) -> None:
        import ray

        self._last_flush = time.monotonic()
        if self.buffer:
            batch, self.buffer = self.buffer, []
            ray.get(self.collector.push.remote(batch))


def trial_main(
    config: dict[str, Any],
    base: dict[str, Any],
    spec_path: str,
    spec_text: str,
    collector: Any,
    metric: str,
    env: dict[str, str] | None = None,
    checkpoints: bool = False,
) -> None:
    """The Tune function trainable (bound with ``functools.partial`` by the driver)."""
    import os

    import ray
    from ray import tune

    from ..runner.driver import new_run_id
    from ..runner.placement import node_info
    from ..runner.worker import run_pipeline
    from .space import trial_of, trial_spec

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.update(env or {})  # SPECRUN_*, HF_* ... of the driver, as a single run's actor gets
    index, values = trial_of(config)
    run_id = new_run_id()  # fresh per attempt: a retried trial is a new run
    sink = TrialSink(collector, run_id, metric, tune.report, checkpoints)
    # A trial Tune restarts from a checkpoint (PBT's exploit: another trial's model, with
    # perturbed values; or its own, after a failure) continues that run as a new one.
    restored = load_checkpoint(tune.get_checkpoint()) if checkpoints else None
    source = restored["run_id"] if restored else None
    trial_id = tune.get_context().get_trial_id()
    sink.buffer.append((run_id, ("trial_start", trial_id, index, values, source)))
    sink.buffer.append((run_id, ("node", node_info())))
    sink.flush()
    gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    device = "cuda" if ray.get_gpu_ids() and gpus not in ("", "-1") else "cpu"
    spec = trial_spec(base, values, spec_path, spec_text)
    outcome = run_pipeline(
        spec.data, run_id, sink, device, local=False, spec_path=spec_path, restored=restored
    )
    if outcome.get("type") == "SystemExit":
        # Tune ends the thread of a trial it stops by raising SystemExit inside tune.report:
        # the scheduler's decision, or the end of an interrupted sweep. Only the driver knows
        # which, so this outcome says nothing about the status.
        outcome = {"status": "stopped", "tune_stop": True}
    elif outcome["status"] == "finished" and metric not in sink.latest:
        seen = ", ".join(sorted(sink.latest)) or "none"
        outcome = {
            "status": "failed",
            "user_error": True,
            "traceback": None,
            "error": f"the sweep metric {metric} was never reported by this run "
            f"(it reported: {seen})",
        }
    sink.buffer.append((run_id, ("outcome", outcome)))
    sink.flush()
    if outcome.get("tune_stop"):
        # End the thread the way Tune ended it. Returning normally instead would make Tune's
        # wrapper report a last result and wait forever for a reply that a stopped trial never
        # gets: its actor could then not be reused for the next trial.
        raise SystemExit(0)
