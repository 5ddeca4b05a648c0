"""Ultralytics trainer callbacks that report a run to specrun as it trains: a progress bar
over batches, train losses and learning rate per epoch, and the eval metrics (mAP50,
mAP50-95, precision, recall) per epoch through ``ctx.evaluate`` (so sweeps see them)."""

from __future__ import annotations

import time
from typing import Any

from specrun import Predictions

# ultralytics metric key -> specrun metric name
EVAL_METRICS = {
    "metrics/mAP50(B)": "map50",
    "metrics/mAP50-95(B)": "map50_95",
    "metrics/precision(B)": "precision",
    "metrics/recall(B)": "recall",
}


def eval_predictions(split: str, ul_metrics: dict[str, Any], **fields: Any) -> Predictions:
    """Predictions carrying ultralytics' metrics as framework-computed ``metric:`` values."""
    extra = {
        f"metric:{name}": float(ul_metrics[key])
        for key, name in EVAL_METRICS.items()
        if key in ul_metrics
    }
    return Predictions(split, extra=extra, **fields)


class EpochLogger:
    def __init__(self, ctx: Any, description: str = "training yolo"):
        self.ctx = ctx
        self.description = description
        self.bar: Any = None
        self.epochs_done = 0
        self.train_images = 0
        self._epoch_started = 0.0
        self._train_seconds = 0.0
        self._in_epoch = False  # False at the extra on_fit_epoch_end of the final best.pt eval

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_pretrain_routine_end": self.on_pretrain_routine_end,
            "on_train_epoch_start": self.on_train_epoch_start,
            "on_train_batch_end": self.on_train_batch_end,
            "on_train_epoch_end": self.on_train_epoch_end,
            "on_fit_epoch_end": self.on_fit_epoch_end,
            "on_train_end": self.on_train_end,
        }

    def on_pretrain_routine_end(self, trainer: Any) -> None:
        batches = len(trainer.train_loader)
        self.train_images = len(trainer.train_loader.dataset)
        self.bar = self.ctx.progress(trainer.epochs * batches, self.description)

    def on_train_epoch_start(self, trainer: Any) -> None:
        self._epoch_started = time.perf_counter()

    def on_train_batch_end(self, trainer: Any) -> None:
        if self.bar is not None:
            self.bar.update()

    def on_train_epoch_end(self, trainer: Any) -> None:
        self._train_seconds = time.perf_counter() - self._epoch_started
        self._in_epoch = True

    def on_fit_epoch_end(self, trainer: Any) -> None:
        if not self._in_epoch:
            return  # ultralytics' final eval of best.pt: the engine evaluates the model after fit
        self._in_epoch = False
        self.epochs_done = trainer.epoch + 1
        self.ctx.step = self.epochs_done
        losses = trainer.label_loss_items(trainer.tloss, prefix="train")
        train = {k.split("/", 1)[1]: float(v) for k, v in losses.items()}
        train["lr"] = float(next(iter(trainer.lr.values()))) if trainer.lr else None
        if self._train_seconds > 0:
            train["images_per_s"] = self.train_images / self._train_seconds
        self.ctx.log_metrics(train, split="train")
        metrics = trainer.metrics or {}
        val_losses = {
            k.split("/", 1)[1]: float(v) for k, v in metrics.items() if k.startswith("val/")
        }
        if val_losses:
            self.ctx.log_metrics(val_losses, split="eval")
        self.ctx.evaluate(eval_predictions("eval", metrics))

    def on_train_end(self, trainer: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
