"""keras_resnet: real tiny ResNets trained for seconds on real (generated) image files."""

from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import metric_series, run_spec, write_shape_folder

FOLDER_SPEC = """
name: resnet-folder
seed: 5
data:
  kind: image_folder
  path: {path}
  split: {{eval: 0.25, stratify: label}}
augment:
  - {{kind: image_resize, size: 24}}
  - {{kind: image_pad_square, size: 24}}
  - {{kind: image_flip}}
  - {{kind: image_brightness, factor: 0.1}}
  - {{kind: image_zero_center, unit_variance: true}}
model:
  kind: keras_resnet
  image_size: 24
  widths: [8, 16, 32]
  epochs: 6
  batch_size: 16
  lr: 5.0e-3
  lr_schedule: {{kind: cosine, min_lr: 1.0e-4}}
  samples: 5
metrics:
  - kind: accuracy
"""


def test_resnet_learns_from_a_folder_with_corrupt_files(tmp_path):
    root = write_shape_folder(tmp_path / "images", per_class=48)
    good = (root / "circle" / "00000.png").read_bytes()
    (root / "circle" / "broken.png").write_bytes(good[:40])
    (root / "square" / "empty.jpg").write_bytes(b"")

    result, store = run_spec(tmp_path, FOLDER_SPEC.format(path=root))
    assert result.status == "finished", result.error
    rid = result.run_id

    assert metric_series(store, rid, "data", "skipped_images") == {0: 2.0}
    acc = metric_series(store, rid, "eval", "accuracy")
    assert sorted(acc) == list(range(7)), "eval accuracy at epoch 0 (untrained) and every epoch"
    assert acc[6] > acc[0] + 0.15, acc
    loss = metric_series(store, rid, "train", "loss")
    assert sorted(loss) == list(range(1, 7)) and loss[6] < loss[1], loss
    eval_loss = metric_series(store, rid, "eval", "loss")
    assert eval_loss[6] < eval_loss[0], eval_loss
    lr = metric_series(store, rid, "train", "lr")
    assert lr[6] < lr[1], "the cosine schedule lowers the rate"

    samples = store.query(
        f"SELECT input, reference, output, extra FROM samples WHERE run_id = '{rid}'"
    )
    assert samples.height == 5
    assert all(r.endswith(".png") for r in samples["input"].to_list())
    assert "confidence" in json.loads(samples["extra"][0])
    assert len(set(samples["reference"].to_list())) > 1, "samples are spread over the classes"
    names = {a["name"] for a in result.artifacts}
    assert {"model/model.keras", "model/preprocessing.json"} <= names

    # The stored model, loaded back, predicts what the run predicted.
    import specrun

    loaded = specrun.load_model(rid, store=str(tmp_path / "s.duckdb"))
    again = loaded.predict([root / name for name in samples["input"].to_list()])
    assert [label for label, _ in again] == samples["output"].to_list()


def test_early_stopping_ends_the_run_and_says_when(tmp_path):
    root = write_shape_folder(
        tmp_path / "images", per_class=6, classes=("ring", "cross"), sides=(16, 20)
    )
    # min_delta larger than any possible improvement: epoch 1 sets the best, epoch 2 fails
    # to beat it by that much, and patience 1 stops the run there.
    result, store = run_spec(
        tmp_path,
        FOLDER_SPEC.format(path=root),
        overrides=(
            "model.epochs=8",
            "model.early_stopping.patience=1",
            "model.early_stopping.min_delta=100",
            "model.lr_schedule.kind=plateau",
            "model.lr_schedule.patience=0",
            "model.widths=[4]",
            "augment=[]",
            "model.image_size=16",
        ),
    )
    assert result.status == "finished", result.error
    rid = result.run_id
    assert metric_series(store, rid, "train", "stopped_epoch") == {2: 2.0}
    assert max(metric_series(store, rid, "train", "loss")) == 2
    # restore_best brings back epoch 1's weights; the engine scores them as step 3.
    eval_loss = metric_series(store, rid, "eval", "loss")
    assert sorted(eval_loss) == [0, 1, 2, 3]
    assert eval_loss[3] == pytest.approx(eval_loss[1], rel=1e-5) and eval_loss[3] != eval_loss[2]
    samples = store.query(f"SELECT step FROM samples WHERE run_id = '{rid}'")
    assert samples.height > 0 and set(samples["step"].to_list()) == {3}


def _weights_host_reachable() -> bool:
    try:
        socket.create_connection(("storage.googleapis.com", 443), timeout=3).close()
        return True
    except OSError:
        return False


def test_imagenet_weights_offline_fail_fast_and_clearly(tmp_path, monkeypatch):
    if _weights_host_reachable():
        pytest.skip(
            "this machine can download the ImageNet weights; the offline error cannot happen"
        )
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))  # no cached weights here
    root = write_shape_folder(
        tmp_path / "images", per_class=4, classes=("ring", "cross"), sides=(16, 20)
    )
    started = time.monotonic()
    result, _ = run_spec(
        tmp_path,
        FOLDER_SPEC.format(path=root),
        overrides=(
            "model.arch=resnet50",
            "model.weights=imagenet",
            "model.image_size=32",
            "augment=[]",
        ),
    )
    assert result.status == "failed" and result.user_error, result.error
    assert "ImageNet weights are not cached" in result.error and "weights: null" in result.error
    assert time.monotonic() - started < 60


def test_missing_label_column_is_a_clear_error(tmp_path):
    root = write_shape_folder(
        tmp_path / "images", per_class=3, classes=("ring", "cross"), sides=(16, 20)
    )
    result, _ = run_spec(
        tmp_path, FOLDER_SPEC.format(path=root), overrides=("model.label_column=klass",)
    )
    assert result.status == "failed" and result.user_error
    assert "model.label_column: column 'klass' is not in the train split" in result.error


def test_resnet50_loads_a_local_weights_file_and_freezes_it(tmp_path):
    """The pretrained path with real loading code: ResNet50 weights saved here stand in for
    the ImageNet file (which an offline machine cannot fetch)."""
    import numpy as np
    import specrun

    from specrun_keras.runtime import keras_module

    keras = keras_module()
    keras.utils.set_random_seed(1)
    donor = keras.applications.ResNet50(
        include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg"
    )
    weights = tmp_path / "resnet50_notop.weights.h5"
    donor.save_weights(weights)
    root = write_shape_folder(
        tmp_path / "images", per_class=6, classes=("ring", "cross"), sides=(16, 20)
    )
    result, _ = run_spec(
        tmp_path,
        FOLDER_SPEC.format(path=root),
        overrides=(
            "model.arch=resnet50",
            f"model.weights={weights}",
            "model.freeze_backbone=true",
            "model.image_size=32",
            "model.epochs=1",
            "augment=[]",
        ),
    )
    assert result.status == "finished", result.error
    loaded = specrun.load_model(result.run_id, store=str(tmp_path / "s.duckdb"))
    backbone = loaded.net.get_layer("resnet50")
    for got, want in zip(backbone.get_weights(), donor.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)  # loaded from the file, untouched by training
