"""The data kinds: yolo_folder, coco, voc and generated_detection. Each reads (or makes) its
images and annotations, checks them, and returns a ``Dataset`` of detection frames."""

from __future__ import annotations

from typing import Any

from specrun import Dataset

from .convert import coco_records, voc_records
from .params import CocoParams, GeneratedDetectionParams, VocParams, YoloFolderParams
from .records import build_dataset
from .shapes import describe, generate_shapes
from .yolo_folder import read_yolo_folder


def _report_clipped(ctx: Any, clipped: int, tolerance: float) -> None:
    if clipped:
        ctx.log(
            f"data: clipped {clipped} box(es) that passed the image edge by at most "
            f"{tolerance:g} px (data.box_tolerance)"
        )


class YoloFolderSource:
    def __init__(self, params: YoloFolderParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        p = self.params
        splits, names, clipped = read_yolo_folder(p.path, p.names, p.box_tolerance)
        _report_clipped(ctx, clipped, p.box_tolerance)
        return build_dataset(splits, names, p.split, ctx.seed, str(p.path))


class CocoSource:
    def __init__(self, params: CocoParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        p = self.params
        records, names, clipped = coco_records(p.annotations, p.images, p.box_tolerance, p.crowd)
        _report_clipped(ctx, clipped, p.box_tolerance)
        return build_dataset({"train": records}, names, p.split, ctx.seed, str(p.annotations))


class VocSource:
    def __init__(self, params: VocParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        p = self.params
        records, names, clipped = voc_records(
            p.annotations, p.images, p.names, p.box_tolerance, p.difficult
        )
        _report_clipped(ctx, clipped, p.box_tolerance)
        return build_dataset({"train": records}, names, p.split, ctx.seed, str(p.annotations))


class GeneratedDetectionSource:
    def __init__(self, params: GeneratedDetectionParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        p = self.params
        classes = list(p.classes)
        records = generate_shapes(
            ctx.work_dir / "generated_detection",
            p.images,
            p.size,
            classes,
            p.max_objects,
            p.min_scale,
            p.max_scale,
            ctx.seed,
        )
        counts = describe(records, classes)
        ctx.log("data: generated " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        return build_dataset({"train": records}, classes, p.split, ctx.seed, "generated_detection")
