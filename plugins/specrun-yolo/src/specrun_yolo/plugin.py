"""specrun-yolo's registration module: named by the entry point, so it imports only pydantic
and specrun. Every factory is a "module:attr" string: ultralytics and torch load when a run
starts, never when `specrun validate` or `specrun plugins` loads the plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specrun import Component, hookimpl

from .params import (
    CocoParams,
    GeneratedDetectionParams,
    VocParams,
    YoloFolderParams,
    YoloParams,
)


@hookimpl
def register_components(register):
    register(
        Component("data", "yolo_folder", YoloFolderParams, "specrun_yolo.sources:YoloFolderSource")
    )
    register(Component("data", "coco", CocoParams, "specrun_yolo.sources:CocoSource"))
    register(Component("data", "voc", VocParams, "specrun_yolo.sources:VocSource"))
    register(
        Component(
            "data",
            "generated_detection",
            GeneratedDetectionParams,
            "specrun_yolo.sources:GeneratedDetectionSource",
        )
    )
    register(
        Component(
            "model",
            "yolo",
            YoloParams,
            "specrun_yolo.model:YoloDetector",
            seeds=("torch",),
            worker_env_prefixes=("YOLO_",),
        )  # ultralytics' settings reach the worker
    )


@hookimpl
def load_model(artifact_dir: Any, kind: str | None) -> Any:
    """An ultralytics ``YOLO`` from the run's best checkpoint, for runs of the yolo model."""
    if kind != "yolo":
        return None
    weights = Path(artifact_dir) / "model" / "best.pt"
    if not weights.is_file():
        return None
    from .offline import configure_ultralytics

    configure_ultralytics()
    from ultralytics import YOLO

    return YOLO(str(weights), task="detect")
