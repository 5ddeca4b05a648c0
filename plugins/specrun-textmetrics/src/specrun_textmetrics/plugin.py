"""specrun-textmetrics registration: the metric kinds (pydantic and specrun imports only)."""

from __future__ import annotations

from typing import Any

from specrun import Component, hookimpl

from .metrics import BleuParams, ChrfParams, DistinctNParams, LossParams, RougeParams

_M = "specrun_textmetrics.metrics"


@hookimpl
def register_components(register: Any) -> None:
    register(Component("metrics", "bleu", BleuParams, f"{_M}:Bleu"))
    register(Component("metrics", "chrf", ChrfParams, f"{_M}:Chrf"))
    register(Component("metrics", "rouge", RougeParams, f"{_M}:Rouge"))
    register(Component("metrics", "loss", LossParams, f"{_M}:Loss"))
    register(Component("metrics", "distinct_n", DistinctNParams, f"{_M}:DistinctN"))
