"""Objects passed to the lifecycle hooks (kept tiny and import-free)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricPoint:
    split: str
    name: str
    step: int
    value: float | None


@dataclass(frozen=True)
class ArtifactInfo:
    run_id: str
    name: str
    kind: str | None
    path: str
    sha256: str
    bytes: int
    abs_path: str


@dataclass(frozen=True)
class SweepInfo:
    sweep_id: str
    name: str
    spec: dict[str, Any] = field(hash=False)
    store: str
    metric: str
    mode: str  # min or max
