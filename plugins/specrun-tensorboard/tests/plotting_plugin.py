"""A model kind for these tests that also saves a plot (a real PNG) as an artifact, as
plugins that draw learning curves or detections do. Installed by the tests through a real
entry point (a dist-info folder on sys.path)."""

from __future__ import annotations

import struct
import zlib

from specrun import Component, Params, Predictions, hookimpl


def png(width: int, height: int, seed: int) -> bytes:
    """A tiny RGB PNG whose pixels depend on ``seed``."""
    rows = b"".join(
        b"\x00"
        + bytes(((x * 40 + y * 90 + seed * 7) % 256) for x in range(width) for _ in range(3))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class PlotParams(Params):
    """Learns a number step by step and saves a plot of it."""

    steps: int = 6
    target: float = 3.0


class PlottingModel:
    def __init__(self, params: PlotParams):
        self.p = params

    def build(self, ctx, dataset):
        return {"value": 0.0}

    def fit(self, ctx, model, dataset):
        for step in range(1, self.p.steps + 1):
            model["value"] += 0.37 * (self.p.target - model["value"])
            ctx.step = step
            ctx.log_metrics({"error": abs(self.p.target - model["value"]) / 3.0})
        path = ctx.work_dir / "curve.png"
        path.write_bytes(png(5, 3, self.p.steps))
        ctx.save_artifact(path, "plots/curve.png", kind="plot")
        return model

    def predict(self, ctx, model, dataset, split):
        n = len(dataset[split])
        return Predictions(split, outputs=[model["value"]] * n, references=[self.p.target] * n)


@hookimpl
def register_components(register):
    register(Component("model", "plotting", PlotParams, PlottingModel))
