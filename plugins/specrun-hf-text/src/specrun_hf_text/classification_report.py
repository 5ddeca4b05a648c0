"""What a classifier records about one split when it is done: per-class precision, recall
and F1 (metrics), the confusion matrix (CSV + PNG), a JSON report and the logits with ids
and labels (``predictions/<split>_logits.parquet``) from which ensembles are built."""

from __future__ import annotations

import json
from typing import Any

LOGITS_ARTIFACT = "predictions/{split}_logits.parquet"
CLASSES_ARTIFACT = "predictions/classes.json"


def confusion_matrix(y_true: list[str], y_pred: list[str], classes: list[str]) -> Any:
    import numpy as np

    index = {c: i for i, c in enumerate(classes)}
    m = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            m[index[t], index[p]] += 1
    return m


def per_class(matrix: Any, classes: list[str]) -> dict[str, dict[str, float]]:
    report = {}
    for i, c in enumerate(classes):
        tp = float(matrix[i, i])
        predicted, actual = float(matrix[:, i].sum()), float(matrix[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[c] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    return report


def write_logits(
    path: Any, ids: list[str], labels: list[str], logits: Any, classes: list[str]
) -> None:
    import polars as pl

    cols: dict[str, Any] = {
        "id": [str(i) for i in ids],
        "label": [str(y) for y in labels],
        "pred": [classes[k] for k in logits.argmax(axis=1)],
    }
    for k in range(logits.shape[1]):
        cols[f"logit_{k}"] = logits[:, k].astype("float32")
    pl.DataFrame(cols).write_parquet(path)


def record_split(
    ctx: Any,
    split: str,
    ids: list[str],
    references: list[str],
    logits: Any,
    classes: list[str],
    inputs: list[str] | None = None,
    samples: int = 0,
    save_logits: bool = True,
) -> None:
    """Log per-class metrics and save the report, confusion matrix and logits of ``split``."""
    from .plots import confusion_png

    preds = [classes[k] for k in logits.argmax(axis=1)]
    matrix = confusion_matrix(references, preds, classes)
    report = per_class(matrix, classes)
    values = {}
    for c, r in report.items():
        values.update(
            {f"precision/{c}": r["precision"], f"recall/{c}": r["recall"], f"f1/{c}": r["f1"]}
        )
    ctx.log_metrics(values, split=split)
    out = ctx.work_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / f"{split}_classification_report.json"
    report_path.write_text(
        json.dumps(
            {"classes": classes, "per_class": report, "confusion": matrix.tolist()},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    csv_path = out / f"{split}_confusion.csv"
    header = "true\\pred," + ",".join(classes)
    rows = [f"{c}," + ",".join(str(int(v)) for v in matrix[i]) for i, c in enumerate(classes)]
    csv_path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    png_path = out / f"{split}_confusion.png"
    accuracy = float(matrix.trace() / matrix.sum()) if matrix.sum() else 0.0
    confusion_png(
        matrix, classes, png_path, f"{split}: accuracy {accuracy:.3f} (n={int(matrix.sum())})"
    )
    for p in (report_path, csv_path, png_path):
        ctx.save_artifact(p, f"reports/{p.name}", kind="report")
    if save_logits:
        pred_dir = ctx.work_dir / "predictions"
        pred_dir.mkdir(exist_ok=True)
        logits_path = pred_dir / f"{split}_logits.parquet"
        write_logits(logits_path, ids, references, logits, classes)
        ctx.save_artifact(logits_path, LOGITS_ARTIFACT.format(split=split), kind="predictions")
        classes_path = pred_dir / "classes.json"
        classes_path.write_text(json.dumps(classes, ensure_ascii=False), encoding="utf-8")
        ctx.save_artifact(classes_path, CLASSES_ARTIFACT, kind="predictions")
    if samples and inputs is not None and split == "eval":
        k = min(samples, len(inputs))
        ctx.log_samples(
            (
                {"input": inputs[i], "reference": references[i], "output": preds[i]}
                for i in range(k)
            ),
            split=split,
        )
