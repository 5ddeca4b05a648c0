"""The parts of ``model.fit`` the Keras model kinds share: optimiser, learning-rate
schedule, early stopping, and the callback that reports to specrun.

Metrics are logged once per epoch with ``step = epoch`` (epoch 0 = before training), so
the store's curves read the same for every Keras model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .runtime import keras_module
from .train_params import TrainLoop

keras = keras_module()

# Keras's names in ``logs`` -> the names specrun stores.
_TRAIN_NAMES = {"learning_rate": "lr"}


def make_optimizer(p: TrainLoop, steps_per_epoch: int) -> Any:
    lr: Any = p.lr
    sched = p.lr_schedule
    if sched.kind == "cosine":
        warmup = sched.warmup_epochs * steps_per_epoch
        decay = max(1, (p.epochs - sched.warmup_epochs) * steps_per_epoch)
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=p.lr / 10 if warmup else p.lr,
            decay_steps=decay,
            alpha=sched.min_lr / p.lr,
            warmup_target=p.lr if warmup else None,
            warmup_steps=warmup,
        )
    extra: dict[str, Any] = {"clipnorm": p.clipnorm} if p.clipnorm else {}
    if p.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr, **extra)
    if p.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=p.weight_decay, **extra)
    return keras.optimizers.SGD(learning_rate=lr, momentum=p.momentum, **extra)


class RunReporter(keras.callbacks.Callback):
    """Progress bar per batch; per epoch: train metrics, Keras's val_* metrics (if fit was
    given validation data), then ``evaluate_epoch``.

    ``evaluate_epoch(epoch)`` evaluates the eval split (logging through ``ctx.evaluate``)
    and returns its loss, or None when Keras computes it. A returned loss is put into
    ``logs["val_loss"]`` before the schedule and early-stopping callbacks read it: they
    come after this one in the list and see the same dict."""

    def __init__(
        self,
        ctx: Any,
        total_steps: int,
        description: str,
        evaluate_epoch: Callable[[int], float | None] | None,
    ):
        super().__init__()
        self.ctx, self.total_steps, self.description = ctx, total_steps, description
        self.evaluate_epoch = evaluate_epoch
        self.bar: Any = None
        self.last_val_loss: float | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.bar = self.ctx.progress(self.total_steps, self.description)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.bar.update()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs if logs is not None else {}
        self.ctx.step = epoch + 1
        train = {
            _TRAIN_NAMES.get(k, k): float(v) for k, v in logs.items() if not k.startswith("val_")
        }
        # With a schedule (not a plateau callback) Keras does not put the rate in logs.
        train.setdefault(
            "lr", float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        )
        self.ctx.log_metrics(train, split="train")
        # Keras's own validation (fit(validation_data=...)) arrives as val_*: the eval split.
        evals = {k[len("val_") :]: float(v) for k, v in logs.items() if k.startswith("val_")}
        if evals:
            self.ctx.log_metrics(evals, split="eval")
        if self.evaluate_epoch is not None:
            val_loss = self.evaluate_epoch(epoch + 1)
            if val_loss is not None:
                self.last_val_loss = val_loss
        if self.last_val_loss is not None:
            # Epochs between evals keep the last value, so monitors always find one.
            logs["val_loss"] = self.last_val_loss

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            self.bar.close()


def make_callbacks(ctx: Any, p: TrainLoop, reporter: RunReporter, monitor_eval: bool) -> list[Any]:
    """The reporter first (it writes val_loss), then schedule and early stopping."""
    monitor = "val_loss" if monitor_eval else "loss"
    callbacks: list[Any] = [reporter]
    if p.lr_schedule.kind == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=p.lr_schedule.factor,
                patience=p.lr_schedule.patience,
                min_lr=p.lr_schedule.min_lr,
                verbose=0,
            )
        )
    if p.early_stopping.patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=p.early_stopping.patience,
                min_delta=p.early_stopping.min_delta,
                restore_best_weights=p.early_stopping.restore_best,
                verbose=0,
            )
        )
    return callbacks


def settle_final_step(ctx: Any, callbacks: list[Any], last_full_eval: int | None) -> bool:
    """After ``fit``: make ``ctx.step`` name the final model; True when the model's own
    full evaluation at ``last_full_eval`` already describes it (the engine then skips its
    final evaluation, so the caller logs its samples), False when the engine evaluates.

    Keras's EarlyStopping restores the best epoch's weights at the end of training. Those
    weights were scored at their own epoch, but the engine takes the last step for the
    final model, so a restored model gets one more step, which the engine evaluates."""
    last_epoch = ctx.step - 1  # Keras counts epochs from 0
    restored_from = None
    for cb in callbacks:
        if not isinstance(cb, keras.callbacks.EarlyStopping):
            continue
        if cb.stopped_epoch > 0:
            stopped, best = cb.stopped_epoch + 1, cb.best_epoch + 1
            ctx.log(f"early stopping after epoch {stopped} (best epoch {best})")
            ctx.log_metrics({"stopped_epoch": cb.stopped_epoch + 1}, split="train")
        if cb.restore_best_weights and cb.best_weights is not None and cb.best_epoch != last_epoch:
            restored_from = cb.best_epoch + 1
    if restored_from is not None:
        ctx.step += 1
        ctx.log(f"restored the weights of epoch {restored_from}; final evaluation: step {ctx.step}")
        return False
    return last_full_eval == ctx.step


def steps_per_epoch(n: int, batch_size: int) -> int:
    return max(1, -(-n // batch_size))
