"""TrainerCallbacks that connect the HF Trainer to the run: training logs and progress go
to the RunContext, and early stopping watches any eval metric."""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from .trainer_params import EarlyStoppingParams, metric_mode

# HF's log keys -> names in the store (train split). Kept short: the run's final table
# lists the last value of everything logged.
SUMMARY_NAMES = {"train_runtime": "runtime_s", "train_loss": "mean_loss"}
STEP_NAMES = {"loss": "loss", "learning_rate": "lr", "grad_norm": "grad_norm"}


class RunContextBridge(TrainerCallback):
    """Train metrics by global step, the step counter, and a progress bar on the driver."""

    def __init__(self, ctx: Any, tokens_per_example: float):
        self.ctx = ctx
        self.tokens_per_example = tokens_per_example
        self.bar: Any = None
        self.last_loss: float | None = None
        self.start_step = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.start_step = state.global_step
        self.bar = self.ctx.progress(state.max_steps, "training")
        if state.global_step:  # resumed
            self.bar.update(
                state.global_step, description=f"training (resumed at {state.global_step})"
            )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.ctx.step = state.global_step
        if self.bar is not None:
            loss = f" · loss {self.last_loss:.3f}" if self.last_loss is not None else ""
            self.bar.update(1, description=f"training{loss}")

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        logs = logs or {}
        step_values = {ours: logs[theirs] for theirs, ours in STEP_NAMES.items() if theirs in logs}
        if "loss" in step_values:
            self.last_loss = float(step_values["loss"])
            self.ctx.log_metrics(step_values, step=state.global_step, split="train")
        summary = {ours: logs[theirs] for theirs, ours in SUMMARY_NAMES.items() if theirs in logs}
        if summary:
            runtime = float(logs.get("train_runtime") or 0.0)
            examples = (
                (state.global_step - self.start_step)
                * args.train_batch_size
                * self.ctx.group.world_size  # train_batch_size is each worker's share
                * args.gradient_accumulation_steps
            )
            if runtime > 0:
                # Source + target tokens without padding, what a seq2seq model really reads.
                summary["tokens_per_s"] = examples * self.tokens_per_example / runtime
            self.ctx.log_metrics(summary, step=state.global_step, split="train")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class RestartCheckpoints(TrainerCallback):
    """A multi-worker run that can restart: each saved Trainer checkpoint goes to the run's
    restart machinery (``ctx.save_checkpoint``; every rank calls it, rank 0 hands the dir)."""

    def __init__(self, ctx: Any):
        self.ctx = ctx

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        from pathlib import Path

        directory = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        main = self.ctx.group.is_main and directory.is_dir()
        self.ctx.save_checkpoint(directory if main else None, state.global_step)


class ContinuedTrial(TrainerCallback):
    """A run continuing from a pbt checkpoint (maybe another trial's): the Trainer resumes
    the saved ``TrainerState``; this run keeps its own log/eval/save intervals, and its own
    best model (the saved best is another run's, in a directory this run cannot rely on)."""

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        state.compute_steps(args, state.max_steps)
        state.best_metric = state.best_global_step = state.best_model_checkpoint = None


class MetricEarlyStopping(TrainerCallback):
    """Stops training when ``metric`` has not improved by ``min_delta`` for ``patience`` evals."""

    def __init__(self, params: EarlyStoppingParams, log: Any):
        self.metric = params.metric
        self.maximise = metric_mode(params.metric, params.mode) == "max"
        self.patience, self.min_delta, self.log = params.patience, params.min_delta, log
        self.best: float | None = None
        self.bad_evals = 0

    def on_evaluate(
        self,
        args: Any,
        state: Any,
        control: Any,
        metrics: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        value = (metrics or {}).get(f"eval_{self.metric}")
        if value is None:
            return
        if self.best is None:
            improved = True
        elif self.maximise:
            improved = value > self.best + self.min_delta
        else:
            improved = value < self.best - self.min_delta
        if improved:
            self.best, self.bad_evals = value, 0
            return
        self.bad_evals += 1
        if self.bad_evals >= self.patience:
            control.should_training_stop = True
            self.log(
                f"early stopping at step {state.global_step}: eval {self.metric} has not improved "
                f"for {self.patience} evals (best {self.best:.4g})"
            )
