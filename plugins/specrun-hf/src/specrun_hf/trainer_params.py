"""Parameters of the ``hf_seq2seq_trainer`` kind and its decoding block (light imports)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from specrun import Params

# Metrics where smaller is better; every other metric name is maximised.
MINIMISED = ("loss", "perplexity", "ter")


def metric_mode(metric: str, mode: str) -> str:
    if mode != "auto":
        return mode
    return "min" if metric in MINIMISED else "max"


class DecodingParams(Params):
    """How text is generated at eval and by the loaded model: greedy, beam search or sampling."""

    strategy: Literal["greedy", "beam", "sample"] = "greedy"
    num_beams: int = Field(4, ge=1, description="beam: beams kept")
    length_penalty: float = Field(1.0, description="beam: >1 favours longer outputs")
    top_k: int = Field(50, ge=0, description="sample: keep the k most likely tokens (0: all)")
    top_p: float = Field(1.0, gt=0, le=1, description="sample: nucleus probability mass")
    temperature: float = Field(1.0, gt=0, description="sample: <1 sharper, >1 flatter")
    repetition_penalty: float = Field(1.0, gt=0, description=">1 discourages repeated tokens")
    no_repeat_ngram_size: int = Field(0, ge=0, description="forbid repeating n-grams of this size")
    max_new_tokens: int = Field(64, gt=0)

    def generate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``model.generate`` (HF models and the vanilla transformer)."""
        kw: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "repetition_penalty": self.repetition_penalty,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
        }
        if self.strategy == "greedy":
            kw.update(num_beams=1, do_sample=False)
        elif self.strategy == "beam":
            kw.update(
                num_beams=self.num_beams,
                do_sample=False,
                length_penalty=self.length_penalty,
                early_stopping=True,
            )
        else:
            kw.update(
                num_beams=1,
                do_sample=True,
                top_k=self.top_k,
                top_p=self.top_p,
                temperature=self.temperature,
            )
        return kw


class EarlyStoppingParams(Params):
    """Stop when the eval metric has not improved for `patience` evals in a row."""

    metric: str = Field("loss", description="an eval metric name: loss, bleu, chrf, rouge1 ...")
    patience: int = Field(3, ge=1)
    min_delta: float = Field(0.0, ge=0, description="smaller improvements do not count")
    mode: Literal["auto", "min", "max"] = "auto"


class KeepBestParams(Params):
    """Reload the checkpoint with the best eval metric at the end of training."""

    metric: str = Field("loss", description="eval loss or a metric name (bleu, chrf, rouge1, ...)")
    mode: Literal["auto", "min", "max"] = "auto"


class HFSeq2SeqTrainerParams(Params):
    """Trains seq2seq models with the HF Trainer; every eval logs BLEU/chrF/ROUGE/loss by step."""

    epochs: float = Field(3.0, gt=0, description="passes over the train split (max_steps wins)")
    max_steps: int | None = Field(None, gt=0, description="optimizer steps; overrides epochs")
    lr: float = Field(5e-4, gt=0)
    batch_size: int = Field(
        32,
        gt=0,
        description="global batch per optimizer micro-step: split evenly over resources.workers",
    )
    eval_batch_size: int = Field(64, gt=0)
    grad_accum: int = Field(1, ge=1, description="gradient accumulation steps")
    precision: Literal["fp32", "bf16", "fp16"] = Field(
        "fp32", description="bf16: CUDA with bf16 or CPU autocast; fp16: CUDA only"
    )
    lr_scheduler: Literal["linear", "cosine", "constant"] = "linear"
    warmup_steps: int = Field(0, ge=0)
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="warmup as a share of all steps")
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    logging_steps: int = Field(25, gt=0, description="train loss/lr logged every N steps")
    eval_steps: int | None = Field(
        None, gt=0, description="eval every N steps (default: each epoch)"
    )
    eval_on_start: bool = Field(
        True, description="eval the untrained model at step 0 (the 'before')"
    )
    eval_limit: int | None = Field(
        None, gt=0, description="evals during training use the first N rows"
    )
    save_steps: int | None = Field(
        None, gt=0, description="checkpoint every N steps (default: with evals when needed)"
    )
    save_total_limit: int = Field(
        2, ge=1, description="checkpoints kept on disk (the best is kept too)"
    )
    checkpoint_dir: str | None = Field(
        None, description="where checkpoints go (default: the run's temporary directory)"
    )
    resume: bool | Literal["auto"] = Field(
        False, description="true: continue from the last checkpoint in checkpoint_dir; auto: if any"
    )
    early_stopping: EarlyStoppingParams | None = None
    keep_best: KeepBestParams | None = None
    samples: int = Field(8, ge=0, description="eval examples stored as samples at each eval")
    group_by_length: bool = Field(True, description="batch similar lengths together (less padding)")
    num_threads: int | None = Field(
        None, gt=0, description="torch CPU threads (default: resources.cpus)"
    )
    decoding: DecodingParams = Field(default_factory=DecodingParams)

    @model_validator(mode="after")
    def _consistent(self) -> HFSeq2SeqTrainerParams:
        if self.resume and not self.checkpoint_dir:
            raise ValueError(
                "resume needs checkpoint_dir: checkpoints in the run's temporary "
                "directory are deleted when the run ends"
            )
        if self.warmup_steps and self.warmup_ratio:
            raise ValueError("give warmup_steps or warmup_ratio, not both")
        if (
            self.keep_best
            and self.save_steps
            and self.eval_steps
            and self.save_steps % self.eval_steps
        ):
            raise ValueError(
                f"keep_best: save_steps ({self.save_steps}) must be a multiple of "
                f"eval_steps ({self.eval_steps}) so that evaluated steps are saved"
            )
        if (self.keep_best or self.early_stopping) and not self.eval_steps and self.max_steps:
            raise ValueError("keep_best/early_stopping with max_steps need eval_steps")
        return self
