"""Spec-level checks of the yolo kinds: every mistake is a SpecError with a location, found
without importing ultralytics or torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import specrun
from conftest import write_spec
from specrun import SpecError

SPECS = Path(__file__).resolve().parents[3] / "specs"
SHAPES = {"kind": "generated_detection", "images": 20}


def _errors(tmp_path: Path, model: dict, data: dict | None = None) -> str:
    spec = write_spec(tmp_path / "spec.yaml", data or SHAPES, {"kind": "yolo", **model})
    with pytest.raises(SpecError) as err:
        specrun.load_spec(str(spec))
    return str(err.value)


def test_the_example_spec_validates():
    spec = specrun.load_spec(str(SPECS / "detect_yolo.yaml"))
    model = spec.data["model"]
    assert model["kind"] == "yolo" and model["arch"] == "yolov8n"
    # only the ultralytics arguments the spec wrote are kept (not ~110 nulls)
    assert model["args"] == {
        "optimizer": "AdamW",
        "lr0": 0.002,
        "nbs": 8,
        "warmup_epochs": 1,
        "mosaic": 0.0,
        "hsv_h": 0.015,
        "fliplr": 0.5,
        "scale": 0.3,
    }


def test_unknown_ultralytics_argument_is_a_located_spec_error(tmp_path):
    message = _errors(tmp_path, {"args": {"mosiac": 0.5}})
    assert "model.args.mosiac" in message
    assert "unknown key 'mosiac'" in message and 'did you mean "mosaic"' in message
    assert "spec.yaml:" in message  # file and line


def test_wrong_type_of_ultralytics_argument(tmp_path):
    message = _errors(tmp_path, {"args": {"fliplr": "often"}})
    assert "fliplr expects float" in message


def test_arguments_specrun_manages_say_where_they_belong(tmp_path):
    message = _errors(tmp_path, {"args": {"epochs": 3}})
    assert "model.args.epochs: set by specrun: use model.epochs" in message
    message = _errors(tmp_path, {"args": {"device": "0"}})
    assert "resources.gpus decides the device" in message


def test_unknown_architecture_lists_what_ultralytics_ships(tmp_path):
    message = _errors(tmp_path, {"arch": "yolov8q"})
    assert (
        "unknown architecture 'yolov8q'" in message and "yolov8" in message and "yolo11" in message
    )


def test_non_detection_architecture_is_refused(tmp_path):
    assert "cls architecture" in _errors(tmp_path, {"arch": "yolov8n-cls"})


def test_arch_and_weights_together_are_refused(tmp_path):
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"x")
    assert "either arch" in _errors(tmp_path, {"arch": "yolov8n", "weights": str(weights)})


def test_missing_weights_file(tmp_path):
    message = _errors(tmp_path, {"weights": "nowhere/best.pt"})
    assert "model.weights" in message and "file does not exist" in message


def test_data_params_are_checked(tmp_path):
    message = _errors(
        tmp_path, {}, {"kind": "generated_detection", "min_scale": 0.8, "max_scale": 0.5}
    )
    assert "min_scale 0.8 is above max_scale 0.5" in message
    message = _errors(
        tmp_path, {}, {"kind": "coco", "images": str(tmp_path), "annotations": "no.json"}
    )
    assert "data.annotations" in message


def test_registration_imports_no_framework():
    code = (
        "import sys, specrun_yolo.plugin, specrun; from specrun.plugins import get_registry; "
        "get_registry(); specrun.load_spec(sys.argv[1]); "
        "heavy = [m for m in ('torch', 'ultralytics', 'cv2') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(SPECS / "detect_yolo.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_arch_may_be_a_model_yaml_beside_the_spec(tmp_path):
    from specrun_yolo.ultralytics_meta import find_builtin_arch

    (tmp_path / "tiny.yaml").write_text(find_builtin_arch("yolov8n").read_text())
    spec = write_spec(tmp_path / "spec.yaml", SHAPES, {"kind": "yolo", "arch": "tiny.yaml"})
    assert specrun.load_spec(str(spec)).data["model"]["arch"] == str(tmp_path / "tiny.yaml")
    message = _errors(tmp_path, {"arch": "missing.yaml"})
    assert "model yaml does not exist: missing.yaml" in message
