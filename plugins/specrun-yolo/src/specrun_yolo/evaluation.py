"""One prediction pass over an evaluated split, at the confidence a user would deploy with:
the per-image detections (``Predictions.outputs``), the confusion matrix (numbers and
plots) and a few images with their predicted boxes drawn (artifacts and samples rows).

Why not ultralytics' own validation matrix: validation predicts at conf 0.001 (right for
mAP), and this ultralytics counts its matrix at that same threshold, so every ground truth
is "found" and the background column holds thousands of near-zero boxes. At ``model.conf``
the matrix shows what the detector misses and confuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .records import boxes_of

IOU_MATCH = 0.45  # ultralytics' confusion matrix default


@dataclass
class SplitPredictions:
    outputs: list[list[dict[str, Any]]] = field(default_factory=list)  # per image
    references: list[list[dict[str, Any]]] = field(default_factory=list)
    matrix: Any = None  # ultralytics ConfusionMatrix


def _reference(row: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    w, h = row["width"], row["height"]
    return [
        {
            "class": names[b.cls],
            "box": [
                (b.x - b.w / 2) * w,
                (b.y - b.h / 2) * h,
                (b.x + b.w / 2) * w,
                (b.y + b.h / 2) * h,
            ],
        }
        for b in boxes_of(row["boxes"])
    ]


def _describe(items: list[dict[str, Any]]) -> str:
    if not items:
        return "(nothing)"
    parts = []
    for item in items:
        box = "[" + ", ".join(f"{v:.0f}" for v in item["box"]) + "]"
        conf = f" {item['conf']:.2f}" if "conf" in item else ""
        parts.append(f"{item['class']}{conf} {box}")
    return "; ".join(parts)


def predict_split(
    ctx: Any,
    model: Any,
    frame: Any,
    images: list[Path],
    names: list[str],
    split: str,
    conf: float,
    samples: int,
    predict_args: dict[str, Any],
) -> SplitPredictions:
    """Predict every image of a split (streamed); draw and log the first ``samples``."""
    import cv2
    import torch
    from ultralytics.utils.metrics import ConfusionMatrix

    out = SplitPredictions(matrix=ConfusionMatrix(names=dict(enumerate(names))))
    drawn_dir = ctx.work_dir / "predictions" / split
    drawn_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    results = model.predict([str(p) for p in images], stream=True, conf=conf, **predict_args)
    for i, (path, result) in enumerate(zip(images, results, strict=True)):
        row = frame.row(i, named=True)
        boxes = result.boxes.cpu()
        predicted = [
            {"class": names[int(c)], "conf": float(s), "box": [float(v) for v in xyxy]}
            for c, s, xyxy in zip(
                boxes.cls.tolist(), boxes.conf.tolist(), boxes.xyxy.tolist(), strict=True
            )
        ]
        reference = _reference(row, names)
        out.outputs.append(predicted)
        out.references.append(reference)
        gt = boxes_of(row["boxes"])
        out.matrix.process_batch(
            {"bboxes": boxes.xyxy, "conf": boxes.conf, "cls": boxes.cls},
            {
                "cls": torch.tensor([b.cls for b in gt], dtype=torch.float32),
                "bboxes": torch.tensor([r["box"] for r in reference], dtype=torch.float32).reshape(
                    -1, 4
                ),
            },
            conf=conf,
            iou_thres=IOU_MATCH,
        )
        if i < samples:
            image = drawn_dir / f"{path.stem}.jpg"
            cv2.imwrite(str(image), result.plot(line_width=1, font_size=8))
            ctx.save_artifact(image, f"predictions/{split}/{image.name}", kind="image")
            rows.append(
                {
                    "input": Path(row["image"]).name,
                    "reference": _describe(reference),
                    "output": _describe(predicted),
                }
            )
    ctx.log_samples(rows, split=split)
    return out


def save_confusion_matrix(ctx: Any, matrix: Any, names: list[str], split: str, conf: float) -> None:
    """The matrix as numbers (json) and as ultralytics' two plots (counts, normalised)."""
    path = ctx.work_dir / f"confusion_matrix_{split}.json"
    # rows: predicted class, columns: true class; the last of each is "background"
    doc = {
        "labels": [*names, "background"],
        "rows": "predicted",
        "columns": "true",
        "conf": conf,
        "iou": IOU_MATCH,
        "matrix": matrix.matrix.tolist(),
    }
    path.write_text(json.dumps(doc))
    ctx.save_artifact(path, f"{split}/confusion_matrix.json", kind="metrics")
    plot_dir = ctx.work_dir / f"confusion_matrix_{split}"
    plot_dir.mkdir(exist_ok=True)
    for normalize in (False, True):
        matrix.plot(normalize=normalize, save_dir=plot_dir)
    for plot in sorted(plot_dir.glob("*.png")):
        ctx.save_artifact(plot, f"{split}/{plot.name}", kind="plot")


def save_validation_plots(ctx: Any, save_dir: Path, split: str) -> None:
    """Ultralytics' precision/recall curves of a validation run (with ``model.plots``)."""
    for plot in sorted(save_dir.glob("*curve*.png")):
        ctx.save_artifact(plot, f"{split}/{plot.name}", kind="plot")
