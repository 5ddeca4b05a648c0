"""One run on several data-parallel workers (``resources.workers`` > 1), under Ray Train.

Every rank runs the whole pipeline (``worker.run_pipeline``) inside a ``TorchTrainer``
worker, with ``torch.distributed`` initialised by Ray Train (gloo on CPU, nccl on GPU) and
``ctx.group`` telling it its rank. Only rank 0's events leave the worker: they go to a small
``EventQueue`` actor that the driver drains, so the driver stays the single writer of the
store and the store gets the same shape as a 1-worker run.

Restarts (``resources.max_failures``): a trainer saves a checkpoint at each eval through
``ctx.save_checkpoint`` (``ray.train.report`` underneath). When a worker dies Ray Train
restarts the group, and each rank's ``ctx.restart_checkpoint()`` is a copy of the last one.
The driver holds rank 0's metrics and samples back until the checkpoint after them is
saved: an attempt that dies drops what it logged after its last checkpoint, and the next
attempt's rows at or before that checkpoint's step (logged already) are dropped too, so no
step is stored twice or lost.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import ResourceError, UserError

STEP_FILE = "specrun_step.json"  # written into each restart checkpoint: the step it is of


class EventQueue:
    """Wrapped with ``ray.remote``: rank 0 puts events, the driver drains them."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def put(self, event: Any) -> None:
        self.events.append(event)

    def drain(self) -> list[Any]:
        out, self.events = self.events, []
        return out


def workers_of(resources: dict[str, Any]) -> int:
    return int(resources.get("workers", 1) or 1)


def check_worker_fit(nodes: list[dict[str, Any]], resources: dict[str, Any], where: str) -> None:
    """Fail fast when the nodes could never host ``workers`` x (cpus, gpus) at once."""
    workers = workers_of(resources)
    if workers <= 1:
        return
    cpus, gpus = float(resources.get("cpus", 1)), float(resources.get("gpus", 0))
    fit = 0
    for node in nodes:
        have = node.get("Resources", {})
        per = int(float(have.get("CPU", 0)) // cpus) if cpus > 0 else workers
        if gpus > 0:
            per = min(per, int(float(have.get("GPU", 0)) // gpus))
        fit += per
    if fit < workers:
        total_cpu = sum(float(n.get("Resources", {}).get("CPU", 0)) for n in nodes)
        total_gpu = sum(float(n.get("Resources", {}).get("GPU", 0)) for n in nodes)
        each = f"{cpus:g} CPU(s)" + (f" and {gpus:g} GPU(s)" if gpus else "")
        raise ResourceError(
            f"resources.workers: the spec asks for {workers} workers of {each} each, but {where} "
            f"can place at most {fit} of them ({total_cpu:g} CPUs, {total_gpu:g} GPUs in all); "
            "lower resources.workers or resources.cpus"
        )


# ----------------------------------------------------------------------------- worker side


def train_loop(config: dict[str, Any]) -> None:
    """What each Ray Train worker runs: the whole pipeline, with ``ctx.group`` set."""
    import ray
    import ray.train

    from ..context import Group
    from .placement import node_info
    from .worker import run_pipeline

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tctx = ray.train.get_context()
    group = Group(tctx.get_world_rank(), tctx.get_world_size(), tctx.get_local_rank())
    queue = config["queue"]
    restart_dir: Path | None = None
    restart_step: int | None = None
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        restart_dir = Path(tempfile.mkdtemp(prefix="specrun-restart-"))
        checkpoint.to_directory(str(restart_dir))
        step_file = restart_dir / STEP_FILE
        restart_step = json.loads(step_file.read_text())["step"] if step_file.is_file() else None
    place = {
        **node_info(),
        "rank": group.rank,
        "local_rank": group.local_rank,
        "pid": os.getpid(),
        "gpu_ids": [str(g) for g in ray.get_gpu_ids()],
    }
    ray.get(queue.put.remote(("placement", group.rank, place)))
    if group.is_main:
        ray.get(queue.put.remote(("attempt", restart_step)))

    def sink(event: Any) -> None:
        queue.put.remote(event)  # calls from one process run in order on the actor

    def save(directory: Path | None, step: int) -> None:
        ckpt = None
        if directory is not None and group.is_main:
            (directory / STEP_FILE).write_text(json.dumps({"step": step}))
            ckpt = ray.train.Checkpoint.from_directory(str(directory))
        ray.train.report({"step": step}, checkpoint=ckpt)
        if group.is_main:
            sink(("checkpoint", step))

    def setup(ctx: Any) -> None:
        if config["max_failures"] > 0:
            ctx._checkpoint_saver = save
        ctx._restart_dir = restart_dir

    device = "cuda" if config["gpus"] > 0 else "cpu"
    try:
        outcome = run_pipeline(
            config["spec"],
            config["run_id"],
            sink,
            device,
            local=False,
            spec_path=config["spec_path"],
            group=group,
            setup=setup,
        )
    finally:
        if restart_dir is not None:
            shutil.rmtree(restart_dir, ignore_errors=True)
    if group.is_main:
        ray.get(queue.put.remote(("outcome", outcome)))
    if outcome["status"] != "finished" and not outcome.get("user_error"):
        # Ray Train restarts the group (resources.max_failures) or fails the run.
        raise RuntimeError(f"rank {group.rank}: {outcome.get('error')}")


# ----------------------------------------------------------------------------- driver side


class AttemptFilter:
    """Between the queue and the ``EventRecorder``: restarts, placement and the outcome."""

    def __init__(self, recorder: Any, hold: bool, max_failures: int, workers: int):
        self.recorder, self.hold, self.max_failures, self.workers = (
            recorder,
            hold,
            max_failures,
            workers,
        )
        self.held: list[Any] = []
        self.floor: int | None = None  # the new attempt's rows at or before this step are stored
        self.attempts = 0
        self.placement: dict[int, dict[str, Any]] = {}
        self.outcome: dict[str, Any] | None = None
        self.placed = 0
        self.committed: int | None = None  # the step of the last checkpoint

    def __call__(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "placement":
            self.placement[int(event[1])] = event[2]  # a new attempt's rank replaces the old
            self.placed += 1
            if self.placed % self.workers == 0:
                self.recorder(
                    (
                        "log",
                        "workers: "
                        + ", ".join(
                            f"rank {r} pid {p.get('pid')} on {p.get('node_ip') or p.get('node_host')}"
                            + (f" GPU {','.join(p['gpu_ids'])}" if p.get("gpu_ids") else "")
                            for r, p in sorted(self.placement.items())
                        ),
                    )
                )
        elif kind == "attempt":
            self.attempts += 1
            self.held.clear()
            # Rows up to the last checkpoint are stored: a group that restarts from it (or
            # from an older one, or from the start) does not store them twice.
            self.floor = self.committed
            self.outcome = None
            if self.attempts > 1:
                where = (
                    f"the checkpoint at step {event[1]}"
                    if event[1] is not None
                    else "the start (no checkpoint yet)"
                )
                self.recorder(
                    (
                        "log",
                        f"a worker failed: the worker group restarted from {where} "
                        f"(restart {self.attempts - 1} of at most {self.max_failures})",
                    )
                )
        elif kind == "checkpoint":
            steps = [int(e[3] if e[0] == "metrics" else e[2] or 0) for e in self.held]
            self.committed = max(
                [int(event[1]), *steps, *([self.committed] if self.committed is not None else [])]
            )
            for held in self.held:
                self.recorder(held)
            self.held.clear()
        elif kind == "outcome":
            self.outcome = event[1]
        elif kind in ("metrics", "samples"):
            step = event[3] if kind == "metrics" else event[2]
            if self.floor is not None and step is not None and step <= self.floor:
                return
            if self.hold:
                self.held.append(event)
            else:
                self.recorder(event)
        else:
            self.recorder(event)

    def finish(self) -> None:
        """The run ended well: what the last attempt held back is stored."""
        for held in self.held:
            self.recorder(held)
        self.held.clear()


def run_distributed(
    ray: Any, spec: Any, run_id: str, recorder: Any, record_all: Any, env: dict[str, str]
) -> dict[str, Any]:
    """The driver's side: start the group, drain rank 0's events into ``record_all(filter,
    events)`` until it ends; ``env``: the workers' environment variables."""
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    res = spec.data.get("resources", {})
    workers, max_failures = workers_of(res), int(res.get("max_failures", 0))
    gpus, cpus = float(res.get("gpus", 0)), float(res.get("cpus", 1))
    queue = ray.remote(EventQueue).options(num_cpus=0).remote()
    storage = Path(tempfile.mkdtemp(prefix=f"specrun-train-{run_id}-"))
    per_worker: dict[str, float] = {
        "CPU": cpus,
        **{k: float(v) for k, v in (res.get("custom") or {}).items()},
    }
    if gpus:
        per_worker["GPU"] = gpus
    trainer = TorchTrainer(
        train_loop,
        train_loop_config={
            "spec": spec.data,
            "run_id": run_id,
            "spec_path": spec.path,
            "queue": queue,
            "max_failures": max_failures,
            "gpus": gpus,
        },
        scaling_config=ScalingConfig(
            num_workers=workers, use_gpu=gpus > 0, resources_per_worker=per_worker
        ),
        run_config=RunConfig(
            name=run_id,
            storage_path=str(storage),
            failure_config=FailureConfig(max_failures=max_failures),
            checkpoint_config=CheckpointConfig(num_to_keep=1),
            worker_runtime_env={"env_vars": env},
        ),  # type: ignore[call-arg]  # v2's
    )
    filt = AttemptFilter(
        recorder, hold=max_failures > 0, max_failures=max_failures, workers=workers
    )
    result: dict[str, Any] = {}

    def fit() -> None:
        try:
            result["result"] = trainer.fit()
        except BaseException as exc:  # noqa: BLE001 - judged on the driver's thread
            result["error"] = exc

    thread = threading.Thread(target=fit, name="specrun-ray-train", daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        while thread.is_alive():
            thread.join(timeout=0.2)
            record_all(filt, ray.get(queue.drain.remote()))
        record_all(filt, ray.get(queue.drain.remote()))
    finally:
        recorder.writer.update_run(
            run_id,
            workers=workers,
            restarts=max(0, filt.attempts - 1),
            placement=json.dumps([filt.placement[r] for r in sorted(filt.placement)]),
        )
        if 0 in filt.placement:
            from .placement import record_node

            record_node(recorder.writer.path, run_id, filt.placement[0])
        recorder.writer.flush()
        shutil.rmtree(storage, ignore_errors=True)
    recorder(("log", f"worker group of {workers}: {time.monotonic() - started:.1f} s"))
    outcome = filt.outcome
    if "error" in result:
        exc = result["error"]
        if outcome is not None and outcome.get("status") != "finished":
            return outcome
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return {"status": "failed", "error": f"the worker group failed: {first}"}
    if outcome is None:
        raise UserError("the worker group ended without rank 0's outcome")
    if outcome.get("status") == "finished":
        filt.finish()
    return outcome
