"""Writing specrun's run events into Weights & Biases, off the run's path.

The hooks only put events on a queue; one background thread talks to wandb (which starts
its own service process). So a slow or unreachable W&B server never slows a run or a
sweep's Tune loop, and a W&B error never fails one: it is printed once, mirroring of that
run stops, and the DuckDB store keeps everything regardless. At interpreter exit the
queue gets twice ``SPECRUN_WANDB_TIMEOUT`` (default 60 s, the limit of one W&B call) to drain.

Several W&B runs are open at once in a sweep or a cv (``reinit="create_new"``).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_CODE = {"finished": 0, "stopped": 0}  # failed, interrupted: 1 (W&B shows "failed")
MAX_TAG = 64  # W&B's limit on one tag


def timeout_s() -> float:
    try:
        return float(os.environ.get("SPECRUN_WANDB_TIMEOUT", "60"))
    except ValueError:
        return 60.0


@dataclass
class _Mirrored:
    run: Any  # the wandb Run
    settings: Any  # the run's WandbSection
    last_step: int = -1
    earlier_steps: int = 0  # points W&B cannot take (a step below one already logged)
    samples: dict[str, list[list[Any]]] = field(default_factory=dict)
    artifacts: list[Any] = field(default_factory=list)


def grouping(run: Any) -> tuple[str | None, str]:
    """(group, job_type): sweep trials together, cv folds with their parent."""
    if run.sweep_id:
        return f"sweep-{run.sweep_id}", "trial"
    if run.role == "cv":
        return f"cv-{run.run_id}", "cv"
    if run.role == "fold":
        return f"cv-{run.parent_id}", "fold"
    return None, "rerun" if run.parent_id else "run"


def display_name(run: Any) -> str:
    what = {"trial": f"-trial{run.index}", "fold": f"-fold{run.index}", "cv": "-cv"}.get(
        run.role, ""
    )
    return f"{run.name}{what}-{run.run_id[:6]}"


class WandbMirror:
    def __init__(self) -> None:
        # Imported here, before our exit hook is registered: wandb makes a temporary folder
        # for media (Tables) at import, removed by an exit hook of its own, which must run
        # after ours (exit hooks run last-in first-out). Its service starts in our thread.
        import wandb  # noqa: F401

        self._queue: queue.Queue[tuple[str, str, tuple[Any, ...]]] = queue.Queue()
        self._runs: dict[str, _Mirrored] = {}  # touched by the worker thread only
        self._stopped: set[str] = set()
        self._failures = 0
        self._broken = False
        atexit.register(self._at_exit)  # registered again once wandb's service runs (_setup)
        self._thread = threading.Thread(target=self._work, name="specrun-wandb", daemon=True)
        self._thread.start()

    # -- the hooks' side: cheap, never blocking ----------------------------------------
    def start(self, run: Any, settings: Any) -> None:
        group, job_type = grouping(run)
        meta = {
            "run_id": run.run_id,
            "parent_id": run.parent_id,
            "sweep_id": run.sweep_id,
            "role": run.role,
            "index": run.index,
            "store": run.store,
        }
        self._queue.put(
            (
                run.run_id,
                "_begin",
                (dict(run.spec), meta, settings, group, job_type, display_name(run), run.name),
            )
        )

    def metrics(self, run: Any, points: list[Any]) -> None:
        self._queue.put(
            (run.run_id, "_log", ([(p.split, p.name, p.step, p.value) for p in points],))
        )

    def samples(self, run: Any, split: str, step: int | None, rows: list[dict[str, Any]]) -> None:
        self._queue.put((run.run_id, "_samples", (split, step, rows)))

    def artifact(self, run: Any, artifact: Any) -> None:
        self._queue.put((run.run_id, "_artifact", (artifact,)))

    def finish(self, run: Any, status: str, error: str | None) -> None:
        self._queue.put((run.run_id, "_end", (status, error)))

    def flush(self, timeout: float | None = None) -> bool:
        done = threading.Event()
        self._queue.put(("", "_mark", (done,)))
        return done.wait(timeout)

    # -- the worker thread ---------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._setup()
        except Exception as exc:  # noqa: BLE001 - a mirror must never fail the experiment
            self._fail("", exc)
            self._broken = True
        while True:
            run_id, action, args = self._queue.get()
            if self._broken and action != "_mark":
                continue
            if run_id in self._stopped:
                if action == "_end":
                    self._stopped.discard(run_id)
                continue
            try:
                getattr(self, action)(run_id, *args)
            except Exception as exc:  # noqa: BLE001 - a mirror must never fail the experiment
                self._fail(run_id, exc)

    def _setup(self) -> None:
        """Import wandb and start its service process here, off the run's path (seconds).

        wandb registers its own exit hook, which stops the service, when the service starts:
        after ours. Exit hooks run last-in first-out, so ours is registered again now, to run
        first and drain the queue while the service still runs."""
        import wandb

        wandb.setup(wandb.Settings(silent=True, console="off", x_disable_stats=True))
        atexit.unregister(self._at_exit)
        atexit.register(self._at_exit)

    def _mark(self, _run_id: str, done: threading.Event) -> None:
        done.set()

    def _begin(
        self,
        run_id: str,
        spec: dict[str, Any],
        meta: dict[str, Any],
        settings: Any,
        group: str | None,
        job_type: str,
        name: str,
        spec_name: str,
    ) -> None:
        import wandb

        folder = Path(settings.dir) if settings.dir else Path(meta["store"]).resolve().parent
        folder.mkdir(parents=True, exist_ok=True)
        tags = [str(t)[:MAX_TAG] for t in spec.get("tags", [])] + [meta["role"]]
        config = {k: v for k, v in spec.items() if k != "wandb"}
        config["specrun"] = meta
        run = wandb.init(
            project=settings.project or spec_name,
            entity=settings.entity,
            id=run_id,
            name=name,
            group=group,
            job_type=job_type,
            tags=list(dict.fromkeys(tags)),
            notes=spec.get("description") or None,
            config=config,
            dir=str(folder),
            settings=wandb.Settings(
                mode=settings.mode,
                reinit="create_new",
                silent=True,
                console="off",
                x_disable_stats=True,
                init_timeout=timeout_s(),
            ),
        )
        self._runs[run_id] = _Mirrored(run, settings)

    def _log(self, run_id: str, points: list[tuple[str, str, int, float | None]]) -> None:
        state = self._runs.get(run_id)
        if state is None:
            return
        rows: dict[int, dict[str, float]] = {}
        for split, name, step, value in points:
            if value is None:
                continue
            if step < state.last_step:
                state.earlier_steps += 1
                continue
            rows.setdefault(int(step), {})[f"{split}/{name}"] = float(value)
        for step in sorted(rows):
            # The same step again merges into its row; a larger one starts the next row.
            state.run.log(rows[step], step=step)
            state.last_step = step

    def _samples(
        self, run_id: str, split: str, step: int | None, rows: list[dict[str, Any]]
    ) -> None:
        state = self._runs.get(run_id)
        if state is None or not state.settings.samples:
            return
        table = state.samples.setdefault(split, [])
        for r in rows:
            extra = {k: v for k, v in r.items() if k not in ("input", "reference", "output", "idx")}
            table.append(
                [
                    step,
                    r.get("idx", len(table)),
                    _text(r.get("input")),
                    _text(r.get("reference")),
                    _text(r.get("output")),
                    json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
                ]
            )

    def _artifact(self, run_id: str, artifact: Any) -> None:
        state = self._runs.get(run_id)
        if state is not None and state.settings.artifacts:
            state.artifacts.append(artifact)

    def _end(self, run_id: str, status: str, error: str | None) -> None:
        import wandb

        state = self._runs.pop(run_id, None)
        if state is None:
            return
        try:
            run = state.run
            if state.samples:
                columns = ["step", "idx", "input", "reference", "output", "extra"]
                run.log(
                    {
                        f"samples/{split}": wandb.Table(columns=columns, data=rows)
                        for split, rows in state.samples.items()
                    },
                    step=max(state.last_step, 0),
                )
            if state.artifacts:
                art = wandb.Artifact(
                    f"specrun-{run_id}",
                    type="specrun-run",
                    metadata={
                        a.name: {"sha256": a.sha256, "bytes": a.bytes, "kind": a.kind}
                        for a in state.artifacts
                    },
                )
                for a in state.artifacts:
                    # The store's copy never changes: no second temporary copy of a model.
                    art.add_file(str(Path(a.abs_path).resolve()), name=a.name, policy="immutable")
                run.log_artifact(art)
            run.summary["specrun/status"] = status
            if error:
                run.summary["specrun/error"] = error[:5000]
            if state.earlier_steps:
                _warn(
                    f"run {run_id}: {state.earlier_steps} metric point(s) at a step below one "
                    "already logged are only in specrun's store (W&B steps only increase)"
                )
        finally:
            state.run.finish(exit_code=EXIT_CODE.get(status, 1))

    def _fail(self, run_id: str, exc: BaseException) -> None:
        state = self._runs.pop(run_id, None)
        if run_id:
            self._stopped.add(run_id)
        self._failures += 1
        if self._failures == 1:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            what = (
                f"stopped mirroring run {run_id} to W&B"
                if run_id
                else "cannot start W&B, not mirroring"
            )
            _warn(f"{what}: {type(exc).__name__}: {first}")
        if state is not None:
            try:
                state.run.finish(exit_code=1)
            except Exception:  # noqa: BLE001 - already broken
                pass

    def _at_exit(self) -> None:
        # Each W&B call may take SPECRUN_WANDB_TIMEOUT (a run's start does, offline or not
        # reachable); the queue as a whole gets twice that.
        if not self.flush(2 * timeout_s()):
            _warn(
                f"W&B did not take every event within {2 * timeout_s():g}s "
                "(twice SPECRUN_WANDB_TIMEOUT); the store has them all"
            )
        elif self._failures > 1:
            _warn(f"mirroring failed for {self._failures} runs in all (only the first was shown)")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _warn(text: str) -> None:
    print(f"warning: specrun-wandb: {text}", file=sys.stderr, flush=True)
