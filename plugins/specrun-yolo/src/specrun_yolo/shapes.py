"""A generated detection set: filled shapes of several classes on noisy backgrounds.

Deterministic by seed (numpy's PCG64 draws everything, PIL draws and PNG-encodes without
randomness), so the same spec gives byte-identical images and the same data fingerprint.
Shapes contrast with their background so that a tiny detector can learn them in seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .records import Box, ImageRecord


def _shape_points(shape: str, x0: float, y0: float, s: float) -> list[tuple[float, float]] | None:
    """Polygon of a shape filling the square (x0, y0, s); None for the circle and square."""
    c = s / 2
    if shape == "triangle":
        return [(x0 + c, y0), (x0 + s, y0 + s), (x0, y0 + s)]
    if shape == "diamond":
        return [(x0 + c, y0), (x0 + s, y0 + c), (x0 + c, y0 + s), (x0, y0 + c)]
    if shape == "cross":
        t = s / 3
        return [
            (x0 + t, y0),
            (x0 + 2 * t, y0),
            (x0 + 2 * t, y0 + t),
            (x0 + s, y0 + t),
            (x0 + s, y0 + 2 * t),
            (x0 + 2 * t, y0 + 2 * t),
            (x0 + 2 * t, y0 + s),
            (x0 + t, y0 + s),
            (x0 + t, y0 + 2 * t),
            (x0, y0 + 2 * t),
            (x0, y0 + t),
            (x0 + t, y0 + t),
        ]
    return None


def generate_shapes(
    out_dir: Path,
    count: int,
    size: int,
    classes: list[str],
    max_objects: int,
    min_scale: float,
    max_scale: float,
    seed: int,
) -> list[ImageRecord]:
    """Write ``count`` PNG images under ``out_dir``; return them with their boxes."""
    import numpy as np
    from PIL import Image, ImageDraw

    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    records = []
    for i in range(count):
        background = rng.integers(0, 256, 3)
        noise = rng.normal(0, 18, (size, size, 3))
        pixels = np.clip(background + noise, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        boxes = []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            cls = int(rng.integers(len(classes)))
            s = float(rng.uniform(min_scale, max_scale)) * size
            x0, y0 = float(rng.uniform(0, size - s)), float(rng.uniform(0, size - s))
            # the opposite colour of the background, jittered: always visible
            colour = tuple(
                int(v) for v in np.clip(255 - background + rng.integers(-40, 41, 3), 0, 255)
            )
            points = _shape_points(classes[cls], x0, y0, s)
            if classes[cls] == "circle":
                draw.ellipse([x0, y0, x0 + s, y0 + s], fill=colour)
            elif points is None:
                draw.rectangle([x0, y0, x0 + s, y0 + s], fill=colour)
            else:
                draw.polygon(points, fill=colour)
            boxes.append(Box(cls, (x0 + s / 2) / size, (y0 + s / 2) / size, s / size, s / size))
        path = out_dir / f"shape_{i:05d}.png"
        image.save(path, optimize=False)
        records.append(ImageRecord(path.resolve(), size, size, boxes, f"generated #{i}"))
    return records


def describe(records: list[ImageRecord], classes: list[str]) -> dict[str, Any]:
    counts = {name: 0 for name in classes}
    for r in records:
        for b in r.boxes:
            counts[classes[b.cls]] += 1
    return counts
