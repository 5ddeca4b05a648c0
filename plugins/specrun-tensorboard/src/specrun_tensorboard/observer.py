"""The live observer: event files written while a run trains (on the driver, where every
metric, sample and artifact of the run arrives, whichever node trains it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .events import IMAGE_SUFFIXES, RunEvents, run_label, spec_markdown


class LiveWriter:
    def __init__(self) -> None:
        self.runs: dict[str, RunEvents] = {}
        self.steps: dict[str, int] = {}
        self._warned = False

    def start(self, run: Any, folder: str) -> None:
        def begin() -> None:
            label = run_label(run.name, run.run_id, run.role, run.sweep_id, run.parent_id)
            events = RunEvents(Path(folder) / label)
            self.runs[run.run_id] = events
            self.steps[run.run_id] = 0
            events.text("spec", spec_markdown(run.spec), 0)

        self._guard(run, begin)

    def metrics(self, run: Any, points: list[Any]) -> None:
        events = self.runs.get(run.run_id)
        if events is None:
            return

        def write() -> None:
            by_step: dict[int, dict[str, float]] = {}
            for p in points:
                if p.value is not None:
                    by_step.setdefault(int(p.step), {})[f"{p.split}/{p.name}"] = float(p.value)
            for step, values in by_step.items():
                events.scalars(values, step)
                self.steps[run.run_id] = max(self.steps[run.run_id], step)

        self._guard(run, write)

    def artifact(self, run: Any, artifact: Any) -> None:
        events = self.runs.get(run.run_id)
        if events is None or Path(artifact.name).suffix.lower() not in IMAGE_SUFFIXES:
            return
        self._guard(
            run,
            lambda: events.image(
                artifact.name, Path(artifact.abs_path).read_bytes(), self.steps.get(run.run_id, 0)
            ),
        )

    def finish(self, run: Any) -> None:
        events = self.runs.pop(run.run_id, None)
        self.steps.pop(run.run_id, None)
        if events is not None:
            self._guard(run, events.close)

    def _guard(self, run: Any, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - an observer must never fail the experiment
            self.runs.pop(run.run_id, None)
            if not self._warned:
                self._warned = True
                first = (str(exc).strip().splitlines() or [""])[0][:300]
                print(
                    f"warning: specrun-tensorboard: stopped writing run {run.run_id}: "
                    f"{type(exc).__name__}: {first}",
                    file=sys.stderr,
                )
