"""Metric kinds `retrieval` (recall@k and MRR) and `mrr`.

They read ``Predictions.extra["ranking"]``: {N: (contexts, N) scores with the true response
in column 0}, as the retrieval trainer gives."""

from __future__ import annotations

from typing import Any

from specrun import Predictions, UserError

from .params import MrrParams, RetrievalMetricParams
from .ranking import ranking_metrics


def _rankings(preds: Predictions, metric: str) -> dict[int, Any]:
    rankings = preds.extra.get("ranking")
    if not rankings:
        raise UserError(
            f"metric {metric!r} needs ranked candidates (predictions.extra['ranking']); "
            "use it with trainer kind retrieval_trainer"
        )
    return rankings


class RetrievalMetric:
    def __init__(self, params: RetrievalMetricParams):
        self.params = params

    def compute(self, preds: Predictions) -> dict[str, float]:
        out: dict[str, float] = {}
        for _, scores in sorted(_rankings(preds, "retrieval").items()):
            out.update(ranking_metrics(scores, self.params.ks))
        return out


class Mrr:
    def __init__(self, params: MrrParams):
        self.params = params

    def compute(self, preds: Predictions) -> dict[str, float]:
        out: dict[str, float] = {}
        for n, scores in sorted(_rankings(preds, "mrr").items()):
            out[f"mrr{n}"] = ranking_metrics(scores, ())[f"mrr{n}"]
        return out
