"""Where a run executes, and the driver that records it.

Modes: ``ray`` (default: an actor on an embedded local Ray, started quietly and shut down
afterwards), ``cluster`` (an actor on an existing cluster, ``--address``/``RAY_ADDRESS``),
``local`` (in-process, for debugging). In every mode the driver is the single writer of
the store.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import ResourceError, UserError
from ..spec import ResolvedSpec
from ..store.connection import store_path
from ..store.writer import StoreWriter


@dataclass
class RunInfo:
    run_id: str
    name: str
    spec: dict[str, Any]
    store: str
    parent_id: str | None = None
    sweep_id: str | None = None
    # What the run is, for observers that group runs: "run" (a plain run or a rerun),
    # "trial" (of sweep_id), "cv" (the parent of folds) or "fold" (of parent_id).
    role: str = "run"
    index: int | None = None  # the trial index or the fold number


@dataclass
class RunResult:
    run_id: str
    name: str
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    user_error: bool = False
    duration_s: float = 0.0
    artifacts: list[dict[str, Any]] = field(default_factory=list)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


# ----------------------------------------------------------------------------- Ray


def quiet_ray_env() -> None:
    """No usage stats, no dashboard, no log spam: set before ray is imported."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DISABLE_DOCKER_CPU_WARNING", "1")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    os.environ.setdefault("RAY_TRAIN_V2_ENABLED", "1")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")


@contextmanager
def ray_session(address: str | None, verbose: bool = False) -> Iterator[Any]:
    """Join ``address`` (or RAY_ADDRESS), else start an embedded local Ray; shut down after.

    A session that was already initialised by the caller (a test, a notebook) is reused
    and left running.
    """
    quiet_ray_env()
    import ray

    if ray.is_initialized():
        yield ray
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs: dict[str, Any] = dict(
        include_dashboard=False,
        logging_level=logging.INFO if verbose else logging.ERROR,
        log_to_driver=verbose,
        configure_logging=True,
    )
    # ray.init replaces the SIGTERM handler of the main thread with sys.exit(15) (and its C++
    # core adds a stack dump): the driver's own handler (the CLI's: SIGTERM is Ctrl-C) comes back.
    main_thread = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if main_thread else None
    try:
        if address:
            failure: Exception | None = None
            with _captured_stderr(replay=verbose) as captured:
                try:
                    ray.init(address=address, **kwargs)
                except Exception as exc:  # noqa: BLE001 - judged below, with what Ray logged
                    failure = exc
            if failure is not None and _wants_token(captured):
                raise UserError(
                    f"the Ray cluster at {address} wants an authentication token (token auth is on "
                    "there): give it with RAY_AUTH_TOKEN=TOKEN or RAY_AUTH_TOKEN_PATH=FILE "
                    "(`ray get-auth-token` on the cluster's head node prints it)"
                )
            if failure is not None:
                raise failure
        else:
            from ..environment import gpu_names

            # "local": a new embedded instance, never a cluster that `ray start` left in
            # /tmp/ray/ray_current_cluster (ray.init() with no address joins that one)
            ray.init(
                address="local", num_cpus=os.cpu_count() or 1, num_gpus=len(gpu_names()), **kwargs
            )
    except ConnectionError as exc:
        raise UserError(f"cannot reach the Ray cluster at {address}: {exc}") from None
    finally:
        if main_thread and sigterm is not None:
            signal.signal(signal.SIGTERM, sigterm)
    try:
        yield ray
    finally:
        ray.shutdown()


@contextmanager
def _captured_stderr(replay: bool) -> Iterator[list[str]]:
    """Ray's C++ client logs every failed try to fd 2 (20 lines for a refused token): keep
    them out of the user's terminal and hand them to the caller (``replay``: print them too)."""
    import sys

    from ..fd_capture import stderr_to_tempfile

    text: list[str] = []
    try:
        with stderr_to_tempfile() as tmp:
            try:
                yield text
            finally:
                sys.stderr.flush()
                tmp.seek(0)
                text.append(tmp.read().decode("utf-8", "replace"))
    finally:
        if replay and text and text[0]:  # fd 2 is the terminal again
            sys.stderr.write(text[0])


def _wants_token(captured: list[str]) -> bool:
    text = "".join(captured)
    return "InvalidAuthToken" in text or "Unauthenticated" in text


def check_cluster_resources(ray: Any, resources: dict[str, Any], where: str) -> None:
    """Fail fast, before anything is written, when no node could ever host the run."""
    from .distributed import check_worker_fit

    nodes = [n for n in ray.nodes() if n.get("Alive")]
    need = {"CPU": float(resources.get("cpus", 1)), "GPU": float(resources.get("gpus", 0))}
    if resources.get("memory"):
        need["memory"] = float(resources["memory"])
    need.update({k: float(v) for k, v in (resources.get("custom") or {}).items()})
    for key, amount in need.items():
        if amount <= 0:
            continue
        best = max((float(n["Resources"].get(key, 0)) for n in nodes), default=0.0)
        if best < amount:
            label = {"CPU": "CPUs", "GPU": "GPUs", "memory": "bytes of memory"}.get(
                key, f"units of {key!r}"
            )
            hint = " (set resources.gpus: 0 to run on the CPU)" if key == "GPU" else ""
            raise ResourceError(
                f"resources: the spec asks for {amount:g} {label} but no node of {where} has that much "
                f"(largest: {best:g}){hint}"
            )
    check_worker_fit(nodes, resources, where)


def check_local_resources(resources: dict[str, Any]) -> None:
    from ..environment import gpu_names

    gpus = float(resources.get("gpus", 0))
    have = len(gpu_names())
    if gpus > have:
        raise ResourceError(
            f"resources.gpus: the spec asks for {gpus:g} GPU(s) but this machine has {have} "
            "(set resources.gpus: 0 to run on the CPU)"
        )


# ----------------------------------------------------------------------------- driver


class EventRecorder:
    """Turns worker events into store rows and display updates (driver side)."""

    def __init__(
        self, writer: StoreWriter, info: RunInfo, display: Any, hooks: Any, on_report: Any = None
    ):
        self.writer, self.info, self.display, self.hooks = writer, info, display, hooks
        self.on_report = on_report
        # No plugin watches metrics (the usual case): no MetricPoint per value, no hook call.
        self.metric_hooks = hooks is not None and bool(hooks.metrics_logged.get_hookimpls())
        self.sample_counts: dict[str, int] = {}
        self.artifacts: list[dict[str, Any]] = []

    def __call__(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        run_id = self.info.run_id
        if kind == "metrics":
            _, split, values, step = event
            self.writer.log_metrics(run_id, split, values, step)
            if self.metric_hooks:
                from ..hooks_api import MetricPoint

                self.hooks.metrics_logged(
                    run=self.info,
                    metrics=[MetricPoint(split, k, step, v) for k, v in values.items()],
                )
        elif kind == "samples":
            _, split, step, rows = event
            start = self.sample_counts.get(split, 0)
            self.writer.log_samples(run_id, split, step, rows, start=start)
            self.sample_counts[split] = start + len(rows)
            if self.hooks is not None:
                self.hooks.samples_logged(run=self.info, split=split, step=step, samples=list(rows))
        elif kind == "artifact":
            _, name, akind, payload = event
            info = self.writer.save_artifact(run_id, name, payload, akind)
            self.artifacts.append(info)
            if self.hooks is not None:
                from ..hooks_api import ArtifactInfo

                self.hooks.artifact_saved(run=self.info, artifact=ArtifactInfo(**info))
        elif kind == "progress":
            self.display.update(*event[1:])
        elif kind == "log":
            self.display.log(event[1])
        elif kind == "fingerprint":
            self.writer.set_fingerprint(run_id, event[1])
        elif kind == "node":  # which cluster node ran it (sent by the worker at start)
            from .placement import record_node

            record_node(self.writer.path, run_id, event[1])
        elif kind == "report":
            if self.on_report is not None:
                self.on_report(event[1], event[2])
        else:
            raise ValueError(f"unknown event {kind!r}")


def run_spec(
    spec: ResolvedSpec,
    store: str | os.PathLike[str] | None = None,
    mode: str = "ray",
    address: str | None = None,
    parent_id: str | None = None,
    sweep_id: str | None = None,
    quiet: bool = False,
    verbose: bool = False,
) -> RunResult:
    """Run one resolved spec and record it. Raises ``UserError`` only before the run row
    exists (resources); afterwards every outcome is a ``RunResult`` with its status."""
    if mode not in ("ray", "local"):
        raise ValueError(f"unknown mode {mode!r}")
    if mode == "local":
        check_local_resources(spec.data.get("resources", {}))
        if int(spec.data.get("resources", {}).get("workers", 1)) > 1:
            raise ResourceError(
                "resources.workers: a multi-worker run needs Ray (Ray Train); "
                "run it without --local, or set resources.workers: 1"
            )
        return _record(spec, store, "local", None, parent_id, sweep_id, quiet, verbose)
    with ray_session(address, verbose) as ray:
        where = (
            f"the Ray cluster at {address or os.environ.get('RAY_ADDRESS')}"
            if (address or os.environ.get("RAY_ADDRESS"))
            else "this machine"
        )
        check_cluster_resources(ray, spec.data.get("resources", {}), where)
        return _record(
            spec,
            store,
            "cluster" if (address or os.environ.get("RAY_ADDRESS")) else "ray",
            ray,
            parent_id,
            sweep_id,
            quiet,
            verbose,
        )


def collect_provenance(hooks: Any, info: RunInfo) -> dict[str, Any] | None:
    """Merge what each plugin reports about the run's inputs; print their warnings. A plugin
    that fails is a warning, never a failed run."""
    import click

    merged: dict[str, Any] = {}
    for impl in hooks.collect_provenance.get_hookimpls():
        try:
            found = impl.function(run=info)
        except Exception as exc:  # noqa: BLE001 - provenance never stops a run
            found = None
            click.echo(
                click.style("warning: ", fg="yellow") + f"plugin {impl.plugin_name!r} "
                f"could not collect provenance: {type(exc).__name__}: {exc}",
                err=True,
            )
        for section, value in (found or {}).items():
            merged[section] = value
            for warning in (value.get("warnings") or []) if isinstance(value, dict) else []:
                click.echo(click.style("warning: ", fg="yellow") + str(warning), err=True)
    return merged or None


def _record(
    spec: ResolvedSpec,
    store: Any,
    mode: str,
    ray: Any,
    parent_id: str | None,
    sweep_id: str | None,
    quiet: bool,
    verbose: bool,
) -> RunResult:
    from .. import environment
    from ..plugins import get_manager, plugin_versions
    from ..ui import RunDisplay

    path = store_path(store)
    writer = StoreWriter(path)
    run_id = new_run_id()
    info = RunInfo(run_id, spec.name, spec.data, str(path), parent_id, sweep_id)
    hooks = get_manager().hook
    env = environment.collect()
    env["provenance"] = collect_provenance(hooks, info)
    writer.wait_for_store(say=_say)
    writer.create_run(run_id, spec, mode, parent_id, sweep_id, env, plugin_versions())
    hooks.run_started(run=info)
    started = time.monotonic()
    outcome: dict[str, Any] = {"status": "failed", "error": "the run did not report an outcome"}
    display = RunDisplay(quiet=quiet)
    recorder = EventRecorder(writer, info, display, hooks)
    try:
        with display:
            if ray is None:
                from .worker import run_pipeline

                gpus = float(spec.data.get("resources", {}).get("gpus", 0))
                device = "cuda" if gpus > 0 else "cpu"  # check_local_resources saw the GPU
                outcome = run_pipeline(
                    spec.data, run_id, recorder, device, local=True, spec_path=spec.path
                )
            elif int(spec.data.get("resources", {}).get("workers", 1)) > 1:
                from .distributed import run_distributed

                env = (actor_options(spec.data).get("runtime_env") or {}).get("env_vars", {})
                outcome = run_distributed(ray, spec, run_id, recorder, _record_all, env)
            else:
                outcome = _run_in_actor(ray, spec, run_id, recorder)
    except KeyboardInterrupt:
        outcome = {"status": "interrupted", "error": "interrupted (Ctrl-C or SIGTERM)"}
    except BaseException as exc:  # noqa: BLE001 - a bug in the driver is still recorded
        from .worker import outcome_of

        outcome = outcome_of(exc)
    finally:
        try:
            writer.finish_run(
                run_id, outcome["status"], outcome.get("error"), outcome.get("traceback")
            )
        except UserError as exc:  # a full disk: the outcome is still reported, and kept pending
            _say(f"could not record the outcome yet: {exc}")
        finally:
            from ..store.connection import release_writes

            lost = release_writes()
            if lost and outcome["status"] == "finished":  # the run went well, its record did not
                outcome = {**outcome, "status": "failed", "error": lost[0], "user_error": True}
            hooks.run_finished(run=info, status=outcome["status"], error=outcome.get("error"))
    return RunResult(
        run_id,
        spec.name,
        outcome["status"],
        outcome.get("metrics", {}),
        outcome.get("error"),
        bool(outcome.get("user_error")),
        time.monotonic() - started,
        recorder.artifacts,
    )


def _record_all(recorder: Callable[[Any], None], events: list[Any]) -> None:
    """Record every event of a drained list, even when Ctrl-C comes in the middle of it
    (it is raised again after the last one)."""
    interrupted = False
    for event in events:
        try:
            recorder(event)
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        raise KeyboardInterrupt


def _say(message: str) -> None:
    import sys

    print(f"specrun: {message}", file=sys.stderr, flush=True)


def actor_options(spec_data: dict[str, Any]) -> dict[str, Any]:
    """Ray options of a ``RunWorker`` actor: the spec's resources (shared with cv folds)."""
    res = spec_data.get("resources", {})
    options: dict[str, Any] = {
        "num_cpus": float(res.get("cpus", 1)),
        "num_gpus": float(res.get("gpus", 0)),
        "max_concurrency": 2,
        "max_restarts": 0,
    }
    if res.get("memory"):
        options["memory"] = int(res["memory"])
    if res.get("custom"):
        options["resources"] = dict(res["custom"])
    from ..worker_env import worker_env  # what the spec's components declare

    env = worker_env(spec_data)
    # A worker's str hashes (set and dict iteration order of strings) must not change from
    # one process to the next: Ray starts the worker with this in its environment.
    env["PYTHONHASHSEED"] = os.environ.get("PYTHONHASHSEED") or "0"
    options["runtime_env"] = {"env_vars": env} if env else None
    return options


def _run_in_actor(
    ray: Any, spec: ResolvedSpec, run_id: str, recorder: EventRecorder
) -> dict[str, Any]:
    from ray.exceptions import RayActorError

    from .worker import RunWorker

    actor = ray.remote(RunWorker).options(**actor_options(spec.data)).remote()
    recorded = 0  # events recorded so far: the actor keeps the rest until told

    def record_next(timeout: float | None = None) -> int:
        """Fetch and record what the actor holds past ``recorded``; return how many. A
        Ctrl-C while the reply is on its way leaves ``recorded`` as it was, so the same
        events come again with the next call instead of being lost."""
        nonlocal recorded
        events = ray.get(actor.drain.remote(recorded), timeout=timeout)
        try:
            _record_all(recorder, events)
        finally:  # _record_all records every event, even when Ctrl-C comes in the middle
            recorded += len(events)
        return len(events)

    try:
        ref = actor.run.remote(spec.data, run_id, spec.path)
        try:
            while True:
                ready, _ = ray.wait([ref], timeout=0.2)
                record_next()
                if ready:
                    outcome = ray.get(ref)
                    while record_next():
                        pass
                    return outcome
        except KeyboardInterrupt:
            # What the worker sent before the interrupt is written, not lost with the actor.
            deadline = time.monotonic() + 30
            try:
                while time.monotonic() < deadline:
                    try:
                        if not record_next(timeout=10):
                            break
                    except KeyboardInterrupt:  # a second Ctrl-C: keep writing what was sent
                        continue
            except Exception:  # noqa: BLE001 - the worker may be gone too
                pass
            raise
        except RayActorError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return {
                "status": "failed",
                "error": f"the worker process running the run died: {reason}",
            }
    finally:
        try:
            ray.kill(actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
        recorder.writer.flush()
