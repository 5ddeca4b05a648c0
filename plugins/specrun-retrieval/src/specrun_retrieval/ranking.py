"""Ranking arithmetic shared by the metric kinds and the trainer. numpy only.

A ranking matrix has one row per context and N columns of candidate scores; column 0 holds
the true response. Ties count against the model: a model that scores every candidate the
same ranks the true one last, not first.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def true_ranks(scores: Any) -> np.ndarray:
    """1-based rank of column 0 in each row (pessimistic on ties)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"a ranking needs a (contexts, N >= 2) score matrix, got shape {s.shape}")
    true = s[:, :1]
    return 1 + (s[:, 1:] >= true).sum(axis=1)


def ranking_metrics(
    scores: Any, ks: list[int] | tuple[int, ...] = (1, 2, 5), prefix: str = ""
) -> dict[str, float]:
    """``r{N}@{k}`` for each k < N and ``mrr{N}`` for one (contexts, N) matrix."""
    s = np.asarray(scores)
    n = s.shape[1] if s.ndim == 2 else 0
    ranks = true_ranks(s)
    out = {f"{prefix}r{n}@{k}": float((ranks <= k).mean()) for k in ks if k < n}
    out[f"{prefix}mrr{n}"] = float((1.0 / ranks).mean())
    return out


def rank_positions(order_first: np.ndarray, n: int) -> np.ndarray:
    """Scores n, n-1, ... for the columns listed in ``order_first`` (best first), so that a
    two-stage ordering becomes one tie-free score row."""
    out = np.zeros(n, dtype=np.float32)
    out[order_first] = np.arange(n, 0, -1, dtype=np.float32)[: len(order_first)]
    return out
