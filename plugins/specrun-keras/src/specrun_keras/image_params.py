"""Parameters of the image kinds: data sources, preprocessing/augmentation ops, the ResNet.

Pydantic and specrun only: `specrun validate` checks these without importing TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from specrun import ExistingDir, ExistingFile, Params, SplitSpec

from .train_params import TrainLoop

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
SHAPES = ("circle", "square", "triangle", "cross", "ring")
FillMode = Literal["reflect", "constant", "nearest", "wrap"]


def _image_split() -> SplitSpec:
    return SplitSpec(eval=0.2, stratify="label")


# ----------------------------------------------------------------------------- data


class ImageFolderParams(Params):
    """Images in one sub-folder per class (folder name = label); unreadable files are skipped."""

    path: ExistingDir
    extensions: list[str] = Field(
        default_factory=lambda: list(IMAGE_EXTENSIONS),
        description="file suffixes taken as images (case-insensitive)",
    )
    limit_per_class: int | None = Field(
        None, gt=0, description="keep the first N files of each class"
    )
    split: SplitSpec = Field(default_factory=_image_split)

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one extension")
        return [e.lower() if e.startswith(".") else f".{e.lower()}" for e in v]


class ImageTableParams(Params):
    """A csv/tsv/jsonl/parquet table of image paths and labels; unreadable images are skipped."""

    path: ExistingFile
    format: Literal["auto", "csv", "tsv", "jsonl", "parquet"] = "auto"
    path_column: str = "path"
    label_column: str = "label"
    root: ExistingDir | None = Field(
        None, description="base of relative paths (default: the table's folder)"
    )
    split: SplitSpec = Field(default_factory=_image_split)


class GeneratedShapesParams(Params):
    """Generated images of shapes (circle, square, ...) on noisy backgrounds: offline demo data."""

    classes: list[Literal["circle", "square", "triangle", "cross", "ring"]] = Field(
        default_factory=lambda: ["circle", "square", "triangle", "cross"], min_length=2
    )
    per_class: int = Field(100, gt=0, le=100_000)
    min_side: int = Field(40, ge=16, le=1024, description="images get random widths and heights")
    max_side: int = Field(72, ge=16, le=1024)
    noise: float = Field(0.08, ge=0, le=1, description="std of pixel noise, as a share of 255")
    cache: bool = Field(
        True,
        description="keep the drawn images for later runs (keyed by seed and "
        "params); false: draw them into the run's temporary dir",
    )
    cache_dir: Path | None = Field(
        None,
        description="where to keep them (default: specrun's cache, "
        "$SPECRUN_CACHE or ~/.cache/specrun)",
    )
    split: SplitSpec = Field(default_factory=_image_split)

    @field_validator("classes")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("classes must be unique")
        return v

    @model_validator(mode="after")
    def _sides(self) -> GeneratedShapesParams:
        if self.min_side > self.max_side:
            raise ValueError(
                f"min_side ({self.min_side}) must not exceed max_side ({self.max_side})"
            )
        return self


# ----------------------------------------------------------------------------- ops
# Augment kinds record an op in the dataset's meta; the Keras model carries them out:
# resize/pad on the decoded images of every split, the random ops on training batches only.


class ImageResizeParams(Params):
    """Preprocessing: resize keeping the aspect ratio (the longer or shorter side gets `size`)."""

    size: int = Field(gt=0, le=4096)
    side: Literal["longer", "shorter"] = "longer"
    resample: Literal["nearest", "bilinear", "bicubic", "lanczos"] = "bilinear"


class ImagePadSquareParams(Params):
    """Preprocessing: centre the image on a square canvas (side = its longer side, or `size`)."""

    size: int | None = Field(
        None, gt=0, le=4096, description="canvas side; larger images are centre-cropped"
    )
    fill: tuple[int, int, int] = Field((0, 0, 0), description="RGB of the padding")

    @field_validator("fill")
    @classmethod
    def _rgb(cls, v: tuple[int, int, int]) -> tuple[int, int, int]:
        if not all(0 <= c <= 255 for c in v):
            raise ValueError("fill values must be within 0..255")
        return v


class ImageZeroCenterParams(Params):
    """Preprocessing: subtract the per-channel mean (of the train split, or ImageNet's)."""

    mean: Literal["dataset", "imagenet"] = "dataset"
    unit_variance: bool = Field(
        False, description="also divide by the per-channel std (dataset only)"
    )


class ImageFlipParams(Params):
    """Augmentation (training only): random flips."""

    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal"


class ImageRotationParams(Params):
    """Augmentation (training only): random rotation by up to +-degrees."""

    degrees: float = Field(15.0, gt=0, le=180)
    fill_mode: FillMode = "reflect"


class ImageZoomParams(Params):
    """Augmentation (training only): random zoom in or out by up to `factor` of the side."""

    factor: float = Field(0.1, gt=0, lt=1)
    fill_mode: FillMode = "reflect"


class ImageBrightnessParams(Params):
    """Augmentation (training only): random brightness shift by up to `factor` of the range."""

    factor: float = Field(0.2, gt=0, le=1)


# ----------------------------------------------------------------------------- model


class KerasResNetParams(TrainLoop):
    """Keras ResNet image classifier: small ResNet from scratch, or ResNet50 (ImageNet optional)."""

    arch: Literal["resnet_small", "resnet50"] = "resnet_small"
    weights: Literal["imagenet"] | ExistingFile | None = Field(
        None,
        description="resnet50 only: imagenet (downloaded once by Keras), or a local weights file",
    )
    image_size: int = Field(64, ge=8, le=1024, description="the network's square input side")
    widths: list[int] = Field(
        default_factory=lambda: [16, 32, 64],
        min_length=1,
        description="resnet_small: channels of each stage (stages 2.. halve the size)",
    )
    blocks_per_stage: int = Field(
        1, ge=1, le=8, description="resnet_small: residual blocks per stage"
    )
    dropout: float = Field(0.0, ge=0, lt=1)
    bn_momentum: float = Field(
        0.9,
        gt=0,
        lt=1,
        description="BatchNorm moving-average momentum; Keras's "
        "0.99 is too slow for runs of a few hundred steps",
    )
    freeze_backbone: bool = Field(
        False, description="train the classification head only (with pretrained weights)"
    )
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    image_column: str = Field("path", description="column of image file paths")
    label_column: str = Field("label", description="column of class labels")
    samples: int = Field(16, ge=0, description="eval predictions stored as samples")

    @field_validator("widths")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(w <= 0 for w in v):
            raise ValueError("widths must be positive")
        return v

    @model_validator(mode="after")
    def _weights_fit_arch(self) -> KerasResNetParams:
        if self.weights is not None:
            if self.arch != "resnet50":
                raise ValueError(
                    "weights: is for arch: resnet50 (resnet_small is trained from scratch)"
                )
        if self.arch == "resnet50" and self.image_size < 32:
            raise ValueError("arch resnet50 needs image_size >= 32")
        if self.freeze_backbone and self.weights is None:
            raise ValueError(
                "freeze_backbone needs pretrained weights (a frozen random backbone learns nothing)"
            )
        return self
