"""The hooks and the ``wandb:`` spec section. Loaded by every `specrun` command, so it imports
nothing heavy: wandb is imported by the mirror, and only when mirroring is on.

On when the spec has a ``wandb:`` section, or ``SPECRUN_WANDB=1`` is set; off otherwise.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Literal

from pydantic import Field
from specrun import Params, hookimpl
from specrun.components import SpecSection

ENV_ON = "SPECRUN_WANDB"
MODES = ("offline", "online", "disabled")


class WandbSection(Params):
    """Mirror the run into Weights & Biases (offline by default: `wandb sync` uploads later)."""

    mode: Literal["offline", "online", "disabled"] = Field(
        "offline", description="offline writes a run folder for `wandb sync`; online uploads now"
    )
    project: str | None = Field(None, description="W&B project (default: the spec's name)")
    entity: str | None = Field(None, description="W&B entity (team or user)")
    dir: str | None = Field(None, description="where run folders go (default: beside the store)")
    samples: bool = Field(True, description="log the run's samples as a W&B Table per split")
    artifacts: bool = Field(True, description="log the run's artifacts as one W&B artifact")


def settings_of(spec: dict[str, Any] | None) -> WandbSection | None:
    """The mirror's settings for a run: the spec's section, else the environment, else None."""
    section = (spec or {}).get("wandb")
    if section is not None:
        return WandbSection.model_validate(section)
    if os.environ.get(ENV_ON, "").strip().lower() not in ("1", "true", "yes", "on"):
        return None
    mode = os.environ.get("SPECRUN_WANDB_MODE", "offline").strip()
    if mode not in MODES:
        _env_warning(f"SPECRUN_WANDB_MODE={mode!r} is not one of {', '.join(MODES)}; not mirroring")
        return None
    return WandbSection(
        mode=mode,  # type: ignore[arg-type]
        project=os.environ.get("SPECRUN_WANDB_PROJECT") or None,
        entity=os.environ.get("SPECRUN_WANDB_ENTITY") or None,
        dir=os.environ.get("SPECRUN_WANDB_DIR") or None,
    )


_warned: set[str] = set()


def _env_warning(text: str) -> None:
    if text not in _warned:
        _warned.add(text)
        print(f"warning: specrun-wandb: {text}", file=sys.stderr)


_mirror: Any = None
_broken = False  # wandb could not even start: not tried again in this process


def _get_mirror() -> Any:
    global _mirror, _broken
    if _mirror is None and not _broken:
        try:
            from .mirror import WandbMirror

            _mirror = WandbMirror()
        except Exception as exc:  # noqa: BLE001 - a mirror must never fail the experiment
            _broken = True
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            _env_warning(f"cannot start W&B, not mirroring: {type(exc).__name__}: {first}")
    return _mirror


def flush(timeout: float | None = None) -> bool:
    """Wait until every event so far reached W&B (True) or ``timeout`` passed (False)."""
    return True if _mirror is None else bool(_mirror.flush(timeout))


@hookimpl
def register_spec_sections(register: Any) -> None:
    register(SpecSection("wandb", WandbSection))


@hookimpl
def run_started(run: Any) -> None:
    settings = settings_of(run.spec)
    if settings is not None and settings.mode != "disabled":
        mirror = _get_mirror()
        if mirror is not None:
            mirror.start(run, settings)


@hookimpl
def metrics_logged(run: Any, metrics: list[Any]) -> None:
    if _mirror is not None:
        _mirror.metrics(run, metrics)


@hookimpl
def samples_logged(run: Any, split: str, step: int | None, samples: list[dict[str, Any]]) -> None:
    if _mirror is not None:
        _mirror.samples(run, split, step, samples)


@hookimpl
def artifact_saved(run: Any, artifact: Any) -> None:
    if _mirror is not None:
        _mirror.artifact(run, artifact)


@hookimpl
def run_finished(run: Any, status: str, error: str | None) -> None:
    if _mirror is not None:
        _mirror.finish(run, status, error)
