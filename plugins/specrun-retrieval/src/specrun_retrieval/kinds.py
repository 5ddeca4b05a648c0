"""The model kinds this plugin trains, and a stored run's model kind (no heavy imports)."""

from __future__ import annotations

from typing import Any

from specrun.model_card import model_kind_of

MODEL_KINDS = ("bi_encoder", "poly_encoder", "cross_encoder", "retrieve_and_rerank")


def model_kind(run: Any) -> str | None:
    """The model kind of a stored run (its resolved spec is canonical JSON)."""
    return model_kind_of(run) if isinstance(run, dict) else None
