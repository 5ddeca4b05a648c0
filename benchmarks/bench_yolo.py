"""YOLO training throughput on the CPU: images per second of the train loop alone.

Trains an ultralytics detector from scratch on generated shapes (offline) for a few epochs
at each image size and reports the median images/s of the epochs after the first (the
first pays for dataloader start and allocator warm-up). Validation and plots are off:
this measures training, not specrun.

Run:    python benchmarks/bench_yolo.py                   (yolov8n, 64/128/320 px)
Smoke:  python benchmarks/bench_yolo.py --smoke           (32 px, 8 images, 2 epochs: CI)
GPU:    python benchmarks/bench_yolo.py --device 0 --amp  (bench_gpu.py runs this)
Needs:  pip install -e plugins/specrun-yolo

Records (benchmarks/results/yolo.json): "train <arch> <imgsz>px" (images/s of the train
loop, the epochs after the first).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchlib import Results, parser


def _dataset(root: Path, images: int, size: int, seed: int) -> Path:
    from specrun import Dataset

    from specrun_yolo.layout import write_layout
    from specrun_yolo.records import to_frame
    from specrun_yolo.shapes import generate_shapes

    classes = ["circle", "square", "triangle"]
    records = generate_shapes(root / "src", images, size, classes, 2, 0.3, 0.6, seed)
    # a small eval split only because ultralytics wants one; validation is off
    frames = {"train": to_frame(records), "eval": to_frame(records[:8])}
    return write_layout(Dataset(frames, meta={"names": classes}), root / "yolo").data_yaml


def bench(
    arch: str,
    imgsz: int,
    images: int,
    epochs: int,
    batch: int,
    threads: int,
    device: str = "cpu",
    amp: bool = False,
) -> dict:
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
            device=device,
            workers=0,
            val=False,
            plots=False,
            save=False,
            amp=amp,
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
        "device": device,
        "amp": amp,
        "images": images,
        "epochs": len(seconds),
        "images_per_s": images / statistics.median(steady),
        "first_epoch_s": seconds[0],
    }


def main(argv: list[str] | None = None, bench_name: str = "yolo") -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--arch", default="yolov8n")
    ap.add_argument("--imgsz", type=int, nargs="+", default=None, help="(default 64 128 320)")
    ap.add_argument("--images", type=int, default=None, help="(default 128)")
    ap.add_argument("--epochs", type=int, default=None, help="(default 4)")
    ap.add_argument("--batch", type=int, default=None, help="(default 16)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--device", default="cpu", help="cpu, or a CUDA device index (0)")
    ap.add_argument("--amp", action="store_true", help="mixed precision (CUDA)")
    args = ap.parse_args(argv)
    sizes = (
        {"imgsz": [32], "images": 8, "epochs": 2, "batch": 4}
        if args.smoke
        else {"imgsz": [64, 128, 320], "images": 128, "epochs": 4, "batch": 16}
    )
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    res = Results(bench_name, args)
    res.uses("ultralytics", "torch")

    from specrun_yolo.offline import configure_ultralytics

    configure_ultralytics()  # offline, quiet, settings out of the home dir
    import logging

    from ultralytics.utils import LOGGER

    LOGGER.setLevel(logging.WARNING)
    rows = [
        bench(
            args.arch, s, args.images, args.epochs, args.batch, args.threads, args.device, args.amp
        )
        for s in args.imgsz
    ]
    print(
        f"{'arch':10} {'imgsz':>5} {'batch':>5} {'threads':>7} {'images/s':>9} {'1st epoch s':>11}"
    )
    for r in rows:
        print(
            f"{r['arch']:10} {r['imgsz']:>5} {r['batch']:>5} {r['threads']:>7} "
            f"{r['images_per_s']:>9.1f} {r['first_epoch_s']:>11.2f}"
        )
        res.add(
            f"train {r['arch']} {r['imgsz']}px",
            r["images_per_s"],
            unit="images/s",
            better="higher",
            sizes={k: r[k] for k in ("imgsz", "batch", "images", "epochs", "threads")},
            device=r["device"],
            amp=r["amp"],
            first_epoch_s=r["first_epoch_s"],
        )
    res.finish(table=False)


if __name__ == "__main__":
    main()
