"""The detection data every source produces: images with YOLO boxes, checked, as Polars frames.

A split is a frame with one row per image: ``image`` (absolute path), ``width``, ``height``,
``boxes`` (list of {cls, x, y, w, h}: class index and centre/size normalised to 0..1, the
YOLO convention) and ``source`` (the annotation it came from, for messages). The class names
travel in ``Dataset.meta["names"]``.

Problems are collected over the whole source and reported together (the first few of
each kind, with counts), so that one run shows everything that needs fixing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specrun import DataError, Dataset

# What ultralytics reads as images (ultralytics.data.utils.IMG_FORMATS, minus video).
IMAGE_SUFFIXES = frozenset(
    {".bmp", ".dng", ".jpeg", ".jpg", ".mpo", ".png", ".tif", ".tiff", ".webp", ".pfm", ".heic"}
)
SHOWN_PER_PROBLEM = 5


@dataclass
class Box:
    cls: int
    x: float
    y: float
    w: float
    h: float

    def line(self) -> str:
        return f"{self.cls} {self.x:.6f} {self.y:.6f} {self.w:.6f} {self.h:.6f}"


@dataclass
class ImageRecord:
    image: Path
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    source: str = ""


class Problems:
    """Collects data problems by kind; ``raise_if_any`` turns them into one DataError."""

    def __init__(self, where: str):
        self.where = where
        self.by_kind: dict[str, list[str]] = {}

    def add(self, kind: str, detail: str) -> None:
        self.by_kind.setdefault(kind, []).append(detail)

    def __bool__(self) -> bool:
        return bool(self.by_kind)

    def raise_if_any(self) -> None:
        if not self.by_kind:
            return
        parts = []
        for kind, details in self.by_kind.items():
            shown = "; ".join(details[:SHOWN_PER_PROBLEM])
            more = (
                f" (and {len(details) - SHOWN_PER_PROBLEM} more)"
                if len(details) > SHOWN_PER_PROBLEM
                else ""
            )
            parts.append(f"{len(details)} {kind}: {shown}{more}")
        raise DataError(f"{self.where}: " + "\n  ".join(parts))


class BoxChecker:
    """Turns pixel corner boxes into YOLO boxes. A box past the image edge by more than
    ``tolerance`` pixels is a problem, not silently clipped; within it (annotation tools
    round) it is clipped and counted."""

    def __init__(self, problems: Problems, num_classes: int, tolerance: float):
        self.problems = problems
        self.num_classes = num_classes
        self.tolerance = tolerance
        self.clipped = 0

    def check_class(self, cls: Any, where: str) -> int | None:
        if isinstance(cls, float) and cls.is_integer():
            cls = int(cls)
        if not isinstance(cls, int) or isinstance(cls, bool) or not 0 <= cls < self.num_classes:
            self.problems.add(
                "class ids beyond the class list",
                f"{where}: class id {cls!r} is not in 0..{self.num_classes - 1}",
            )
            return None
        return cls

    def corners(
        self,
        cls: int,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        width: int,
        height: int,
        where: str,
    ) -> Box | None:
        if not x1 > x0 or not y1 > y0:
            self.problems.add(
                "empty boxes", f"{where}: box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) has no area"
            )
            return None
        tol = self.tolerance
        if x0 < -tol or y0 < -tol or x1 > width + tol or y1 > height + tol:
            self.problems.add(
                "boxes outside their image",
                f"{where}: box ({x0:g}, {y0:g}, {x1:g}, {y1:g}) is outside the "
                f"{width}x{height} image",
            )
            return None
        if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
            self.clipped += 1
            x0, y0, x1, y1 = max(x0, 0.0), max(y0, 0.0), min(x1, width), min(y1, height)
        return Box(
            cls,
            (x0 + x1) / 2 / width,
            (y0 + y1) / 2 / height,
            (x1 - x0) / width,
            (y1 - y0) / height,
        )


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the file header; raises DataError for an unreadable image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path}: not a readable image ({type(exc).__name__})") from None


def list_images(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )


def require_images(images: list[Any], folder: Path) -> None:
    if not images:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(f"{folder}: the image folder has no images (looked for {kinds})")


# ----------------------------------------------------------------------------- frames

BOX_FIELDS = ("cls", "x", "y", "w", "h")


def to_frame(records: list[ImageRecord]) -> Any:
    import polars as pl

    box_type = pl.List(
        pl.Struct(
            {"cls": pl.Int32, "x": pl.Float64, "y": pl.Float64, "w": pl.Float64, "h": pl.Float64}
        )
    )
    return pl.DataFrame(
        {
            "image": [str(r.image) for r in records],
            "width": [r.width for r in records],
            "height": [r.height for r in records],
            "boxes": [[{k: getattr(b, k) for k in BOX_FIELDS} for b in r.boxes] for r in records],
            "source": [r.source for r in records],
        },
        schema={
            "image": pl.Utf8,
            "width": pl.Int32,
            "height": pl.Int32,
            "boxes": box_type,
            "source": pl.Utf8,
        },
    )


def boxes_of(row_boxes: list[dict[str, Any]] | None) -> list[Box]:
    return [Box(int(b["cls"]), b["x"], b["y"], b["w"], b["h"]) for b in row_boxes or []]


def build_dataset(
    splits: dict[str, list[ImageRecord]], names: list[str], split_spec: Any, seed: int, where: str
) -> Dataset:
    """Frames per split; a source without its own eval split is split by ``split_spec``."""
    from specrun.builtins.splits import split_frame

    if not splits.get("train"):
        raise DataError(f"{where}: no training images")
    if "eval" in splits:
        frames = {k: to_frame(v) for k, v in splits.items() if v}
    else:
        frames = split_frame(to_frame(splits["train"]), split_spec, seed)
        if "test" in splits and splits["test"]:
            frames["test"] = to_frame(splits["test"])
    dataset = Dataset(frames, meta={"names": list(names), "task": "detect"})
    dataset.fingerprint = fingerprint(frames, names)
    return dataset


def fingerprint(frames: dict[str, Any], names: list[str]) -> str:
    """sha256 over class names, image bytes and boxes: the paths (a temp dir for generated
    data) do not matter, the content does."""
    h = hashlib.sha256("\x1f".join(names).encode())
    for split in sorted(frames):
        h.update(split.encode())
        for row in frames[split].select("image", "boxes").iter_rows():
            h.update(_file_digest(row[0]))
            for b in row[1] or []:
                h.update(
                    f"{b['cls']} {b['x']:.6f} {b['y']:.6f} {b['w']:.6f} {b['h']:.6f};".encode()
                )
    return h.hexdigest()


def _file_digest(path: str) -> bytes:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "blake2b").digest()


def frame_boxes_problems(frame: Any, num_classes: int, split: str) -> list[str]:
    """Rows of a frame whose class ids fall outside the class list (data from elsewhere)."""
    bad = []
    for image, boxes in frame.select("image", "boxes").iter_rows():
        for b in boxes or []:
            if not 0 <= int(b["cls"]) < num_classes:
                bad.append(f"{split}: {Path(image).name} has class id {b['cls']}")
    return bad
