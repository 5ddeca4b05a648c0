"""Image preprocessing and augmentation kinds, and how the ResNet model carries them out.

The ``augment:`` section of a spec is applied once, before the model is built; random
augmentation must instead differ every epoch and touch training batches only. So each
image kind records an op in ``dataset.meta["image_ops"]`` (in spec order) and the model:

- resize / pad_square: on the decoded PIL images of every split, once (``load_images``);
- flip / rotation / zoom / brightness: as Keras random layers at the network's input,
  active in training only, on 0..255 pixels;
- zero_center: last, after the random layers (brightness works on raw pixel values), as a
  fixed normalisation whose mean comes from the train split (``input_normalization``).

Nothing here imports TensorFlow at module level; functions that need Keras take it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from specrun import DataError, UserError

PIXEL_OPS = ("resize", "pad_square")
RANDOM_OPS = ("flip", "rotation", "zoom", "brightness")
IMAGENET_RGB_MEAN = (123.68, 116.779, 103.939)


class ImageOp:
    """An augment-section component that appends its op to the dataset's image pipeline."""

    op = ""

    def __init__(self, params: Any):
        self.params = params

    def apply(self, ctx: Any, dataset: Any) -> Any:
        if "image_ops" not in dataset.meta:
            raise DataError(
                f"augment kind image_{self.op} works on image data (image_folder, "
                "image_table, generated_shapes); this data kind gave no images"
            )
        if self.op == "zero_center" and any(
            o["op"] == "zero_center" for o in dataset.meta["image_ops"]
        ):
            raise UserError("augment: image_zero_center is listed twice")
        out = dataset.replace()
        out.meta["image_ops"] = [
            *dataset.meta["image_ops"],
            {"op": self.op, **self.params.model_dump(mode="json")},
        ]
        return out


def _op_class(name: str) -> type[ImageOp]:
    return type(f"Image{name.title().replace('_', '')}Op", (ImageOp,), {"op": name})


ImageResizeOp = _op_class("resize")
ImagePadSquareOp = _op_class("pad_square")
ImageZeroCenterOp = _op_class("zero_center")
ImageFlipOp = _op_class("flip")
ImageRotationOp = _op_class("rotation")
ImageZoomOp = _op_class("zoom")
ImageBrightnessOp = _op_class("brightness")


# ----------------------------------------------------------------------------- pixels


def resize_keep_aspect(
    img: Any, size: int, side: str = "longer", resample: str = "bilinear"
) -> Any:
    from PIL import Image

    w, h = img.size
    scale = size / (max(w, h) if side == "longer" else min(w, h))
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    filters = {
        "nearest": Image.NEAREST,
        "bilinear": Image.BILINEAR,
        "bicubic": Image.BICUBIC,
        "lanczos": Image.LANCZOS,
    }
    return img.resize(new, filters[resample]) if new != (w, h) else img


def pad_to_square(img: Any, size: int | None = None, fill: tuple[int, int, int] = (0, 0, 0)) -> Any:
    """Centre ``img`` on a square canvas; a side longer than ``size`` is centre-cropped."""
    from PIL import Image

    w, h = img.size
    side = size or max(w, h)
    if (w, h) == (side, side):
        return img
    canvas = Image.new("RGB", (side, side), tuple(fill))
    canvas.paste(img, ((side - w) // 2, (side - h) // 2))
    return canvas


def preprocess(img: Any, ops: list[dict[str, Any]]) -> Any:
    for op in ops:
        if op["op"] == "resize":
            img = resize_keep_aspect(img, op["size"], op["side"], op["resample"])
        elif op["op"] == "pad_square":
            img = pad_to_square(img, op["size"], tuple(op["fill"]))
    return img


def load_images(
    paths: list[str],
    ops: list[dict[str, Any]],
    size: int,
    on_image: Callable[[], Any] | None = None,
) -> tuple[Any, int]:
    """Decode, preprocess and stack images as uint8 (N, size, size, 3).

    Returns the array and how many images had to be stretched to ``size`` because the
    preprocessing ops did not already make them size x size."""
    import numpy as np
    from PIL import Image

    out = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    stretched = 0
    for i, path in enumerate(paths):
        with Image.open(Path(path)) as im:
            img = preprocess(im.convert("RGB"), ops)
        if img.size != (size, size):
            stretched += 1
            img = img.resize((size, size), Image.BILINEAR)
        out[i] = np.asarray(img, dtype=np.uint8)
        if on_image is not None:
            on_image()
    return out, stretched


# ----------------------------------------------------------------------------- keras


def augmentation_layers(keras: Any, ops: list[dict[str, Any]], seed: int) -> list[Any]:
    """Keras random layers for the random ops, in spec order (inactive at inference)."""
    layers = keras.layers
    out = []
    for i, op in enumerate(o for o in ops if o["op"] in RANDOM_OPS):
        s = seed + i  # distinct streams, still reproducible
        if op["op"] == "flip":
            out.append(layers.RandomFlip(op["mode"], seed=s))
        elif op["op"] == "rotation":
            out.append(
                layers.RandomRotation(op["degrees"] / 360.0, fill_mode=op["fill_mode"], seed=s)
            )
        elif op["op"] == "zoom":
            f = op["factor"]
            out.append(layers.RandomZoom((-f, f), fill_mode=op["fill_mode"], seed=s))
        elif op["op"] == "brightness":
            out.append(layers.RandomBrightness(op["factor"], value_range=(0.0, 255.0), seed=s))
    return out


def input_normalization(
    ops: list[dict[str, Any]], train_images: Any
) -> tuple[list[float], list[float]]:
    """(mean, variance) per channel for the network's input, from the zero_center op.

    Without that op pixels are only scaled to 0..1, so the spec says what happens."""
    import numpy as np

    op = next((o for o in ops if o["op"] == "zero_center"), None)
    if op is None:
        return [0.0, 0.0, 0.0], [255.0**2] * 3
    if op["mean"] == "imagenet":
        return list(IMAGENET_RGB_MEAN), [1.0, 1.0, 1.0]
    pixels = train_images.reshape(-1, 3).astype(np.float64)
    mean = pixels.mean(axis=0)
    var = pixels.var(axis=0) if op["unit_variance"] else np.ones(3)
    return [float(m) for m in mean], [float(max(v, 1e-6)) for v in var]
