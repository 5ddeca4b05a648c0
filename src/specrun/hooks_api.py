"""Objects passed to the lifecycle hooks (kept tiny and import-free)."""

from __future__ import annotations

from dataclasses import dataclass


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
