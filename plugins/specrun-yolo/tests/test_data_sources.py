"""The data kinds and converters on small real files: correct YOLO boxes, and one clear
error for each kind of bad input (recorded with the failed run)."""

from __future__ import annotations

from pathlib import Path

import pytest
import specrun
from conftest import coco_set, draw_image, voc_xml, write_spec, yolo_folder
from specrun import DataError, RunContext

from specrun_yolo.convert import coco_records, voc_records, write_yolo_labels
from specrun_yolo.params import GeneratedDetectionParams
from specrun_yolo.sources import GeneratedDetectionSource
from specrun_yolo.yolo_folder import read_yolo_folder


def _box(record, i=0):
    b = record.boxes[i]
    return b.cls, round(b.x, 4), round(b.y, 4), round(b.w, 4), round(b.h, 4)


def _failed_run(tmp_path: Path, store: str, data: dict) -> str:
    """Run a spec with this data; it must fail as a user error; return the message."""
    result = specrun.run(str(write_spec(tmp_path / "spec.yaml", data)), store=store, local=True)
    assert result.status == "failed" and result.user_error, result.error
    row = specrun.open_store(store).run(result.run_id)
    assert row["status"] == "failed" and row["traceback"] is None  # a user error, not a bug
    return result.error


# ----------------------------------------------------------------------------- COCO


def test_coco_boxes_become_normalised_yolo_boxes(tmp_path):
    images, ann = coco_set(tmp_path)
    records, names, clipped = coco_records(ann, images)
    assert names == ["cat", "dog"] and clipped == 0
    a, b = records
    # bbox [10, 10, 20, 30] on 80x60 -> centre (20, 25), size (20, 30); category 1 -> class 0
    assert _box(a, 0) == (0, 0.25, 0.4167, 0.25, 0.5)
    assert _box(a, 1) == (1, 0.75, 0.6667, 0.5, 0.6667)  # category 3 -> class 1
    assert _box(b) == (1, 0.5, 0.5, 1.0, 1.0)


def test_coco_annotations_of_missing_images(tmp_path, store):
    images, ann = coco_set(tmp_path)
    (images / "b.png").unlink()
    message = _failed_run(
        tmp_path, store, {"kind": "coco", "images": str(images), "annotations": str(ann)}
    )
    assert "1 annotated images that do not exist" in message and "b.png" in message


def test_coco_category_beyond_the_class_list(tmp_path, store):
    images, ann = coco_set(
        tmp_path, annotations=[{"id": 10, "image_id": 1, "category_id": 7, "bbox": [1, 1, 5, 5]}]
    )
    message = _failed_run(
        tmp_path, store, {"kind": "coco", "images": str(images), "annotations": str(ann)}
    )
    assert "class ids beyond the class list" in message and "category_id 7" in message


def test_coco_box_outside_its_image_is_reported_not_clipped(tmp_path, store):
    images, ann = coco_set(
        tmp_path,
        annotations=[{"id": 10, "image_id": 1, "category_id": 1, "bbox": [70, 10, 20, 20]}],
    )
    message = _failed_run(
        tmp_path, store, {"kind": "coco", "images": str(images), "annotations": str(ann)}
    )
    assert "boxes outside their image" in message and "(70, 10, 90, 30)" in message
    assert "80x60" in message


def test_coco_rounding_past_the_edge_is_clipped_and_counted(tmp_path):
    images, ann = coco_set(
        tmp_path,
        annotations=[{"id": 10, "image_id": 1, "category_id": 1, "bbox": [0, 0, 80.3, 60]}],
    )
    records, _, clipped = coco_records(ann, images, tolerance=0.5)
    assert clipped == 1 and _box(records[0]) == (0, 0.5, 0.5, 1.0, 1.0)
    with pytest.raises(DataError, match="outside"):
        coco_records(ann, images, tolerance=0.0)


def test_coco_stated_size_must_match_the_file(tmp_path):
    images, ann = coco_set(
        tmp_path, images=[{"id": 1, "file_name": "a.png", "width": 80, "height": 60}]
    )
    draw_image(images / "a.png", 60, 80, [])  # rotated on disk
    with pytest.raises(DataError, match="says 80x60, a.png is 60x80"):
        coco_records(ann, images)


# ----------------------------------------------------------------------------- VOC


def test_voc_boxes_and_names(tmp_path):
    ann_dir = tmp_path / "Annotations"
    ann_dir.mkdir()
    draw_image(tmp_path / "JPEGImages" / "x.png", 100, 50, [])
    (ann_dir / "x.xml").write_text(
        voc_xml("x.png", (100, 50), [("dog", (10, 5, 30, 25)), ("cat", (50, 0, 100, 50))])
    )
    records, names, _ = voc_records(ann_dir, tmp_path / "JPEGImages")
    assert names == ["cat", "dog"]  # sorted when not given
    assert _box(records[0], 0) == (1, 0.2, 0.3, 0.2, 0.4)
    assert _box(records[0], 1) == (0, 0.75, 0.5, 0.5, 1.0)


def test_voc_bad_inputs_are_all_reported(tmp_path, store):
    ann_dir = tmp_path / "Annotations"
    ann_dir.mkdir()
    draw_image(tmp_path / "JPEGImages" / "x.png", 100, 50, [])
    (ann_dir / "x.xml").write_text(
        voc_xml("x.png", (100, 50), [("bird", (1, 1, 9, 9)), ("cat", (90, 10, 140, 20))])
    )
    (ann_dir / "y.xml").write_text(voc_xml("y.png", (100, 50), [("cat", (1, 1, 9, 9))]))
    message = _failed_run(
        tmp_path,
        store,
        {
            "kind": "voc",
            "images": str(tmp_path / "JPEGImages"),
            "annotations": str(ann_dir),
            "names": ["cat", "dog"],
        },
    )
    assert "x.xml: object 'bird' is not in names ['cat', 'dog']" in message
    assert "boxes outside their image" in message and "(90, 10, 140, 20)" in message
    assert "annotations that reference missing images" in message and "y.png" in message


# ----------------------------------------------------------------------------- YOLO folders


def test_yolo_folder_with_train_and_val(tmp_path):
    yolo_folder(tmp_path, {"a": "0 0.5 0.5 0.25 0.25\n", "b": "1 0.25 0.25 0.5 0.5\n"})
    yolo_folder(tmp_path, {"c": "0 0.5 0.5 1 1\n"}, split="val")
    splits, names, _ = read_yolo_folder(tmp_path, None, 0.5)
    assert names == ["box", "ring"] and sorted(splits) == ["eval", "train"]
    assert [_box(r) for r in splits["train"]] == [
        (0, 0.5, 0.5, 0.25, 0.25),
        (1, 0.25, 0.25, 0.5, 0.5),
    ]


def test_converted_labels_read_back_as_a_yolo_folder(tmp_path):
    images, ann = coco_set(tmp_path / "coco")
    records, names, _ = coco_records(ann, images)
    root = tmp_path / "yolo"
    for r in records:
        draw_image(root / "images" / "train" / r.image.name, r.width, r.height, [])
    write_yolo_labels(records, root / "labels" / "train")
    splits, _, _ = read_yolo_folder(root, names, 0.5)
    assert [[_box(r, i) for i in range(len(r.boxes))] for r in splits["train"]] == [
        [_box(r, i) for i in range(len(r.boxes))] for r in records
    ]


def test_yolo_class_id_beyond_the_class_list(tmp_path, store):
    yolo_folder(tmp_path / "d", {"a": "0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n"})
    message = _failed_run(tmp_path, store, {"kind": "yolo_folder", "path": str(tmp_path / "d")})
    assert (
        "class ids beyond the class list" in message
        and "a.txt:2: class id 5 is not in 0..1" in message
    )


def test_yolo_box_outside_its_image(tmp_path, store):
    yolo_folder(tmp_path / "d", {"a": "0 0.9 0.5 0.5 0.2\n"})
    message = _failed_run(tmp_path, store, {"kind": "yolo_folder", "path": str(tmp_path / "d")})
    assert "boxes outside their image" in message and "a.txt:1" in message and "64x64" in message


def test_yolo_labels_that_reference_missing_images(tmp_path, store):
    yolo_folder(
        tmp_path / "d", {"a": "0 0.5 0.5 0.2 0.2\n", "ghost": "1 0.5 0.5 0.2 0.2\n"}, images=["a"]
    )
    message = _failed_run(tmp_path, store, {"kind": "yolo_folder", "path": str(tmp_path / "d")})
    assert "annotations that reference missing images" in message and "ghost.txt" in message


def test_image_folder_with_no_images(tmp_path, store):
    root = tmp_path / "d"
    (root / "images" / "train").mkdir(parents=True)
    (root / "images" / "train" / "notes.txt").write_text("not an image")
    (root / "classes.txt").write_text("box\n")
    message = _failed_run(tmp_path, store, {"kind": "yolo_folder", "path": str(root)})
    assert "the image folder has no images" in message and ".png" in message


def test_malformed_label_lines(tmp_path):
    yolo_folder(tmp_path, {"a": "0 0.5 0.5\nzero 0.5 0.5 0.1 0.1\n"})
    with pytest.raises(DataError) as err:
        read_yolo_folder(tmp_path, None, 0.5)
    assert "2 malformed label lines" in str(err.value)


def test_data_yaml_layout(tmp_path):
    yolo_folder(tmp_path, {"a": "0 0.5 0.5 0.2 0.2\n"})
    yolo_folder(tmp_path, {"b": "0 0.5 0.5 0.2 0.2\n"}, split="val")
    (tmp_path / "data.yaml").write_text(
        "path: .\ntrain: images/train\nval: images/val\nnames: {0: a, 1: b}\n"
    )
    splits, names, _ = read_yolo_folder(tmp_path / "data.yaml", None, 0.5)
    assert names == ["a", "b"] and len(splits["train"]) == 1 and len(splits["eval"]) == 1


# ----------------------------------------------------------------------------- generated


def _generate(tmp_path: Path, seed: int, name: str):
    ctx = RunContext("t", {"seed": seed}, [].append, tmp_path / name)
    source = GeneratedDetectionSource(GeneratedDetectionParams(images=12, size=48, max_objects=3))
    return source.load(ctx)


def test_generated_detection_is_deterministic_by_seed(tmp_path):
    a, b, c = _generate(tmp_path, 5, "a"), _generate(tmp_path, 5, "b"), _generate(tmp_path, 6, "c")
    assert a.fingerprint == b.fingerprint != c.fingerprint
    first_a, first_b = a["train"]["image"][0], b["train"]["image"][0]
    assert first_a != first_b and Path(first_a).read_bytes() == Path(first_b).read_bytes()
    assert a.meta["names"] == ["circle", "square", "triangle"]
    boxes = [
        bx for row in a["train"]["boxes"].to_list() + a["eval"]["boxes"].to_list() for bx in row
    ]
    assert boxes and all(0 <= bx["x"] - bx["w"] / 2 and bx["x"] + bx["w"] / 2 <= 1 for bx in boxes)
