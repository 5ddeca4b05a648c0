"""Parameters of the model, trainer and metric kinds (light: pydantic and specrun only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from specrun import Params

from .params_common import Checkpoint, TokenizerSpec, absolute_store, one_of

Precision = Literal["fp32", "bf16", "fp16"]


class _HfModelParams(Params):
    checkpoint: Checkpoint | None = Field(None, description="a local save_pretrained dir or hub id")
    config: dict[str, Any] | None = Field(
        None, description="build from scratch: {model_type: bert, hidden_size: 64, ...}"
    )
    tokenizer: TokenizerSpec | None = Field(
        None, description="train a tokenizer on the train split (default with config:)"
    )
    text: str = Field("text", description="text column")
    max_length: int = Field(64, ge=8, le=8192, description="tokens per example")

    @model_validator(mode="after")
    def _source(self) -> _HfModelParams:
        one_of({"checkpoint": self.checkpoint, "config": self.config}, "checkpoint", "config")
        if self.config is not None and not isinstance(self.config.get("model_type"), str):
            raise ValueError("config needs a model_type, e.g. {model_type: bert}")
        if self.checkpoint is not None and self.tokenizer is not None:
            raise ValueError(
                "tokenizer: a new tokenizer would not match the checkpoint's embeddings; "
                "drop tokenizer: to use the checkpoint's own"
            )
        return self


class HfClassifierParams(_HfModelParams):
    """Sequence classifier (BERT, RoBERTa, XLM-R, any Auto model) from a checkpoint or config."""

    label: str = Field("label", description="label column")
    id: str = Field("id", description="row id column (row numbers are used when it is absent)")


class _LoopParams(Params):
    epochs: int = Field(3, gt=0)
    max_steps: int | None = Field(None, gt=0, description="stop after this many steps")
    lr: float = Field(5e-4, gt=0)
    batch_size: int = Field(
        32, gt=0, description="global batch: each of N workers takes batch_size / N rows"
    )
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    grad_clip: float = Field(1.0, ge=0, description="max gradient norm (0: off)")
    eval_every: int | None = Field(
        None, gt=0, description="steps between evals (default: each epoch)"
    )
    precision: Precision = Field("fp32", description="bf16/fp16 autocast on a GPU")
    threads: int | None = Field(
        None, gt=0, description="torch CPU threads (default: resources.cpus)"
    )
    save_model: bool = True


class ClassifierTrainerParams(_LoopParams):
    """Fine-tunes a sequence classifier; stores per-class report, confusion matrix and logits."""

    class_weights: bool = Field(False, description="weight the loss by inverse class frequency")
    save_logits: bool = Field(True, description="predictions/<split>_logits.parquet for ensembles")
    samples: int = Field(8, ge=0, description="eval examples stored as samples")


class DecodingParams(Params):
    """How texts are generated; every field can be swept (trainer.decoding.top_p ...)."""

    method: Literal["greedy", "beam", "top_k", "top_p", "temperature"] = "top_p"
    num_beams: int = Field(4, ge=2, le=64, description="beam: beams kept")
    top_k: int = Field(50, ge=1, description="top_k: sample among the k likeliest tokens")
    top_p: float = Field(0.9, gt=0, le=1, description="top_p: sample from this probability mass")
    temperature: float = Field(1.0, gt=0, le=10, description="sampling temperature")
    repetition_penalty: float = Field(1.0, ge=1, le=10, description="1 = none")
    no_repeat_ngram_size: int = Field(0, ge=0, le=10)
    max_new_tokens: int = Field(32, ge=1, le=4096)


class CausalLMParams(_HfModelParams):
    """Causal language model (GPT-2 or any Auto causal LM) with BOS/EOS/PAD special tokens."""

    tokenizer: TokenizerSpec | None = None
    bos_token: str = "<|bos|>"
    eos_token: str = "<|eos|>"
    pad_token: str = "<|pad|>"


class CausalLMTrainerParams(_LoopParams):
    """Fine-tunes a causal LM; perplexity before/after, generations as samples."""

    lr: float = Field(1e-3, gt=0)
    batch_size: int = Field(
        16, gt=0, description="global batch: each of N workers takes batch_size / N rows"
    )
    decoding: DecodingParams = Field(default_factory=DecodingParams)
    prompts: int = Field(16, ge=0, description="eval texts to generate from")
    prompt_words: int = Field(2, ge=0, description="words of each eval text given as prompt")


class EnsembleParams(Params):
    """Weighted average of the stored logits of earlier classifier runs (or a cv parent's folds)."""

    runs: list[str] = Field(min_length=1, description="run ids, id prefixes or run names")
    weights: list[float] | None = Field(None, description="one per run (default: equal)")
    average: Literal["logits", "probs"] = Field(
        "logits", description="average raw logits or softmax"
    )
    store: str | None = Field(
        None, description="run store to read (default: SPECRUN_STORE or store/)"
    )
    expand_children: bool = Field(
        True, description="a run without logits stands for its child runs (cv folds)"
    )
    id: str = Field("id", description="id column used to check the data against the members")
    splits: list[Literal["eval", "test"]] = Field(
        default_factory=lambda: list[Literal["eval", "test"]](["eval", "test"]),
        description="splits scored; cv folds share only the test split (each evaluates its fold)",
    )
    samples: int = Field(8, ge=0)

    @field_validator("store")
    @classmethod
    def _absolute(cls, v: str | None) -> str | None:
        return absolute_store(v)

    @model_validator(mode="after")
    def _weights(self) -> EnsembleParams:
        if self.weights is not None:
            if len(self.weights) != len(self.runs):
                raise ValueError(
                    f"weights has {len(self.weights)} value(s) but runs lists {len(self.runs)}: "
                    "give one weight per run"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 with a positive sum")
        return self
