"""YOLO training throughput on the CPU: images per second of the train loop alone.

Trains an ultralytics detector from scratch on generated shapes (offline) for a few epochs
at each image size and reports the median images/s of the epochs after the first (the
first pays for dataloader start and allocator warm-up). Validation and plots are off:
this measures training, not specrun.

Run:    python benchmarks/bench_yolo.py                   (yolov8n, 64/128/320 px)
Quick:  python benchmarks/bench_yolo.py --quick           (64/128 px, 64 images, 3 epochs)
Needs:  pip install -e plugins/specrun-yolo
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _dataset(root: Path, images: int, size: int, seed: int) -> Path:
    from specrun_yolo.layout import write_layout
    from specrun_yolo.records import to_frame
    from specrun_yolo.shapes import generate_shapes

    from specrun import Dataset

    classes = ["circle", "square", "triangle"]
    records = generate_shapes(root / "src", images, size, classes, 2, 0.3, 0.6, seed)
    # a small eval split only because ultralytics wants one; validation is off
    frames = {"train": to_frame(records), "eval": to_frame(records[:8])}
    return write_layout(Dataset(frames, meta={"names": classes}), root / "yolo").data_yaml


def bench(arch: str, imgsz: int, images: int, epochs: int, batch: int, threads: int) -> dict:
    import torch
    from ultralytics import YOLO

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        data = _dataset(Path(tmp), images, imgsz, seed=0)
        model = YOLO(f"{arch}.yaml", task="detect")
        seconds: list[float] = []
        started: list[float] = []
        model.add_callback("on_train_epoch_start", lambda t: started.append(time.perf_counter()))
        model.add_callback(
            "on_train_epoch_end", lambda t: seconds.append(time.perf_counter() - started[-1])
        )
        model.train(
            data=str(data),
            epochs=epochs,
            imgsz=imgsz,
            batch=batch,
            device="cpu",
            workers=0,
            val=False,
            plots=False,
            save=False,
            amp=False,
            verbose=False,
            mosaic=0.0,
            project=str(Path(tmp) / "runs"),
            name="bench",
            exist_ok=True,
            seed=0,
        )
    steady = seconds[1:] or seconds
    return {
        "arch": arch,
        "imgsz": imgsz,
        "batch": batch,
        "threads": threads,
        "images": images,
        "epochs": len(seconds),
        "images_per_s": images / statistics.median(steady),
        "first_epoch_s": seconds[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="yolov8n")
    parser.add_argument("--imgsz", type=int, nargs="+", default=[64, 128, 320])
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--quick", action="store_true", help="64 and 128 px, 64 images, 3 epochs")
    args = parser.parse_args()
    if args.quick:
        args.imgsz, args.images, args.epochs = [64, 128], 64, 3

    from specrun_yolo.offline import configure_ultralytics

    configure_ultralytics()  # offline, quiet, settings out of the home dir
    import logging

    from ultralytics.utils import LOGGER

    LOGGER.setLevel(logging.WARNING)
    rows = [
        bench(args.arch, s, args.images, args.epochs, args.batch, args.threads) for s in args.imgsz
    ]
    print(
        f"{'arch':10} {'imgsz':>5} {'batch':>5} {'threads':>7} {'images/s':>9} {'1st epoch s':>11}"
    )
    for r in rows:
        print(
            f"{r['arch']:10} {r['imgsz']:>5} {r['batch']:>5} {r['threads']:>7} "
            f"{r['images_per_s']:>9.1f} {r['first_epoch_s']:>11.2f}"
        )


if __name__ == "__main__":
    main()
