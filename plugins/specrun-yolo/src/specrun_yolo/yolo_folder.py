"""Reading a dataset already in YOLO layout, checked the way ultralytics would read it.

Layouts understood, tried in this order:

- a data ``.yaml`` (ultralytics format: ``path``, ``train``, ``val``, ``test``, ``names``),
  given directly or as ``data.yaml``/``dataset.yaml`` inside the folder;
- ``images/{train,val,test}/`` beside ``labels/{train,val,test}/``;
- ``images/`` beside ``labels/`` (one set, split by the spec);
- images with their ``.txt`` labels side by side in one folder.

A label file belongs to an image by ultralytics' rule: the last ``/images/`` in the image's
path becomes ``/labels/`` and the suffix ``.txt``. An image without a label file has no
objects (a background image); a label file without an image is an error.
"""

from __future__ import annotations

import os
from pathlib import Path

from specrun import DataError

from .records import BoxChecker, ImageRecord, Problems, image_size, list_images, require_images

SPLIT_DIRS = {
    "train": ("train",),
    "eval": ("val", "valid", "validation", "eval"),
    "test": ("test",),
}
NAME_FILES = ("classes.txt", "names.txt")
YAML_FILES = ("data.yaml", "dataset.yaml")
_IMAGES, _LABELS = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"


def label_path(image: Path) -> Path:
    """ultralytics' img2label_paths for one image."""
    return Path(_LABELS.join(os.fspath(image).rsplit(_IMAGES, 1)).rsplit(".", 1)[0] + ".txt")


def _labels_dir(images_dir: Path) -> Path:
    text = os.fspath(images_dir) + os.sep
    return Path(_LABELS.join(text.rsplit(_IMAGES, 1)))


def read_yolo_folder(
    path: Path, names: list[str] | None, tolerance: float
) -> tuple[dict[str, list[ImageRecord]], list[str], int]:
    """(records per split, class names, boxes clipped within tolerance)."""
    entries, found_names = _layout(path)
    names = names or found_names
    if not names:
        raise DataError(
            f"{path}: no class names: set data.names, or put them in a data.yaml "
            f"('names:') or a {NAME_FILES[0]} (one per line)"
        )
    problems = Problems(str(path))
    checker = BoxChecker(problems, len(names), tolerance)
    splits: dict[str, list[ImageRecord]] = {}
    labelled = 0
    for split, sources in entries.items():
        images: list[Path] = []
        for src in sources:
            images += _images_of(src)
        records = []
        for image in images:
            record, has_label = _read_labels(image, checker, problems)
            labelled += has_label
            records.append(record)
        splits[split] = records
        for src in sources:
            if src.is_dir():
                _orphan_labels(src, set(images), problems)
    problems.raise_if_any()
    if labelled == 0:
        first = next(iter(splits.values()))[0].image
        raise DataError(
            f"{path}: no label files: the labels of {first} would be "
            f"{label_path(first)} (labels/ beside images/, one .txt per image)"
        )
    return splits, list(names), checker.clipped


def _layout(path: Path) -> tuple[dict[str, list[Path]], list[str] | None]:
    if path.is_file():
        return _from_yaml(path)
    for name in YAML_FILES:
        if (path / name).is_file():
            return _from_yaml(path / name)
    names = _names_file(path)
    images = path / "images"
    if images.is_dir():
        entries = {
            split: [images / d for d in dirs if (images / d).is_dir()]
            for split, dirs in SPLIT_DIRS.items()
        }
        entries = {k: v for k, v in entries.items() if v}
        if entries and "train" not in entries:
            raise DataError(
                f"{images}: has {', '.join(p.name for v in entries.values() for p in v)}"
                " but no train/ folder"
            )
        return (entries or {"train": [images]}), names
    return {"train": [path]}, names


def _names_file(folder: Path) -> list[str] | None:
    for name in NAME_FILES:
        f = folder / name
        if f.is_file():
            return [
                line.strip() for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
    return None


def _from_yaml(file: Path) -> tuple[dict[str, list[Path]], list[str] | None]:
    import yaml

    try:
        cfg = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{file}: not a readable data yaml ({type(exc).__name__})") from None
    if not isinstance(cfg, dict) or "train" not in cfg:
        raise DataError(f"{file}: a data yaml needs at least 'train:' (and 'names:')")
    root = Path(cfg.get("path") or ".")
    root = root if root.is_absolute() else (file.parent / root)
    entries: dict[str, list[Path]] = {}
    for split, key in (("train", "train"), ("eval", "val"), ("test", "test")):
        value = cfg.get(key) if key != "val" else cfg.get("val", cfg.get("validation"))
        if not value:
            continue
        items = value if isinstance(value, list) else [value]
        paths = [(root / str(v)).resolve() for v in items]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise DataError(f"{file}: {key}: {', '.join(missing)} does not exist")
        entries[split] = paths
    names = cfg.get("names")
    if isinstance(names, dict):
        names = [str(names[k]) for k in sorted(names)]
    elif isinstance(names, list):
        names = [str(n) for n in names]
    return entries, names or _names_file(file.parent)


def _images_of(src: Path) -> list[Path]:
    if src.is_dir():
        images = list_images(src)
        require_images(images, src)
        return images
    if src.suffix == ".txt":  # a list of image paths, ./ relative to the list
        images = []
        for line in src.read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                p = Path(line.strip())
                images.append(p if p.is_absolute() else (src.parent / p).resolve())
        missing = [str(p) for p in images if not p.is_file()]
        if missing:
            raise DataError(
                f"{src}: lists {len(missing)} images that do not exist: {', '.join(missing[:5])}"
            )
        require_images(images, src)
        return images
    return [src]


def _read_labels(image: Path, checker: BoxChecker, problems: Problems) -> tuple[ImageRecord, bool]:
    width, height = image_size(image)
    record = ImageRecord(image.resolve(), width, height, [], "")
    lp = label_path(image)
    if not lp.is_file():
        return record, False
    record.source = str(lp)
    for number, line in enumerate(lp.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{lp}:{number}"
        parts = line.split()
        if not parts:
            continue
        try:
            values = [float(v) for v in parts]
        except ValueError:
            problems.add("malformed label lines", f"{where}: {line.strip()!r} is not numbers")
            continue
        if len(values) == 5:
            x, y, w, h = values[1:]
            x0, y0, x1, y1 = x - w / 2, y - h / 2, x + w / 2, y + h / 2
        elif len(values) >= 7 and len(values) % 2 == 1:  # a segment: its points bound the box
            xs, ys = values[1::2], values[2::2]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
        else:
            problems.add(
                "malformed label lines",
                f"{where}: expected 'class x y w h', got {len(values)} values",
            )
            continue
        cls = checker.check_class(values[0], where)
        if cls is None:
            continue
        box = checker.corners(
            cls, x0 * width, y0 * height, x1 * width, y1 * height, width, height, where
        )
        if box is not None:
            record.boxes.append(box)
    return record, True


def _orphan_labels(images_dir: Path, images: set[Path], problems: Problems) -> None:
    labels_dir = _labels_dir(images_dir)
    if not labels_dir.is_dir():
        return
    expected = {label_path(p) for p in images}
    for lp in sorted(labels_dir.rglob("*.txt")):
        if lp.name in NAME_FILES or lp in expected:
            continue
        problems.add(
            "annotations that reference missing images",
            f"{lp} has no image {lp.stem}.* in {images_dir}",
        )
