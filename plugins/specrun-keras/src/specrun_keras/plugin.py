"""specrun-keras registration: kinds, parameter models and "module:attr" factories.

Imported by `specrun validate`/`plugins`/`--help`: pydantic and specrun only. TensorFlow
is imported by the factories' modules when a run starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specrun import Component, hookimpl

from .image_params import (
    GeneratedShapesParams,
    ImageBrightnessParams,
    ImageFlipParams,
    ImageFolderParams,
    ImagePadSquareParams,
    ImageResizeParams,
    ImageRotationParams,
    ImageTableParams,
    ImageZeroCenterParams,
    ImageZoomParams,
    KerasResNetParams,
)
from .seq2seq_params import KerasSeq2SeqParams

_OPS = "specrun_keras.image_ops"
# Core calls this seeder before a model builds: Keras imported quietly, then seeded.
SEEDS = ("specrun_keras.runtime:seed_run",)


@hookimpl
def register_components(register):
    register(
        Component("data", "image_folder", ImageFolderParams, "specrun_keras.image_data:ImageFolder")
    )
    register(
        Component("data", "image_table", ImageTableParams, "specrun_keras.image_data:ImageTable")
    )
    register(
        Component(
            "data",
            "generated_shapes",
            GeneratedShapesParams,
            "specrun_keras.image_data:GeneratedShapes",
        )
    )
    for kind, params, factory in (
        ("image_resize", ImageResizeParams, "ImageResizeOp"),
        ("image_pad_square", ImagePadSquareParams, "ImagePadSquareOp"),
        ("image_zero_center", ImageZeroCenterParams, "ImageZeroCenterOp"),
        ("image_flip", ImageFlipParams, "ImageFlipOp"),
        ("image_rotation", ImageRotationParams, "ImageRotationOp"),
        ("image_zoom", ImageZoomParams, "ImageZoomOp"),
        ("image_brightness", ImageBrightnessParams, "ImageBrightnessOp"),
    ):
        register(Component("augment", kind, params, f"{_OPS}:{factory}"))
    register(
        Component(
            "model",
            "keras_resnet",
            KerasResNetParams,
            "specrun_keras.resnet:KerasResNet",
            seeds=SEEDS,
            worker_env_prefixes=("TF_",),  # the user's TensorFlow settings reach the worker
        )
    )
    register(
        Component(
            "model",
            "keras_seq2seq",
            KerasSeq2SeqParams,
            "specrun_keras.seq2seq:KerasSeq2Seq",
            seeds=SEEDS,
            worker_env_prefixes=("TF_",),  # the user's TensorFlow settings reach the worker
        )
    )


@hookimpl
def load_model(artifact_dir: Any) -> Any:
    """A run's trained ``LoadedImageClassifier`` or ``LoadedTranslator`` (None if it saved none)."""
    from .card import MODEL_CARD

    model_dir = Path(artifact_dir) / "model"
    if not (model_dir / MODEL_CARD).is_file():
        return None
    from .loading import load_saved

    return load_saved(model_dir, json.loads((model_dir / MODEL_CARD).read_text()))
