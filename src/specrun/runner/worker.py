"""The side of a run that executes the pipeline: in-process, or inside a Ray actor.

The worker never writes the store. Under Ray, events are queued in the actor and the driver
drains them (the actor runs with two threads: one for the run, one for draining), so
metrics reach the store while the run goes, and artifacts travel as bytes: nothing assumes
a filesystem shared with the driver.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

from ..errors import UserError


def outcome_of(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, UserError):
        return {
            "status": "failed",
            "user_error": True,
            "error": str(exc),
            "traceback": None,
            "type": type(exc).__name__,
        }
    if isinstance(exc, KeyboardInterrupt):
        return {
            "status": "interrupted",
            "user_error": False,
            "error": "interrupted (Ctrl-C)",
            "traceback": None,
            "type": "KeyboardInterrupt",
        }
    first = (str(exc).strip().splitlines() or [""])[0]
    return {
        "status": "failed",
        "user_error": False,
        "error": f"{type(exc).__name__}: {first}",
        "traceback": traceback.format_exc(),
        "type": type(exc).__name__,
    }


def run_pipeline(
    spec_data: dict[str, Any],
    run_id: str,
    sink: Any,
    device: str,
    local: bool,
    spec_path: str = "<stored spec>",
    cv_fold: int | None = None,
    restored: dict[str, Any] | None = None,
    group: Any = None,
    setup: Any = None,
) -> dict[str, Any]:
    """Validate the resolved spec here (plugins are loaded where the run executes) and run it.

    ``cv_fold``: run fold i of the spec's ``cv:`` section (train on the other folds).
    ``restored``: a checkpoint to continue from (``{"step": n, "state": {...}}``, PBT).
    ``group``: this rank of a multi-worker run; ``setup(ctx)`` then wires its checkpoints."""
    from ..context import RunContext
    from ..spec import load_resolved
    from .engine import execute

    work_dir = Path(tempfile.mkdtemp(prefix=f"specrun-{run_id}-"))
    try:
        spec = load_resolved(spec_data, path=spec_path)
        if cv_fold is not None:
            from ..cv.folds import execute_fold

            final = execute_fold(spec, cv_fold, run_id, sink, work_dir, device, local)
            return {"status": "finished", "metrics": final}
        ctx = RunContext(run_id, spec.data, sink, work_dir, device=device, local=local, group=group)
        if setup is not None:
            setup(ctx)
        if restored is not None:
            ctx.restored, ctx.step = restored["state"], int(restored["step"])
        final = execute(spec, ctx)
        return {"status": "finished", "metrics": final}
    except BaseException as exc:  # noqa: BLE001 - every outcome is reported to the driver
        out = outcome_of(exc)
        if isinstance(exc, KeyboardInterrupt) and local:
            raise
        return out
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


class RunWorker:
    """Wrapped with ``ray.remote`` by the driver; one actor per run."""

    def __init__(self) -> None:
        self.events: queue.Queue[Any] = queue.Queue()
        self._handed: list[Any] = []  # handed to the driver, not yet said to be recorded
        self._handed_start = 0  # the run's number of the first of them
        self._drain_lock = threading.Lock()

    def run(
        self, spec_data: dict[str, Any], run_id: str, spec_path: str, cv_fold: int | None = None
    ) -> dict[str, Any]:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        import ray

        from .placement import node_info

        self.events.put(("node", node_info()))
        device = "cuda" if ray.get_gpu_ids() and gpus not in ("", "-1") else "cpu"
        return run_pipeline(
            spec_data,
            run_id,
            self.events.put,
            device,
            local=False,
            spec_path=spec_path,
            cv_fold=cv_fold,
        )

    def drain(self, recorded: int | None = None, max_events: int = 10_000) -> list[Any]:
        """The events the driver has not recorded yet, oldest first.

        ``recorded``: how many events of this run the driver has recorded so far. Events
        handed out are kept until a later call says they were recorded, so a reply lost on
        the way (Ctrl-C while the driver waits for it) is handed out again, not dropped.
        None: hand out and forget (the cv driver's use)."""
        with self._drain_lock:
            if recorded is not None:
                del self._handed[: recorded - self._handed_start]
                self._handed_start = recorded
            try:
                while len(self._handed) < max_events:
                    self._handed.append(self.events.get_nowait())
            except queue.Empty:
                pass
            out = list(self._handed)
            if recorded is None:
                self._handed_start += len(out)
                self._handed = []
            return out

    def node(self) -> str:
        import socket

        return socket.gethostname()
