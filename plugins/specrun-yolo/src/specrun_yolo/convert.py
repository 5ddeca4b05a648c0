"""Annotation converters to YOLO boxes: COCO JSON and Pascal VOC XML.

Both return ``(records, names)``; ``write_yolo_labels`` writes records out as YOLO ``.txt``
label files for use outside specrun. Every problem (a missing image, a class outside the
class list, a box outside its image) is collected and raised as one ``DataError``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from specrun import DataError

from .records import BoxChecker, ImageRecord, Problems, image_size, list_images


def _check_size(
    path: Path, width: Any, height: Any, where: str, problems: Problems
) -> tuple[int, int]:
    """The file's real size; an annotation that states another size is a problem, because
    its boxes would be normalised against the wrong size."""
    real = image_size(path)
    try:
        stated = (int(width), int(height))
    except (TypeError, ValueError):
        stated = (0, 0)
    if stated != (0, 0) and stated != real:
        problems.add(
            "image sizes that differ from the annotation",
            f"{where}: says {stated[0]}x{stated[1]}, {path.name} is {real[0]}x{real[1]}",
        )
    return real


# ----------------------------------------------------------------------------- COCO


def coco_records(
    annotations: Path, images_dir: Path, tolerance: float = 0.5, crowd: str = "skip"
) -> tuple[list[ImageRecord], list[str], int]:
    """Records and class names (categories in id order) from a COCO instances file.

    Returns the number of boxes clipped within ``tolerance`` as the third value.
    """
    try:
        doc = json.loads(annotations.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{annotations}: not a readable COCO JSON file ({exc})") from None
    if not isinstance(doc, dict) or not all(
        isinstance(doc.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise DataError(
            f"{annotations}: a COCO file needs lists 'images', 'annotations' and 'categories'"
        )
    categories = sorted(doc["categories"], key=lambda c: c["id"])
    if not categories:
        raise DataError(f"{annotations}: 'categories' is empty")
    index = {c["id"]: i for i, c in enumerate(categories)}
    names = [str(c["name"]) for c in categories]
    problems = Problems(str(annotations))
    checker = BoxChecker(problems, len(names), tolerance)

    by_id: dict[Any, ImageRecord] = {}
    for img in doc["images"]:
        path = images_dir / str(img.get("file_name", ""))
        if not path.is_file():
            problems.add("annotated images that do not exist", f"image id {img.get('id')}: {path}")
            continue
        width, height = _check_size(
            path, img.get("width"), img.get("height"), f"image id {img.get('id')}", problems
        )
        by_id[img["id"]] = ImageRecord(path.resolve(), width, height, [], f"{annotations.name}")
    if not doc["images"]:
        raise DataError(f"{annotations}: 'images' is empty")

    known_images = {img.get("id") for img in doc["images"]}
    for ann in doc["annotations"]:
        where = f"annotation id {ann.get('id')}"
        if ann.get("image_id") not in known_images:
            problems.add(
                "annotations of images the file does not list",
                f"{where}: image_id {ann.get('image_id')!r}",
            )
            continue
        record = by_id.get(ann["image_id"])
        if ann.get("category_id") not in index:
            problems.add(
                "class ids beyond the class list",
                f"{where}: category_id {ann.get('category_id')!r} is not one of the "
                f"categories {sorted(index)}",
            )
            continue
        if record is None or (ann.get("iscrowd") and crowd == "skip"):
            continue
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4):
            problems.add("malformed boxes", f"{where}: bbox {bbox!r} is not [x, y, width, height]")
            continue
        x, y, w, h = (float(v) for v in bbox)
        box = checker.corners(
            index[ann["category_id"]],
            x,
            y,
            x + w,
            y + h,
            record.width,
            record.height,
            f"{where} ({record.image.name})",
        )
        if box is not None:
            record.boxes.append(box)
    problems.raise_if_any()
    return list(by_id.values()), names, checker.clipped


# ----------------------------------------------------------------------------- VOC


def voc_records(
    annotations_dir: Path,
    images_dir: Path,
    names: list[str] | None = None,
    tolerance: float = 0.5,
    difficult: str = "keep",
) -> tuple[list[ImageRecord], list[str], int]:
    """Records and class names from a folder of VOC XML files.

    Class names are ``names`` when given (an object named otherwise is an error), else
    every object name found, sorted. Coordinates are read as pixel edges of the box.
    """
    files = sorted(annotations_dir.rglob("*.xml"))
    if not files:
        raise DataError(f"{annotations_dir}: no .xml annotation files")
    parsed = [(f, _parse_voc(f)) for f in files]
    if names is None:
        names = sorted({obj["name"] for _, doc in parsed for obj in doc["objects"]})
        if not names:
            raise DataError(f"{annotations_dir}: no objects in any annotation file")
    index = {n: i for i, n in enumerate(names)}
    problems = Problems(str(annotations_dir))
    checker = BoxChecker(problems, len(names), tolerance)
    by_stem = {p.stem: p for p in list_images(images_dir)}
    records = []
    for file, doc in parsed:
        where = file.name
        # <filename> names the image; without one, the image with the xml's stem is meant.
        if doc["filename"]:
            path: Path | None = images_dir / doc["filename"]
            path = path if path.is_file() else None
        else:
            path = by_stem.get(file.stem)
        if path is None:
            problems.add(
                "annotations that reference missing images",
                f"{where}: {images_dir / (doc['filename'] or file.stem)}",
            )
            continue
        width, height = _check_size(path, doc["width"], doc["height"], where, problems)
        record = ImageRecord(path.resolve(), width, height, [], where)
        for obj in doc["objects"]:
            if obj["name"] not in index:
                problems.add(
                    "class ids beyond the class list",
                    f"{where}: object {obj['name']!r} is not in names {names}",
                )
                continue
            if obj["difficult"] and difficult == "skip":
                continue
            if obj["box"] is None:
                problems.add(
                    "malformed boxes", f"{where}: object {obj['name']!r} has no complete bndbox"
                )
                continue
            box = checker.corners(index[obj["name"]], *obj["box"], width, height, where)
            if box is not None:
                record.boxes.append(box)
        records.append(record)
    problems.raise_if_any()
    return records, list(names), checker.clipped


def _parse_voc(file: Path) -> dict[str, Any]:
    try:
        root = ET.parse(file).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DataError(f"{file}: not a readable VOC XML file ({exc})") from None

    def number(node: ET.Element | None, tag: str) -> float | None:
        text = node.findtext(tag) if node is not None else None
        try:
            return float(text) if text is not None else None
        except ValueError:
            return None

    size = root.find("size")
    objects = []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        coords = [number(bb, t) for t in ("xmin", "ymin", "xmax", "ymax")]
        objects.append(
            {
                "name": (obj.findtext("name") or "").strip(),
                "difficult": (obj.findtext("difficult") or "0").strip() == "1",
                "box": None if any(c is None for c in coords) else coords,
            }
        )
    filename = (root.findtext("filename") or "").strip() or None
    return {
        "filename": filename,
        "width": number(size, "width"),
        "height": number(size, "height"),
        "objects": objects,
    }


# ----------------------------------------------------------------------------- output


def write_yolo_labels(records: list[ImageRecord], labels_dir: Path) -> list[Path]:
    """One ``<image stem>.txt`` per record (empty for an image without objects)."""
    labels_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for r in records:
        path = labels_dir / f"{r.image.stem}.txt"
        path.write_text("".join(b.line() + "\n" for b in r.boxes), encoding="utf-8")
        out.append(path)
    return out
