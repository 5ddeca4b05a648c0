"""A real yolov8n trained from scratch for ~a minute on generated shapes, offline, through
specrun's own run API: it learns, every epoch is in the store, nothing reached the network,
ultralytics stayed quiet and out of the home and working directories."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
import specrun
from conftest import NetworkGuard, write_spec

SPEC = Path(__file__).resolve().parents[3] / "specs" / "detect_yolo.yaml"
EPOCHS = 10
# The example spec, made small enough for a test: 160 images of 64 px.
OVERRIDES = [
    "data.images=160",
    "data.size=64",
    "model.imgsz=64",
    f"model.epochs={EPOCHS}",
    "model.samples=2",
]


@contextmanager
def captured_fds() -> Iterator[dict[str, str]]:
    """Everything written to file descriptors 1 and 2 (Python, C, subprocesses) meanwhile."""
    out: dict[str, str] = {}
    with tempfile.TemporaryFile(mode="w+b") as buf:
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        try:
            for fd in (1, 2):
                os.dup2(buf.fileno(), fd)
            yield out
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            buf.seek(0)
            out["text"] = buf.read().decode(errors="replace")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("trained")
    store = str(tmp / "s.duckdb")
    home_config = Path.home() / ".config" / "Ultralytics"
    before = {"home_config": home_config.exists(), "cwd": set(os.listdir("."))}
    guard = NetworkGuard()
    with pytest.MonkeyPatch.context() as mp, captured_fds() as output:
        mp.setenv("SPECRUN_YOLO_CACHE", str(tmp_path_factory.getbasetemp() / "yolo-cache"))
        mp.setenv("SPECRUN_PLUGINS", "yolo")
        guard.install(mp)
        result = specrun.run(str(SPEC), overrides=OVERRIDES, store=store, local=True)
    return {
        "result": result,
        "store": store,
        "attempts": guard.attempts,
        "output": output["text"],
        "before": before,
        "home_config": home_config,
    }


def _same_data(work_dir: Path):
    """The eval split the trained run used: the spec's generator, seed and split."""
    from specrun import RunContext

    from specrun_yolo.params import GeneratedDetectionParams
    from specrun_yolo.sources import GeneratedDetectionSource

    seed = specrun.load_spec(str(SPEC)).seed
    ctx = RunContext("same", {"seed": seed}, [].append, work_dir)
    return GeneratedDetectionSource(GeneratedDetectionParams(images=160, size=64)).load(ctx)


def _series(metrics: pl.DataFrame, split: str, name: str) -> dict[int, float]:
    rows = metrics.filter((pl.col("split") == split) & (pl.col("name") == name))
    return dict(zip(rows["step"].to_list(), rows["value"].to_list(), strict=True))


def test_run_finishes_and_learns(trained):
    result = trained["result"]
    assert result.status == "finished", result.error
    metrics = specrun.open_store(trained["store"]).metrics(result.run_id)
    map50 = _series(metrics, "eval", "map50")
    # one row per epoch, then the engine's evaluation of best.pt at step EPOCHS + 1
    assert sorted(map50) == list(range(1, EPOCHS + 2))
    assert map50[EPOCHS + 1] > map50[1] + 0.05, map50
    box_loss = _series(metrics, "train", "box_loss")
    assert box_loss[EPOCHS] < 0.8 * box_loss[1], box_loss
    val_loss = _series(metrics, "eval", "box_loss")
    assert val_loss[EPOCHS] < val_loss[1], val_loss


def test_every_epoch_has_detection_metrics(trained):
    metrics = specrun.open_store(trained["store"]).metrics(trained["result"].run_id)
    for name in ("map50", "map50_95", "precision", "recall", "box_loss", "cls_loss", "dfl_loss"):
        steps = _series(metrics, "eval", name)
        assert set(range(1, EPOCHS + 1)) <= set(steps), name
        assert all(0 <= v for v in steps.values())
    for name in ("box_loss", "cls_loss", "dfl_loss", "lr", "images_per_s"):
        assert sorted(_series(metrics, "train", name)) == list(range(1, EPOCHS + 1)), name


def test_nothing_reached_the_network(trained):
    assert trained["attempts"] == []


def test_ultralytics_stays_quiet_and_out_of_home_and_cwd(trained):
    noise = [
        w
        for w in ("Ultralytics", "Epoch", "GPU_mem", "mAP50", "Optimizer", "Settings")
        if w in trained["output"]
    ]
    assert noise == [], trained["output"][-2000:]
    if not trained["before"]["home_config"]:
        assert not trained["home_config"].exists()
    assert set(os.listdir(".")) == trained["before"]["cwd"]  # no runs/ or weights/ left behind
    from ultralytics.utils import SETTINGS

    assert (
        SETTINGS["sync"] is False and SETTINGS["mlflow"] is False and SETTINGS["raytune"] is False
    )
    cache = Path(os.environ.get("SPECRUN_YOLO_CACHE", "")).resolve()
    assert Path(SETTINGS.file).resolve().is_relative_to(cache) or "YOLO_CONFIG_DIR" in os.environ


def test_artifacts_and_samples(trained, tmp_path):
    store = specrun.open_store(trained["store"])
    run_id = trained["result"].run_id
    names = set(store.artifacts(run_id)["name"].to_list())
    for expected in (
        "model/best.pt",
        "eval/confusion_matrix.png",
        "eval/confusion_matrix_normalized.png",
        "eval/confusion_matrix.json",
        "train/results.csv",
    ):
        assert expected in names
    predicted = [n for n in names if n.startswith("predictions/eval/")]
    assert len(predicted) == 2
    matrix = json.loads(store.artifact_path(run_id, "eval/confusion_matrix.json").read_text())
    assert matrix["labels"] == ["circle", "square", "triangle", "background"]
    assert len(matrix["matrix"]) == 4 and matrix["conf"] == 0.25
    # every eval object is counted once in its true class's column: found, confused or missed
    eval_split = _same_data(tmp_path)["eval"]
    objects = [b["cls"] for boxes in eval_split["boxes"].to_list() for b in boxes]
    for cls in range(3):
        assert sum(row[cls] for row in matrix["matrix"]) == objects.count(cls)
    samples = store.samples(run_id)
    assert samples.height == 2 and all(samples["reference"].str.contains(r"\[").to_list())


def test_load_model_predicts(trained):
    model = specrun.load_model(trained["result"].run_id, store=trained["store"])
    assert list(model.names.values()) == ["circle", "square", "triangle"]
    from PIL import Image

    results = model.predict(Image.new("RGB", (64, 64), (200, 30, 30)), imgsz=64, verbose=False)
    assert len(results) == 1


def test_fine_tune_from_local_weights(trained, tmp_path, store):
    weights = specrun.open_store(trained["store"]).artifact_path(
        trained["result"].run_id, "model/best.pt"
    )
    spec = write_spec(
        tmp_path / "ft.yaml",
        {"kind": "generated_detection", "images": 40, "size": 64},
        {
            "kind": "yolo",
            "weights": str(weights),
            "epochs": 1,
            "imgsz": 64,
            "samples": 0,
            "args": {"mosaic": 0.0, "optimizer": "AdamW", "lr0": 0.001},
        },
    )
    result = specrun.run(str(spec), store=store, local=True)
    assert result.status == "finished", result.error
    # a trained start detects shapes in its first epoch, where a random one finds none
    assert result.metrics["eval/map50"] > 0.05


def test_bad_argument_value_is_a_user_error_at_run_start(tmp_path, store):
    spec = write_spec(
        tmp_path / "bad.yaml",
        {"kind": "generated_detection", "images": 10, "size": 64},
        {"kind": "yolo", "epochs": 1, "imgsz": 64, "args": {"lr0": 3.0}},
    )
    result = specrun.run(str(spec), store=store, local=True)
    assert result.status == "failed" and result.user_error
    assert result.error.startswith("model.args:") and "lr0" in result.error


@pytest.mark.skipif(
    not os.environ.get("SPECRUN_TEST_GPU"), reason="set SPECRUN_TEST_GPU=1 on a GPU machine"
)
def test_gpu_resources_train_on_cuda(tmp_path, store):
    import torch

    assert torch.cuda.is_available()
    spec = write_spec(
        tmp_path / "gpu.yaml",
        {"kind": "generated_detection", "images": 40, "size": 64},
        {"kind": "yolo", "epochs": 2, "imgsz": 64, "samples": 1},
        resources={"gpus": 1},
    )
    result = specrun.run(str(spec), store=store, local=True)
    assert result.status == "finished", result.error
    args = specrun.open_store(store).artifact_path(result.run_id, "train/args.yaml").read_text()
    assert "device: '0'" in args or "device: 0" in args
    assert "amp: bf16" in args or "amp: false" in args
