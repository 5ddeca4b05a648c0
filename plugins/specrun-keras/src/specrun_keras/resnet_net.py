"""The ResNet classifier network: input ops, a backbone (small from scratch or ResNet50), a head."""

from __future__ import annotations

import concurrent.futures
import os
import socket
from pathlib import Path
from typing import Any

from specrun import UserError

from .image_ops import augmentation_layers
from .image_params import KerasResNetParams
from .runtime import keras_module

keras = keras_module()
layers = keras.layers

RESNET50_NOTOP = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_HOST = "storage.googleapis.com"
# resnet50.preprocess_input ("caffe"): BGR channel order minus the ImageNet BGR means.
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)


def check_imagenet_weights_reachable(timeout_s: float = 4.0) -> None:
    """Fail in seconds, with what to do, where Keras would otherwise try to download the
    weights from an offline machine (a connect can hang for minutes)."""
    homes = [Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")), Path("/tmp/.keras")]
    if any((h / "models" / RESNET50_NOTOP).is_file() for h in homes):
        return

    def connect() -> None:
        socket.create_connection((WEIGHTS_HOST, 443), timeout=timeout_s).close()

    # The DNS lookup is not covered by the socket timeout, hence the thread.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(connect).result(timeout=timeout_s + 1)
        return
    except (OSError, concurrent.futures.TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
    finally:
        pool.shutdown(wait=False)
    where = homes[0] / "models" / RESNET50_NOTOP
    raise UserError(
        f"model.weights: imagenet: the ResNet50 ImageNet weights are not cached ({where}) and "
        f"{WEIGHTS_HOST} cannot be reached ({reason}). Offline, copy {RESNET50_NOTOP} there or "
        "give weights: a local weights file; or train from scratch with weights: null "
        "(arch: resnet_small is the small offline choice)"
    )


def residual_block(x: Any, filters: int, stride: int, momentum: float) -> Any:
    """The basic two-convolution block of ResNet-18/34, with a projection shortcut when
    the shape changes."""
    y = layers.Conv2D(
        filters, 3, strides=stride, padding="same", use_bias=False, kernel_initializer="he_normal"
    )(x)
    y = layers.BatchNormalization(momentum=momentum)(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal")(y)
    y = layers.BatchNormalization(momentum=momentum)(y)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization(momentum=momentum)(shortcut)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def small_resnet(x: Any, p: KerasResNetParams) -> Any:
    x = layers.Conv2D(
        p.widths[0], 3, padding="same", use_bias=False, kernel_initializer="he_normal"
    )(x)
    x = layers.BatchNormalization(momentum=p.bn_momentum)(x)
    x = layers.ReLU()(x)
    for stage, width in enumerate(p.widths):
        for block in range(p.blocks_per_stage):
            stride = 2 if stage > 0 and block == 0 else 1
            x = residual_block(x, width, stride, p.bn_momentum)
    return layers.GlobalAveragePooling2D()(x)


def resnet50(x: Any, p: KerasResNetParams) -> Any:
    weights = None if p.weights is None else str(p.weights)
    if weights == "imagenet":
        check_imagenet_weights_reachable()
    base = keras.applications.ResNet50(
        include_top=False,
        weights=weights,
        pooling="avg",
        input_shape=(p.image_size, p.image_size, 3),
    )
    base.trainable = not p.freeze_backbone
    # training=False keeps a frozen backbone's BatchNorm statistics fixed (the usual
    # fine-tuning recipe); a trainable backbone updates them.
    return base(x, training=False) if p.freeze_backbone else base(x)


def build_classifier(
    p: KerasResNetParams,
    n_classes: int,
    ops: list[dict[str, Any]],
    mean: list[float],
    variance: list[float],
    seed: int,
) -> Any:
    """Input (0..255 RGB) -> random augmentation (training only) -> normalisation -> backbone
    -> dropout -> softmax."""
    inputs = keras.Input((p.image_size, p.image_size, 3), name="image")
    x = inputs
    for layer in augmentation_layers(keras, ops, seed):
        x = layer(x)
    if p.arch == "resnet50" and p.weights is not None:
        # Pretrained weights expect the preprocessing they were trained with.
        x = keras.ops.flip(x, axis=-1)
        x = layers.Normalization(mean=list(CAFFE_BGR_MEAN), variance=[1.0, 1.0, 1.0])(x)
    else:
        x = layers.Normalization(mean=mean, variance=variance)(x)
    features = resnet50(x, p) if p.arch == "resnet50" else small_resnet(x, p)
    if p.dropout:
        features = layers.Dropout(p.dropout, seed=seed)(features)
    outputs = layers.Dense(n_classes, activation="softmax", name="classes")(features)
    return keras.Model(inputs, outputs, name=p.arch)
