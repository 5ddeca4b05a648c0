"""The ``yolo`` model kind: an ultralytics YOLO detector that trains itself.

build -> a ``YOLO`` from the architecture yaml (random weights) or the local checkpoint;
fit -> lays the data out for ultralytics in the work dir and trains, reporting every epoch;
predict -> validates on a split (mAP50, mAP50-95, precision, recall), then predicts it at
``conf`` for the confusion matrix, the per-image detections and a few drawn images;
save -> the best checkpoint and the training log.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

from specrun import Dataset, Predictions, UserError

from . import reproducible
from .epoch_logger import EpochLogger, eval_predictions
from .evaluation import predict_split, save_confusion_matrix, save_validation_plots
from .layout import SPLITS, YoloLayout, check_detection_data, write_layout
from .offline import configure_ultralytics, ultralytics_session
from .params import YoloParams


def pick_device(ctx: Any) -> str:
    """cuda when the run was given a GPU. In local mode core passes "cpu" whatever the
    resources say, so a local run that asked for gpus (core checked one exists) uses it too."""
    if ctx.device == "cuda":
        return "cuda"
    if getattr(ctx, "local", False) and float((ctx.resources or {}).get("gpus", 0) or 0) > 0:
        import torch

        if torch.cuda.is_available():
            return "cuda"
    return "cpu"


@contextmanager
def _torch_threads(ctx: Any, device: str):
    """CPU training uses the cores the spec asked for (resources.cpus), then restores."""
    import torch

    before = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(ctx.cpu_threads())
    try:
        yield
    finally:
        torch.set_num_threads(before)


class YoloDetector:
    def __init__(self, params: YoloParams):
        self.p = params

    # -- build ---------------------------------------------------------------------
    def build(self, ctx: Any, data: Dataset) -> Any:
        check_detection_data(data)
        configure_ultralytics(runs_dir=ctx.work_dir / "ultralytics")
        from ultralytics import YOLO

        source = str(self.p.weights) if self.p.weights else self.p.arch
        if not source.endswith((".pt", ".yaml", ".yml")):
            source += ".yaml"  # an architecture name: build it, never look for downloadable weights
        with ultralytics_session(ctx, self.p.verbose):
            try:
                model = YOLO(source, task="detect")
            except (FileNotFoundError, KeyError, SyntaxError) as exc:
                raise UserError(f"model: cannot build {source}: {exc}") from None
        if model.task != "detect":
            raise UserError(
                f"model.weights: {source} is a {model.task} model; the yolo model trains detectors"
            )
        ctx.log(
            f"yolo: {Path(source).name}, {sum(p.numel() for p in model.model.parameters()):,} "
            f"parameters, device {pick_device(ctx)}"
        )
        return model

    # -- fit -------------------------------------------------------------------------
    def _amp(self, device: str) -> bool | str:
        """fp16 AMP needs ultralytics' online check (it downloads yolo26n.pt): use bf16."""
        if device != "cuda" or not self.p.amp:
            return False
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else False

    def train_args(self, ctx: Any, layout: YoloLayout, device: str) -> dict[str, Any]:
        return {
            **self.p.args.model_dump(),
            "data": str(layout.data_yaml),
            "epochs": self.p.epochs,
            "imgsz": self.p.imgsz,
            "batch": self.p.batch,
            "workers": self.p.workers,
            "device": "0" if device == "cuda" else "cpu",
            "amp": self._amp(device),
            "seed": ctx.seed,
            "project": str(ctx.work_dir / "ultralytics"),
            "name": "train",
            "exist_ok": True,
            "verbose": self.p.verbose,
            "plots": self.p.plots,
            "val": True,
            "save": True,
        }

    def fit(self, ctx: Any, model: Any, data: Dataset) -> Any:
        layout = write_layout(data, ctx.work_dir / "yolo_data")
        ctx.state["yolo_layout"] = layout
        device = pick_device(ctx)
        args = self.train_args(ctx, layout, device)
        logger = EpochLogger(ctx, f"training {Path(str(self.p.weights or self.p.arch)).stem}")
        for event, callback in logger.callbacks().items():
            model.add_callback(event, callback)
        with ultralytics_session(ctx, self.p.verbose), _torch_threads(ctx, device):
            _check_args(args)
            model.train(**args)
        # The engine's final evaluation (of best.pt) gets its own step after the last epoch,
        # as ultralytics logs it: the per-epoch rows stay what they were.
        ctx.step = logger.epochs_done + 1
        ctx.state["yolo_train_dir"] = Path(model.trainer.save_dir)
        return model

    # -- predict -------------------------------------------------------------------------
    def predict(self, ctx: Any, model: Any, data: Dataset, split: str) -> Predictions:
        layout: YoloLayout = ctx.state.get("yolo_layout") or write_layout(
            data, ctx.work_dir / "yolo_data"
        )
        if split not in layout.images:
            raise UserError(f"the yolo model has no {split!r} split to evaluate")
        device = pick_device(ctx)
        common = {
            "imgsz": self.p.imgsz,
            "batch": self.p.batch,
            "device": "0" if device == "cuda" else "cpu",
            "verbose": self.p.verbose,
        }
        with ultralytics_session(ctx, self.p.verbose), _torch_threads(ctx, device):
            # mAP, precision, recall: ultralytics' validation (conf 0.001, as it reports them)
            metrics = model.val(
                data=str(layout.data_yaml),
                split=SPLITS[split],
                project=str(ctx.work_dir / "ultralytics"),
                name=f"val_{split}",
                exist_ok=True,
                plots=self.p.plots,
                **common,
            )
            # what the detector outputs at model.conf: matrix, detections, drawn samples
            found = predict_split(
                ctx,
                model,
                data[split],
                layout.images[split],
                layout.names,
                split,
                self.p.conf,
                self.p.samples,
                {**common, "save": False},
            )
            save_confusion_matrix(ctx, found.matrix, layout.names, split, self.p.conf)
        if self.p.plots:
            save_validation_plots(ctx, Path(metrics.save_dir), split)
        return eval_predictions(
            split,
            metrics.results_dict,
            outputs=found.outputs,
            references=found.references,
            inputs=[str(p) for p in data[split]["image"].to_list()],
            labels=layout.names,
        )

    # -- save ------------------------------------------------------------------------------
    def save(self, ctx: Any, model: Any) -> None:
        train_dir: Path | None = ctx.state.get("yolo_train_dir")
        if train_dir is None:
            return
        best = train_dir / "weights" / "best.pt"
        if not best.is_file():
            best = train_dir / "weights" / "last.pt"
        # Copies without wall-clock times and temporary paths: a rerun stores the same bytes.
        stored = ctx.work_dir / "yolo_stored"
        ctx.save_artifact(
            reproducible.checkpoint(best, stored / "best.pt", ctx.work_dir),
            "model/best.pt",
            kind="model",
        )
        if (train_dir / "results.csv").is_file():
            out = reproducible.results_csv(train_dir / "results.csv", stored / "results.csv")
            ctx.save_artifact(out, "train/results.csv", kind="log")
        if (train_dir / "args.yaml").is_file():
            out = reproducible.text_without_dir(
                train_dir / "args.yaml", stored / "args.yaml", ctx.work_dir
            )
            ctx.save_artifact(out, "train/args.yaml", kind="log")
        if self.p.plots:
            for plot in sorted(train_dir.glob("*.png")) + sorted(train_dir.glob("*.jpg")):
                ctx.save_artifact(plot, f"train/{plot.name}", kind="plot")


def _check_args(args: dict[str, Any]) -> None:
    """Ultralytics' own full check of the train arguments (ranges, combinations), before
    anything is trained: a bad value is the user's to fix, not a traceback."""
    from ultralytics.cfg import get_cfg

    try:
        get_cfg(overrides=args)
    except (TypeError, ValueError, SyntaxError) as exc:
        raise UserError(f"model.args: {str(exc).strip().splitlines()[0]}") from None
