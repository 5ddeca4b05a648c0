"""Image data kinds and preprocessing, without TensorFlow: bad folders, corrupt files,
generated sets, aspect-keeping resize and padding."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_spec, write, write_shape_folder
from PIL import Image
from specrun import DataError, RunContext

from specrun_keras.image_data import GeneratedShapes, ImageFolder, ImageTable
from specrun_keras.image_ops import load_images, pad_to_square, resize_keep_aspect
from specrun_keras.image_params import GeneratedShapesParams, ImageFolderParams, ImageTableParams


def make_ctx(tmp_path, seed: int = 0):
    events: list = []
    work = tmp_path / f"work{seed}"
    work.mkdir(exist_ok=True)
    return RunContext("test", {"seed": seed}, events.append, work), events


def logged(events, split: str, name: str):
    return [e[2][name] for e in events if e[0] == "metrics" and e[1] == split and name in e[2]]


def test_generated_shapes_are_deterministic_by_seed(tmp_path):
    params = GeneratedShapesParams(
        classes=["circle", "cross"], per_class=6, min_side=20, max_side=30
    )
    a = GeneratedShapes(params).load(make_ctx(tmp_path, seed=1)[0])
    b = GeneratedShapes(params).load(make_ctx(tmp_path, seed=1)[0])
    c = GeneratedShapes(params).load(make_ctx(tmp_path, seed=2)[0])
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert a.meta["labels"] == ["circle", "cross"]
    assert sum(a.sizes().values()) == 12
    sizes = {Image.open(p).size for p in a["train"]["path"].to_list()}
    assert len(sizes) > 1, "images should come in several sizes (aspect-keeping resize matters)"


def test_generated_shapes_cache_dir_is_reused(tmp_path):
    params = GeneratedShapesParams(
        classes=["ring", "square"], per_class=3, cache_dir=tmp_path / "mine"
    )
    first = GeneratedShapes(params).load(make_ctx(tmp_path)[0])
    (folder,) = (tmp_path / "mine" / "generated_shapes").iterdir()
    stamp = (folder / "ring" / "00000.png").stat().st_mtime_ns
    again = GeneratedShapes(params).load(make_ctx(tmp_path)[0])
    assert (folder / "ring" / "00000.png").stat().st_mtime_ns == stamp
    assert first.fingerprint == again.fingerprint


def test_corrupt_and_non_image_files_are_skipped_and_counted(tmp_path):
    root = write_shape_folder(tmp_path / "imgs", per_class=4, classes=("circle", "square"))
    good = (root / "circle" / "00000.png").read_bytes()
    (root / "circle" / "truncated.png").write_bytes(good[: len(good) // 2])
    (root / "square" / "notes.jpg").write_text("not an image")
    (root / "square" / "readme.txt").write_text("ignored: not an image suffix")
    ctx, events = make_ctx(tmp_path)
    data = ImageFolder(ImageFolderParams(path=root)).load(ctx)
    assert sum(data.sizes().values()) == 8
    assert logged(events, "data", "skipped_images") == [2]
    assert any(e[0] == "log" and "skipped 2 unreadable" in e[1] for e in events)


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    with pytest.raises(DataError, match="no images under"):
        ImageFolder(ImageFolderParams(path=tmp_path / "empty")).load(make_ctx(tmp_path)[0])


def test_images_without_class_folders_are_a_clear_error(tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    Image.new("RGB", (8, 8)).save(root / "a.png")
    with pytest.raises(DataError, match="no class folders"):
        ImageFolder(ImageFolderParams(path=root)).load(make_ctx(tmp_path)[0])


def test_one_class_is_a_clear_error(tmp_path):
    root = write_shape_folder(tmp_path / "one", per_class=3, classes=("circle",))
    with pytest.raises(DataError, match="one class only"):
        ImageFolder(ImageFolderParams(path=root)).load(make_ctx(tmp_path)[0])


def test_all_images_corrupt_is_a_clear_error(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / "bad" / cls).mkdir(parents=True)
        (tmp_path / "bad" / cls / "x.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DataError, match="unreadable"):
        ImageFolder(ImageFolderParams(path=tmp_path / "bad")).load(make_ctx(tmp_path)[0])


def test_image_table_resolves_relative_paths_and_counts_missing(tmp_path):
    root = write_shape_folder(tmp_path / "imgs", per_class=3, classes=("circle", "square"))
    rows = ["file,kind"] + [
        f"imgs/{c}/{i:05d}.png,{c}" for c in ("circle", "square") for i in range(3)
    ]
    rows.append("imgs/circle/missing.png,circle")
    table = write(tmp_path, "images.csv", "\n".join(rows) + "\n")
    ctx, events = make_ctx(tmp_path)
    data = ImageTable(ImageTableParams(path=table, path_column="file", label_column="kind")).load(
        ctx
    )
    assert sum(data.sizes().values()) == 6 and root.exists()
    assert logged(events, "data", "missing_images") == [1]
    with pytest.raises(DataError, match="column 'path' is not in"):
        ImageTable(ImageTableParams(path=table)).load(ctx)


def test_resize_keeps_aspect_and_pad_centres(tmp_path):
    img = Image.new("RGB", (100, 50), (255, 255, 255))
    small = resize_keep_aspect(img, 32, "longer")
    assert small.size == (32, 16)
    assert resize_keep_aspect(img, 32, "shorter").size == (64, 32)
    square = np.asarray(pad_to_square(small, 32, (0, 0, 0)))
    assert square.shape == (32, 32, 3)
    # 16 white rows centred: 8 black rows above and below.
    assert square[:8].max() == 0 and square[-8:].max() == 0 and square[8:24].min() == 255
    path = tmp_path / "wide.png"
    img.save(path)
    ops = [
        {"op": "resize", "size": 32, "side": "longer", "resample": "bilinear"},
        {"op": "pad_square", "size": 32, "fill": [0, 0, 0]},
    ]
    arr, stretched = load_images([str(path)], ops, 32)
    assert arr.shape == (1, 32, 32, 3) and stretched == 0
    arr, stretched = load_images([str(path)], [], 32)
    assert stretched == 1


def test_image_op_on_text_data_is_a_clear_error(tmp_path):
    result, _ = run_spec(
        tmp_path,
        """
name: flip-text
data: {kind: generated_topics, rows: 40}
augment:
  - {kind: image_flip}
model: {kind: bow_softmax, epochs: 1}
""",
    )
    assert result.status == "failed" and result.user_error
    assert "image_flip works on image data" in result.error


RESNET = "model: {kind: keras_resnet"
SHAPES = "data: {kind: generated_shapes}"


@pytest.mark.parametrize(
    "section, expected",
    [
        (
            "data: {kind: generated_shapes, min_side: 50, max_side: 20}\n" + RESNET + "}",
            "min_side (50) must not exceed max_side",
        ),
        (SHAPES + "\n" + RESNET + ", weights: imagenet}", "weights: is for arch: resnet50"),
        (
            SHAPES + "\n" + RESNET + ", freeze_backbone: true, arch: resnet50}",
            "freeze_backbone needs pretrained weights",
        ),
        (
            SHAPES + "\n" + RESNET + ", lr_schedule: {kind: cosine, warmup_epochs: 30}}",
            "warmup_epochs (30) must be below epochs",
        ),
        (SHAPES + "\naugment: [{kind: image_rotation, degrees: 400}]\n" + RESNET + "}", "degrees"),
    ],
)
def test_params_are_checked_at_validation(tmp_path, section, expected):
    import specrun
    from specrun import SpecError

    spec = write(tmp_path, "bad.yaml", f"name: bad\n{section}\n")
    with pytest.raises(SpecError) as info:
        specrun.load_spec(str(spec))
    assert expected in str(info.value)
