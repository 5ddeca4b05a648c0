"""Writing specrun's run events into MLflow through ``MlflowClient`` (no fluent global
state, no server: the tracking URI is a sqlite file or a folder).

A mirror must never break an experiment: any MLflow error is reported once on stderr and
mirroring of that run stops; the DuckDB store keeps everything regardless.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specrun.store.writer import flatten_params

STATUS = {"finished": "FINISHED", "failed": "FAILED", "interrupted": "KILLED", "stopped": "KILLED"}
MAX_BATCH = 1000  # MLflow's limit of metrics in one log_batch call
MAX_PARAMS_PER_BATCH = 100  # and of params
MAX_PARAM_VALUE = 6000
FLUSH_EVERY_S = 2.0
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. :/]")


def param_key(path: str) -> str:
    """A specrun dotted path as an MLflow key: brackets are not allowed there."""
    return _KEY_UNSAFE.sub("_", re.sub(r"\[(\d+)\]", r".\1", path))


def param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:MAX_PARAM_VALUE]


def tracking_uri(uri: str) -> str:
    """A plain folder means a file store; URIs (sqlite:///, file:///) pass unchanged."""
    if "://" in uri or uri.startswith("sqlite:"):
        return uri
    return Path(uri).resolve().as_uri()


@dataclass
class _Mirrored:
    mlflow_run_id: str
    pending: list[Any] = field(default_factory=list)
    last_flush: float = field(default_factory=time.monotonic)


class MlflowMirror:
    def __init__(self, uri: str):
        from mlflow.tracking import MlflowClient

        self.uri = uri
        self.client = MlflowClient(tracking_uri=tracking_uri(uri))
        self.runs: dict[str, _Mirrored] = {}
        self.with_artifacts = os.environ.get("SPECRUN_MLFLOW_ARTIFACTS", "1") != "0"

    # -- lifecycle ---------------------------------------------------------------
    def start(self, run: Any) -> None:
        from mlflow.entities import Param, RunTag

        def begin() -> None:
            experiment_id = self._experiment(
                os.environ.get("SPECRUN_MLFLOW_EXPERIMENT") or run.name
            )
            tags = {"specrun.run_id": run.run_id, "specrun.store": str(run.store)}
            if run.parent_id:
                tags["specrun.parent_id"] = run.parent_id
            if run.sweep_id:
                tags["specrun.sweep_id"] = run.sweep_id
            created = self.client.create_run(
                experiment_id, run_name=f"{run.name}-{run.run_id[:6]}", tags=tags
            )
            self.runs[run.run_id] = _Mirrored(created.info.run_id)
            params = [Param(param_key(p), param_value(v)) for p, v in flatten_params(run.spec) if p]
            for i in range(0, len(params), MAX_PARAMS_PER_BATCH):
                self.client.log_batch(
                    created.info.run_id, params=params[i : i + MAX_PARAMS_PER_BATCH]
                )
            description = (run.spec or {}).get("description")
            if description:
                self.client.log_batch(
                    created.info.run_id, tags=[RunTag("mlflow.note.content", description)]
                )

        self._guard(run, begin)

    def metrics(self, run: Any, points: list[Any]) -> None:
        from mlflow.entities import Metric

        state = self.runs.get(run.run_id)
        if state is None:
            return
        stamp = int(time.time() * 1000)
        for p in points:
            if p.value is not None:
                state.pending.append(
                    Metric(f"{p.split}/{p.name}", float(p.value), stamp, int(p.step))
                )
        # Batched like specrun's own writer: one call per second or two, not one per point.
        if len(state.pending) >= MAX_BATCH or time.monotonic() - state.last_flush >= FLUSH_EVERY_S:
            self._guard(run, lambda: self._flush(state))

    def artifact(self, run: Any, artifact: Any) -> None:
        state = self.runs.get(run.run_id)
        if state is None or not self.with_artifacts:
            return
        folder = os.path.dirname(artifact.name) or None
        self._guard(
            run, lambda: self.client.log_artifact(state.mlflow_run_id, artifact.abs_path, folder)
        )

    def finish(self, run: Any, status: str, error: str | None) -> None:
        state = self.runs.get(run.run_id)
        if state is None:
            return

        def end() -> None:
            from mlflow.entities import RunTag

            self._flush(state)
            if error:
                self.client.log_batch(
                    state.mlflow_run_id, tags=[RunTag("specrun.error", error[:5000])]
                )
            self.client.set_terminated(state.mlflow_run_id, STATUS.get(status, "FAILED"))

        try:
            self._guard(run, end)
        finally:
            self.runs.pop(run.run_id, None)

    # -- helpers -------------------------------------------------------------------
    def _experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        return str(
            self.client.create_experiment(name, artifact_location=self._artifact_location(name))
        )

    def _artifact_location(self, name: str) -> str | None:
        """Beside a sqlite file, not in the working directory where MLflow would put them."""
        uri = tracking_uri(self.uri)
        if not uri.startswith("sqlite:///"):
            return None  # a file store keeps artifacts inside itself
        db = Path(uri[len("sqlite:///") :])
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        return (db.parent / f"{db.stem}_artifacts" / safe).resolve().as_uri()

    def _flush(self, state: _Mirrored) -> None:
        state.last_flush = time.monotonic()
        while state.pending:
            batch, state.pending = state.pending[:MAX_BATCH], state.pending[MAX_BATCH:]
            self.client.log_batch(state.mlflow_run_id, metrics=batch)

    def _guard(self, run: Any, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a mirror must never fail the experiment
            self.runs.pop(run.run_id, None)
            warn(f"stopped mirroring run {run.run_id} to {self.uri}", exc)


def warn(what: str, exc: BaseException) -> None:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(f"warning: specrun-mlflow {what}: {type(exc).__name__}: {first}", file=sys.stderr)
