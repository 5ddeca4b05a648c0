"""Framework-free classification metrics: accuracy and macro-F1 (numpy only)."""

from __future__ import annotations

from typing import Any

from ..components import Params
from ..context import Predictions


class AccuracyParams(Params):
    """Share of predictions equal to their reference."""


class MacroF1Params(Params):
    """F1 per class, averaged with equal weight per class (classes from references and outputs)."""


def _pairs(preds: Predictions, metric: str) -> tuple[Any, Any]:
    import numpy as np

    preds.need("outputs", "references", metric=metric)
    y_true = np.asarray([str(x) for x in preds.references or []])
    y_pred = np.asarray([str(x) for x in preds.outputs or []])
    if len(y_true) != len(y_pred):
        raise ValueError(f"{metric}: {len(y_pred)} outputs for {len(y_true)} references")
    return y_true, y_pred


class Accuracy:
    def __init__(self, params: AccuracyParams):
        self.params = params

    def compute(self, preds: Predictions) -> dict[str, float]:
        y_true, y_pred = _pairs(preds, "accuracy")
        return {"accuracy": float((y_true == y_pred).mean()) if len(y_true) else 0.0}


def macro_f1(y_true: Any, y_pred: Any) -> float:
    import numpy as np

    classes = np.union1d(y_true, y_pred)
    scores = []
    for c in classes:
        tp = float(np.sum((y_pred == c) & (y_true == c)))
        fp = float(np.sum((y_pred == c) & (y_true != c)))
        fn = float(np.sum((y_pred != c) & (y_true == c)))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores)) if scores else 0.0


class MacroF1:
    def __init__(self, params: MacroF1Params):
        self.params = params

    def compute(self, preds: Predictions) -> dict[str, float]:
        y_true, y_pred = _pairs(preds, "macro_f1")
        return {"macro_f1": macro_f1(y_true, y_pred)}
