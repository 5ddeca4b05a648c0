"""Parameters of the yolo plugin's kinds: validated when a spec loads, with light imports only.

The ``args`` of the yolo model is a pydantic model built from the installed ultralytics'
own argument list, so a misspelt augmentation (``mosiac: 0.5``) is a spec error with its
line, column and a did-you-mean, and a wrong type (``fliplr: yes``) too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import (
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_serializer,
    model_validator,
)
from specrun import ExistingDir, ExistingFile, ExistingPath, Params, SplitSpec
from specrun.errors import did_you_mean

from . import ultralytics_meta as meta

# Train arguments specrun sets itself (or exposes as first-class model params): setting
# them under args would silently fight the run, so each one says where it belongs.
MANAGED_ARGS: dict[str, str] = {
    "model": "use model.arch or model.weights",
    "data": "the data section decides the data",
    "epochs": "use model.epochs",
    "imgsz": "use model.imgsz",
    "batch": "use model.batch",
    "workers": "use model.workers",
    "amp": "use model.amp",
    "device": "resources.gpus decides the device",
    "seed": "the spec's top-level seed is used",
    "verbose": "use model.verbose",
    "task": "the yolo model trains detectors",
    "mode": "specrun runs train, then val",
    "project": "ultralytics writes into the run's work dir",
    "name": "ultralytics writes into the run's work dir",
    "exist_ok": "ultralytics writes into the run's work dir",
    "save_dir": "ultralytics writes into the run's work dir",
    "resume": "each run trains from arch or weights",
    "cfg": "put the arguments in model.args",
    "split": "specrun evaluates the eval and test splits itself",
    "val": "specrun validates every epoch to log metrics",
    "save": "specrun keeps the best checkpoint as the model artifact",
    "plots": "use model.plots (the confusion matrix and predicted images are always saved)",
}


class _ArgsBase(Params):
    """Any other ultralytics train argument (lr0, optimizer, mosaic, hsv_h, fliplr, ...)."""

    @field_validator("*")
    @classmethod
    def _check(cls, value: Any, info: ValidationInfo) -> Any:
        # Per field, so that every mistake is reported at its own line.
        key = info.field_name or ""
        if key in MANAGED_ARGS:
            raise ValueError(f"set by specrun: {MANAGED_ARGS[key]}")
        meta.check_arg_value(key, value)
        return value

    @model_serializer(mode="wrap")
    def _only_set(self, handler: Any) -> dict[str, Any]:
        # Keep the resolved spec (and its hash) to what the user wrote, not 90 nulls.
        full = handler(self)
        return {k: full[k] for k in self.model_fields_set if k in full}


class _OpenArgs(Params):
    """Ultralytics train arguments (unchecked: ultralytics is not installed, the run says so)."""

    model_config = {"extra": "allow"}


def _build_args_model() -> type[Params]:
    known = meta.train_arg_types()
    if not known:
        return _OpenArgs
    fields: dict[str, Any] = {key: (Any, None) for key in known}
    return create_model("UltralyticsArgs", __base__=_ArgsBase, **fields)


if TYPE_CHECKING:  # built at import from the installed ultralytics' argument table
    UltralyticsArgs: TypeAlias = Params
else:
    UltralyticsArgs = _build_args_model()


class YoloParams(Params):
    """Ultralytics YOLO detector from an architecture yaml or local weights (trains itself)."""

    arch: str | None = Field(
        None,
        description="architecture: yolov8n, yolov5nu, yolo11n, ... or a "
        "model .yaml file; trained from scratch (default yolov8n)",
    )
    weights: ExistingFile | None = Field(None, description="a local .pt checkpoint to start from")
    imgsz: int = Field(
        96, ge=32, le=4096, description="train/val image size (pixels, multiple of 32)"
    )
    epochs: int = Field(10, gt=0)
    batch: int = Field(16, gt=0)
    workers: int = Field(2, ge=0, description="dataloader workers on GPU (CPU training uses 0)")
    amp: bool = Field(True, description="mixed precision on GPU (bf16 where supported, else fp32)")
    samples: int = Field(4, ge=0, le=64, description="eval images saved with their predicted boxes")
    conf: float = Field(
        0.25, gt=0, lt=1, description="confidence threshold of the predicted images"
    )
    verbose: bool = Field(False, description="show ultralytics' own console output")
    plots: bool = Field(
        False,
        description="also save ultralytics' training plots (results.png, "
        "label statistics, PR curves); they take seconds each on a CPU",
    )
    args: UltralyticsArgs = Field(
        default_factory=UltralyticsArgs,
        description="any other ultralytics train argument: lr0, optimizer, "
        "mosaic, hsv_h, fliplr, degrees, ...",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_arch(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("arch") is None and data.get("weights") is None:
            data = {**data, "arch": "yolov8n"}
        return data

    @field_validator("arch")
    @classmethod
    def _check_arch(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        reason = meta.non_detection_reason(value)
        if reason:
            raise ValueError(reason)
        if value.endswith((".yaml", ".yml")):
            bases = [Path(b) for b in (info.context or {}).get("base_dirs", [])] or [Path.cwd()]
            for base in bases:
                candidate = (base / value).expanduser()
                if candidate.is_file():
                    return str(candidate.resolve())
            if "/" in value or (meta.builtin_archs() and meta.find_builtin_arch(value) is None):
                tried = ", ".join(str(b) for b in bases)
                raise ValueError(
                    f"model yaml does not exist: {value} (looked in {tried}); or "
                    "name an ultralytics architecture such as yolov8n"
                )
        if meta.find_builtin_arch(value) is None:
            if not meta.builtin_archs():
                return value  # ultralytics not installed: the run reports it
            names = meta.detection_archs()
            raise ValueError(
                f"unknown architecture {value!r}{did_you_mean(value, names)}; ultralytics ships: "
                f"{', '.join(names)} (add a scale letter: yolov8n, yolo11s ...) or a .yaml file"
            )
        return value

    @field_validator("weights")
    @classmethod
    def _check_weights(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix != ".pt":
            raise ValueError(f"weights must be a .pt checkpoint, got {value.name}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> YoloParams:
        if self.arch is not None and self.weights is not None:
            raise ValueError(
                "set either arch (train from scratch) or weights (start from a "
                "checkpoint), not both"
            )
        return self


# ----------------------------------------------------------------------------- data kinds


class _DetectionData(Params):
    box_tolerance: float = Field(
        0.5,
        ge=0,
        description="pixels a box may pass the image edge "
        "(clipped and counted); further out is an error",
    )
    split: SplitSpec = Field(
        default_factory=lambda: SplitSpec(eval=0.2),
        description="train/eval/test split when the source has none",
    )


class YoloFolderParams(_DetectionData):
    """A detection dataset in YOLO layout (images/ + labels/ .txt) or an ultralytics data.yaml."""

    path: ExistingPath = Field(description="dataset root, or its data .yaml")
    names: list[str] | None = Field(
        None,
        min_length=1,
        description="class names (default: from data.yaml, classes.txt or names.txt)",
    )


class CocoParams(_DetectionData):
    """Images with a COCO JSON annotation file, converted to YOLO boxes."""

    images: ExistingDir
    annotations: ExistingFile = Field(description="COCO instances .json")
    crowd: Literal["skip", "keep"] = Field("skip", description="annotations with iscrowd=1")


class VocParams(_DetectionData):
    """Images with Pascal VOC XML annotations (one .xml per image), converted to YOLO boxes."""

    images: ExistingDir
    annotations: ExistingDir = Field(description="folder of VOC .xml files")
    names: list[str] | None = Field(
        None,
        min_length=1,
        description="class names in id order (default: every object name found, sorted)",
    )
    difficult: Literal["skip", "keep"] = Field("keep", description="objects marked difficult")


SHAPES = ("circle", "square", "triangle", "diamond", "cross")


class GeneratedDetectionParams(Params):
    """Generated detection images: coloured shapes of several classes on noisy backgrounds."""

    images: int = Field(200, gt=0, le=100_000)
    size: int = Field(96, ge=32, le=1024, description="image side in pixels")
    classes: list[Literal[SHAPES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["circle", "square", "triangle"], min_length=1
    )
    max_objects: int = Field(2, ge=1, le=20, description="objects per image: 1 to this many")
    min_scale: float = Field(0.3, gt=0, le=1, description="smallest object side / image side")
    max_scale: float = Field(0.6, gt=0, le=1, description="largest object side / image side")
    split: SplitSpec = Field(default_factory=lambda: SplitSpec(eval=0.2))

    @model_validator(mode="after")
    def _scales(self) -> GeneratedDetectionParams:
        if self.min_scale > self.max_scale:
            raise ValueError(f"min_scale {self.min_scale} is above max_scale {self.max_scale}")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes lists a shape twice")
        return self
