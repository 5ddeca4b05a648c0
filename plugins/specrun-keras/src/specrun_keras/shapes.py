"""Drawing the generated shapes image set (PIL + numpy), deterministic by seed.

Images have random widths and heights (so aspect-keeping resize and padding matter), a
random background and a contrasting shape of random size, position and rotation, plus
pixel noise: easy enough for a tiny ResNet to learn in a few epochs, not trivially so.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _polygon(
    cx: float, cy: float, r: float, corners: int, angle: float
) -> list[tuple[float, float]]:
    return [
        (
            cx + r * math.cos(angle + 2 * math.pi * k / corners),
            cy + r * math.sin(angle + 2 * math.pi * k / corners),
        )
        for k in range(corners)
    ]


def _cross(cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    arm = r * 0.35  # half the bar width
    pts = [
        (arm, r),
        (arm, arm),
        (r, arm),
        (r, -arm),
        (arm, -arm),
        (arm, -r),
        (-arm, -r),
        (-arm, -arm),
        (-r, -arm),
        (-r, arm),
        (-arm, arm),
        (-arm, r),
    ]
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts]


def _contrasting_colours(rng: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A dark background and a bright shape, both of random hue: the class is the shape's
    outline, not its colour or polarity (which would make a demo set slow to learn)."""
    bg = tuple(int(v) for v in rng.integers(0, 90, 3))
    fg = tuple(int(v) for v in rng.integers(140, 256, 3))
    return bg, fg


def draw_shape(shape: str, width: int, height: int, noise: float, rng: Any) -> Any:
    """One RGB PIL image of ``shape``."""
    import numpy as np
    from PIL import Image, ImageDraw

    bg, fg = _contrasting_colours(rng)
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    r = rng.uniform(0.22, 0.4) * min(width, height)
    cx = rng.uniform(r, width - r)
    cy = rng.uniform(r, height - r)
    angle = rng.uniform(0, 2 * math.pi)
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fg)
    elif shape == "ring":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fg, width=max(2, int(r * 0.3)))
    elif shape == "square":
        draw.polygon(_polygon(cx, cy, r * 1.2, 4, angle), fill=fg)
    elif shape == "triangle":
        draw.polygon(_polygon(cx, cy, r * 1.2, 3, angle), fill=fg)
    elif shape == "cross":
        draw.polygon(_cross(cx, cy, r * 1.1, angle), fill=fg)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    if noise > 0:
        arr = np.asarray(img, dtype=np.float32)
        arr += rng.normal(0.0, noise * 255.0, arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img


def write_shape_images(
    folder: Path,
    classes: list[str],
    per_class: int,
    sides: tuple[int, int],
    noise: float,
    seed: int,
    on_image: Callable[[], Any] | None = None,
) -> None:
    """Write ``folder/<class>/<i>.png``; built in a temp dir and renamed into place so that
    runs sharing a cache dir never see half a set."""
    import numpy as np

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        rng = np.random.default_rng(seed)
        for i in range(per_class):
            for shape in classes:
                w, h = (int(v) for v in rng.integers(sides[0], sides[1] + 1, 2))
                out = tmp / shape / f"{i:05d}.png"
                out.parent.mkdir(exist_ok=True)
                draw_shape(shape, w, h, noise, rng).save(out, format="PNG")
                if on_image is not None:
                    on_image()
        (tmp / ".complete").write_text("ok\n")
        if (folder / ".complete").exists():  # another run finished the same set meanwhile
            shutil.rmtree(tmp)
            return
        if folder.exists():
            shutil.rmtree(folder)  # an incomplete set left by a killed run
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
