"""The ``hf_seq2seq_trainer`` kind: trains any model of the plugin with the HF Trainer.

The Trainer does the optimisation, schedules, mixed precision, checkpoints, resuming and
best-model reloading. Evaluation is ours (``SpecrunTrainer.evaluate``): it decodes the
eval split with the spec's ``decoding:`` block, runs the spec's metrics through
``ctx.evaluate`` (so every eval lands in the store by step, and in a sweep's scheduler),
stores sample translations, and hands the numbers back to the Trainer for early stopping
and for choosing the best checkpoint.
"""

from __future__ import annotations

from typing import Any

from specrun import DataError, Predictions, UserError

from specrun_textmetrics.metrics import signatures

from . import runtime
from .bundle import Seq2SeqBundle
from .trainer_params import HFSeq2SeqTrainerParams

STATE_SIGNATURES = "hf:metric_signatures"
STATE_SAMPLED = "hf:sampled_steps"


def make_trainer_class() -> type:
    from transformers import Trainer

    class SpecrunTrainer(Trainer):
        """A Trainer whose evaluation decodes and scores with the run's metrics."""

        def __init__(
            self, *args: Any, evaluate_fn: Any, keep_spec_settings: bool = False, **kwargs: Any
        ):
            super().__init__(*args, **kwargs)
            self.evaluate_fn = evaluate_fn
            # Continuing another pbt trial's checkpoint: this spec's lr, weight decay ...
            self.keep_spec_settings = keep_spec_settings

        def _load_optimizer_and_scheduler(self, checkpoint: str | None) -> None:
            from . import pbt_state

            # Called with the optimizer and scheduler this spec built; loading replaces
            # their settings with the checkpoint's, which we undo for the hyperparameters.
            spec = (
                pbt_state.optimizer_settings(self.optimizer)
                if checkpoint and self.keep_spec_settings
                else None
            )
            super()._load_optimizer_and_scheduler(checkpoint)
            if spec is not None:
                pbt_state.keep_spec_settings(self.optimizer, self.lr_scheduler, spec)

        def evaluate(
            self, eval_dataset: Any = None, ignore_keys: Any = None, metric_key_prefix: str = "eval"
        ) -> dict[str, float]:
            results = self.evaluate_fn(self.model, self.state.global_step)
            metrics = {f"{metric_key_prefix}_{k}": v for k, v in results.items()}
            self.log(metrics)
            self.control = self.callback_handler.on_evaluate(
                self.args, self.state, self.control, metrics
            )
            return metrics

    return SpecrunTrainer


class HFSeq2SeqTrainer:
    def __init__(self, params: HFSeq2SeqTrainerParams):
        self.params = params

    # -- data ------------------------------------------------------------------------------
    @staticmethod
    def _texts(dataset: Any, split: str) -> tuple[list[str], list[str]]:
        src, tgt = dataset.meta.get("source", "source"), dataset.meta.get("target", "target")
        frame = dataset[split]
        for role, col in (("source", src), ("target", tgt)):
            if col not in frame.columns:
                raise DataError(
                    f"trainer: the {split} split has no {role} column {col!r} "
                    f"(it has: {', '.join(frame.columns)})"
                )
        if frame.height == 0:
            raise DataError(f"trainer: the {split} split is empty")
        return [str(s) for s in frame[src].to_list()], [str(t) for t in frame[tgt].to_list()]

    # -- evaluation ------------------------------------------------------------------------
    def _predictions(
        self,
        ctx: Any,
        bundle: Seq2SeqBundle,
        sources: list[str],
        references: list[str],
        split: str,
        module: Any = None,
    ) -> Predictions:
        from .evaluation import decode_split

        p = self.params
        decoded = decode_split(
            bundle,
            sources,
            references,
            p.decoding.generate_kwargs(),
            p.eval_batch_size,
            ctx.seed,
            module=module,
        )
        return Predictions(
            split,
            outputs=decoded.hypotheses,
            references=references,
            inputs=sources,
            extra={"loss": decoded.loss},
        )

    def _log_samples(self, ctx: Any, preds: Predictions, step: int) -> None:
        sampled = ctx.state.setdefault(STATE_SAMPLED, set())
        if not self.params.samples or (preds.split, step) in sampled:
            return
        sampled.add((preds.split, step))
        sigs = ctx.state.get(STATE_SIGNATURES) or {}
        extra = {"metric_signatures": sigs} if sigs else {}
        inputs, refs, outputs = preds.inputs or [], preds.references or [], preds.outputs or []
        k = min(self.params.samples, len(outputs))
        rows = [
            {"input": inputs[i], "reference": refs[i], "output": outputs[i], **extra}
            for i in range(k)
        ]
        ctx.log_samples(rows, split=preds.split, step=step)

    def _remember_signatures(self, ctx: Any, preds: Predictions) -> None:
        sigs = signatures(preds.extra)
        known = ctx.state.setdefault(STATE_SIGNATURES, {})
        for kind, sig in sigs.items():
            if kind not in known:
                known[kind] = sig
                ctx.log(f"{kind} signature: {sig}")

    def _eval_during_training(
        self,
        ctx: Any,
        bundle: Seq2SeqBundle,
        sources: list[str],
        references: list[str],
        module: Any,
        step: int,
    ) -> dict[str, float]:
        ctx.step = step
        preds = self._predictions(ctx, bundle, sources, references, "eval", module)
        results = ctx.evaluate(preds, step=step)
        self._remember_signatures(ctx, preds)
        self._log_samples(ctx, preds, step)
        results.setdefault("loss", preds.extra["loss"])  # early stopping / keep_best may use it
        for name, watched in (
            ("keep_best", self.params.keep_best),
            ("early_stopping", self.params.early_stopping),
        ):
            if watched is not None and watched.metric not in results:
                raise UserError(
                    f"trainer.{name}.metric: {watched.metric!r} is not an eval metric of "
                    f"this run (they are: {', '.join(sorted(results))})"
                )
        shown = ", ".join(f"{k} {v:.4g}" for k, v in results.items() if k != "perplexity")
        ctx.log(f"eval @ step {step}: {shown}")
        return results

    # -- component protocol -------------------------------------------------------------------
    def fit(self, ctx: Any, bundle: Seq2SeqBundle, dataset: Any) -> Seq2SeqBundle:
        from . import pbt_state
        from .callbacks import (
            ContinuedTrial,
            MetricEarlyStopping,
            RestartCheckpoints,
            RunContextBridge,
        )
        from .training_setup import (
            check_tokenizer_matches,
            checkpoint_dir,
            find_resume_checkpoint,
            training_arguments,
        )

        if not isinstance(bundle, Seq2SeqBundle):
            raise UserError(
                "trainer hf_seq2seq_trainer trains the seq2seq model kinds of specrun-hf "
                "(marian, bart, seq2seq, vanilla_transformer)"
            )
        runtime.quiet_frameworks()
        p = self.params
        threads = runtime.set_threads(ctx, p.num_threads)
        train_src, train_tgt = self._texts(dataset, "train")
        train_data = bundle.encode(train_src, train_tgt)
        has_eval = "eval" in dataset.splits and len(dataset["eval"]) > 0
        eval_src, eval_tgt = self._texts(dataset, "eval") if has_eval else ([], [])
        if p.eval_limit:
            eval_src, eval_tgt = eval_src[: p.eval_limit], eval_tgt[: p.eval_limit]

        # Stop and continue (pbt sweeps): the state is a Trainer checkpoint of the current
        # step, made only when a scheduler asks (the trainer is built below, before any eval).
        def checkpoint_state() -> dict[str, Any]:
            return pbt_state.capture(trainer, ctx.work_dir / "pbt-save")

        saved = ctx.checkpointable(checkpoint_state)
        out_dir = checkpoint_dir(p, ctx.work_dir)
        if saved is not None:
            resume_from, ctx.step = pbt_state.restore(saved, ctx.work_dir / "pbt-restored")
            where = "sweep.scheduler: pbt: the checkpoint to continue from"
            check_tokenizer_matches(resume_from, bundle.tokenizer, where)
            ctx.log(f"continuing from a pbt checkpoint at step {ctx.step} (lr {p.lr:g})")
        elif ctx.restart_checkpoint() is not None:  # a multi-worker run's restarted group
            resume_from = str(ctx.restart_checkpoint())
            where = "the restart checkpoint"
        else:
            resume_from = find_resume_checkpoint(p, out_dir)
            where = f"trainer.resume: {resume_from}"
            if resume_from:
                check_tokenizer_matches(resume_from, bundle.tokenizer, where)
                ctx.log(f"resuming from {resume_from}")
        group = ctx.group
        args = training_arguments(
            p,
            out_dir,
            ctx.seed,
            ctx.device,
            has_eval,
            ctx.log,
            continued=saved is not None,
            world_size=group.world_size,
            save_for_restart=ctx.wants_checkpoints,
        )
        tokens = sum(len(f["input_ids"]) + len(f["labels"]) for f in train_data.features)
        callbacks: list[Any] = [RunContextBridge(ctx, tokens / max(1, len(train_data)))]
        if saved is not None:
            callbacks.append(ContinuedTrial())
        if ctx.wants_checkpoints:
            callbacks.append(RestartCheckpoints(ctx))
        if p.early_stopping is not None:
            callbacks.append(MetricEarlyStopping(p.early_stopping, ctx.log))

        def evaluate_fn(module: Any, step: int) -> dict[str, float]:
            return self._eval_during_training(ctx, bundle, eval_src, eval_tgt, module, step)

        trainer = make_trainer_class()(
            model=bundle.module,
            args=args,
            data_collator=bundle.collator(),
            train_dataset=train_data,
            # Our evaluate() decodes the texts itself; the Trainer only checks eval data exists.
            eval_dataset=bundle.encode(eval_src, eval_tgt) if has_eval else None,
            processing_class=bundle.tokenizer,
            callbacks=callbacks,
            evaluate_fn=evaluate_fn,
            keep_spec_settings=saved is not None,
        )
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # it prints every log dict to stdout
        ctx.log(
            f"training on {ctx.device} with {threads} thread(s): {len(train_data)} pairs, "
            f"{trainer.args.max_steps if p.max_steps else p.epochs} "
            f"{'steps' if p.max_steps else 'epochs'}, batch {p.batch_size}x{p.grad_accum}"
            + (f" over {group.world_size} workers" if group.world_size > 1 else "")
        )
        try:
            trainer.train(resume_from_checkpoint=resume_from)
        except RuntimeError as exc:
            if resume_from and "state_dict" in str(exc):
                hint = "; do not sweep values that shape the model with pbt" if saved else ""
                raise UserError(
                    f"{where} does not fit this model ({str(exc).splitlines()[0]}){hint}"
                ) from None
            raise
        bundle.module = trainer.model
        state = trainer.state
        ctx.step = state.global_step
        # The engine scores the final model unless this step was evaluated already. Step past
        # it when that eval is not the final word: restored best weights, or a subset eval.
        restored = bool(p.keep_best and state.best_model_checkpoint)
        subset = has_eval and len(eval_src) < len(dataset["eval"])
        if restored or subset:
            ctx.step = state.global_step + 1
        if restored:
            ctx.log(
                f"restored the best checkpoint (step {getattr(state, 'best_global_step', '?')}, "
                f"eval {p.keep_best.metric} {state.best_metric:.4g}); "
                f"it is scored at step {ctx.step}"
            )
        return bundle

    def predict(self, ctx: Any, bundle: Seq2SeqBundle, dataset: Any, split: str) -> Predictions:
        sources, references = self._texts(dataset, split)
        preds = self._predictions(ctx, bundle, sources, references, split)
        self._log_samples(ctx, preds, ctx.step)
        return preds

    def save(self, ctx: Any, bundle: Seq2SeqBundle) -> None:
        directory = bundle.save(
            ctx.work_dir / "final_model", self.params.decoding.generate_kwargs()
        )
        ctx.save_artifact(directory, "model", kind="model")
