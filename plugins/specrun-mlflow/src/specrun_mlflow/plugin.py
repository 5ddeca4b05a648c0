"""The hooks: specrun calls them on the driver; they hand each event to the mirror.

Loaded by every `specrun` command, so it imports nothing heavy: mlflow is imported by
the mirror, and only when ``SPECRUN_MLFLOW_URI`` is set.
"""

from __future__ import annotations

import os
from typing import Any

from specrun import hookimpl

ENV_URI = "SPECRUN_MLFLOW_URI"

_mirror: Any = None


def _active() -> Any:
    """The mirror for the current tracking URI, or None when mirroring is off."""
    global _mirror
    uri = os.environ.get(ENV_URI, "").strip()
    if not uri:
        return None
    if _mirror is None or _mirror.uri != uri:
        from .mirror import MlflowMirror, warn

        try:
            _mirror = MlflowMirror(uri)
        except Exception as exc:  # noqa: BLE001 - a mirror must never fail the experiment
            warn(f"cannot open the MLflow store {uri}", exc)
            return None
    return _mirror


@hookimpl
def run_started(run: Any) -> None:
    mirror = _active()
    if mirror is not None:
        mirror.start(run)


@hookimpl
def metrics_logged(run: Any, metrics: list[Any]) -> None:
    if _mirror is not None:
        _mirror.metrics(run, metrics)


@hookimpl
def artifact_saved(run: Any, artifact: Any) -> None:
    if _mirror is not None:
        _mirror.artifact(run, artifact)


@hookimpl
def run_finished(run: Any, status: str, error: str | None) -> None:
    if _mirror is not None:
        _mirror.finish(run, status, error)
