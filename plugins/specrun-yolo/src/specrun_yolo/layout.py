"""Laying a detection ``Dataset`` out the way ultralytics trains from it.

``<root>/images/{train,val,test}/`` holds links to the original images (copies where the
filesystem refuses links), ``<root>/labels/...`` their YOLO label files, and
``<root>/data.yaml`` names them. Each image gets a unique ``<row>_<stem>`` name, so images
with the same file name from different folders cannot overwrite each other's labels.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specrun import DataError, Dataset

from .records import boxes_of, frame_boxes_problems

# specrun split -> ultralytics split
SPLITS = {"train": "train", "eval": "val", "test": "test"}
REQUIRED_COLUMNS = ("image", "boxes")


@dataclass
class YoloLayout:
    root: Path
    data_yaml: Path
    names: list[str]
    images: dict[str, list[Path]]  # specrun split -> laid-out image paths, in frame order


def check_detection_data(dataset: Dataset) -> list[str]:
    """The class names; a clear error when the data is not detection data."""
    names = dataset.meta.get("names")
    if not names:
        raise DataError(
            "the yolo model needs detection data with class names (data kinds "
            "generated_detection, yolo_folder, coco, voc)"
        )
    for split, frame in dataset.splits.items():
        columns = getattr(frame, "columns", [])
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise DataError(
                f"the yolo model needs columns image and boxes; the {split} split has "
                f"{', '.join(columns) or 'none'}"
            )
        bad = frame_boxes_problems(frame, len(names), split)
        if bad:
            raise DataError(
                f"{len(bad)} boxes have class ids beyond the {len(names)} class names "
                f"{names}: {'; '.join(bad[:5])}"
            )
    if "eval" not in dataset.splits or not len(dataset.splits["eval"]):
        raise DataError(
            "the yolo model validates every epoch and needs an eval split: set "
            "data.split.eval above 0 (or give the folder a val/ set)"
        )
    return list(names)


def write_layout(dataset: Dataset, root: Path) -> YoloLayout:
    import yaml

    names = check_detection_data(dataset)
    root.mkdir(parents=True, exist_ok=True)
    images: dict[str, list[Path]] = {}
    for split, ul_split in SPLITS.items():
        if split not in dataset.splits or not len(dataset.splits[split]):
            continue
        image_dir, label_dir = root / "images" / ul_split, root / "labels" / ul_split
        image_dir.mkdir(parents=True, exist_ok=True)
        label_dir.mkdir(parents=True, exist_ok=True)
        placed = []
        for i, (image, boxes) in enumerate(
            dataset.splits[split].select("image", "boxes").iter_rows()
        ):
            source = Path(image)
            target = image_dir / f"{i:06d}_{source.name}"
            _link_or_copy(source, target)
            lines = "".join(b.line() + "\n" for b in boxes_of(boxes))
            (label_dir / f"{target.stem}.txt").write_text(lines, encoding="utf-8")
            placed.append(target)
        images[split] = placed
    data: dict[str, Any] = {"path": str(root), "names": dict(enumerate(names))}
    data.update({SPLITS[s]: f"images/{SPLITS[s]}" for s in images})
    data_yaml = root / "data.yaml"
    data_yaml.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return YoloLayout(root, data_yaml, names, images)


def _link_or_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise DataError(f"image {source} does not exist (was it moved after loading?)")
    if target.exists() or target.is_symlink():
        target.unlink()
    try:
        os.symlink(source, target)
    except OSError:
        shutil.copyfile(source, target)
