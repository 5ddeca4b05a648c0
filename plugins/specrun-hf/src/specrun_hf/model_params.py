"""Parameters of the model kinds (light: pydantic and specrun only).

A checkpoint reference is either a local directory (resolved here against the spec's
directory, then the working directory, so the run records an absolute path) or a Hugging
Face hub id; which one is decided when the run starts (see ``checkpoints.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from specrun import Params


class TrainTokenizer(Params):
    """Train a subword tokenizer on the run's own train split (source and target together)."""

    vocab_size: int = Field(1000, ge=64, le=1_000_000)
    model: Literal["bpe", "unigram"] = Field(
        "bpe", description="bpe (SentencePiece-style BPE) or unigram (SentencePiece unigram)"
    )
    min_frequency: int = Field(2, ge=1, description="bpe: merges seen fewer times are not learned")
    lowercase: bool = False


class TokenizerParams(Params):
    """Where the tokenizer comes from: the checkpoint (default) or trained on the data."""

    train: TrainTokenizer | None = None


class LoraParams(Params):
    """Parameter-efficient fine-tuning with LoRA adapters (peft)."""

    method: Literal["lora"] = "lora"
    r: int = Field(8, gt=0)
    alpha: float = Field(16, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="names of linear layers to adapt (e.g. [q_proj, v_proj])"
    )


def resolve_local_checkpoint(value: str | None, info: ValidationInfo) -> str | None:
    """An existing directory becomes absolute; anything else stays as written (a hub id, or
    a missing directory that the run reports clearly)."""
    if not value:
        return value
    p = Path(value).expanduser()
    bases = [Path(b) for b in (info.context or {}).get("base_dirs", [])] or [Path.cwd()]
    for cand in [p] if p.is_absolute() else [b / p for b in bases]:
        if cand.is_dir():
            return str(cand.resolve())
    return value


class Seq2SeqModelParams(Params):
    """A Hugging Face encoder-decoder from `checkpoint:` or built from `config:`."""

    checkpoint: str | None = Field(None, description="hub id or local directory (save_pretrained)")
    config: dict[str, Any] | None = Field(None, description="model config keys, to build untrained")
    tokenizer: TokenizerParams = Field(default_factory=TokenizerParams)
    peft: LoraParams | None = None
    max_source_length: int = Field(128, gt=0, description="source tokens kept (truncation)")
    max_target_length: int = Field(128, gt=0, description="target tokens kept (truncation)")
    source_prefix: str = Field("", description="text put before every source (T5: 'translate: ')")

    _check_dir = field_validator("checkpoint")(resolve_local_checkpoint)

    @model_validator(mode="after")
    def _source_of_weights(self) -> Seq2SeqModelParams:
        if (self.checkpoint is None) == (self.config is None):
            raise ValueError(
                "give exactly one of `checkpoint:` (pretrained) or `config:` (from scratch)"
            )
        if self.config is not None and self.tokenizer.train is None:
            raise ValueError(
                "a model built from `config:` needs `tokenizer: {train: {vocab_size: ...}}`"
            )
        if self.checkpoint is not None and self.tokenizer.train is not None:
            raise ValueError(
                "`tokenizer.train` is for models built from `config:`; a checkpoint "
                "brings its own tokenizer (its embeddings are tied to that vocabulary)"
            )
        return self


class MarianParams(Seq2SeqModelParams):
    """MarianMT translation model (e.g. Helsinki-NLP/opus-mt-ko-en) or a small one from config."""


class BartParams(Seq2SeqModelParams):
    """BART encoder-decoder (e.g. a KoBART checkpoint) or a small one from config."""


class AutoSeq2SeqParams(Seq2SeqModelParams):
    """Any AutoModelForSeq2SeqLM checkpoint (T5, mBART, ...); config: needs model_type."""

    @model_validator(mode="after")
    def _model_type(self) -> AutoSeq2SeqParams:
        if self.config is not None and not isinstance(self.config.get("model_type"), str):
            raise ValueError("config: needs `model_type:` (e.g. t5, bart, marian) to build a model")
        return self


class VanillaTransformerParams(Params):
    """Encoder-decoder Transformer written from scratch in PyTorch (attention, masks, PE)."""

    d_model: int = Field(128, gt=0)
    heads: int = Field(4, gt=0)
    encoder_layers: int = Field(2, ge=1)
    decoder_layers: int = Field(2, ge=1)
    ff_dim: int = Field(512, gt=0)
    dropout: float = Field(0.1, ge=0, lt=1)
    norm_first: bool = Field(True, description="pre-LN layers (stabler at high learning rates)")
    max_positions: int = Field(
        256, gt=0, description="longest sequence the positional encoding covers"
    )
    tokenizer: TokenizerParams = Field(
        default_factory=lambda: TokenizerParams(train=TrainTokenizer())
    )
    peft: LoraParams | None = None
    max_source_length: int = Field(128, gt=0)
    max_target_length: int = Field(128, gt=0)

    @model_validator(mode="after")
    def _shapes(self) -> VanillaTransformerParams:
        if self.d_model % self.heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads})")
        if self.tokenizer.train is None:
            raise ValueError("the vanilla transformer trains its tokenizer: set tokenizer.train")
        if max(self.max_source_length, self.max_target_length + 1) > self.max_positions:
            raise ValueError(
                "max_source_length and max_target_length + 1 must fit in max_positions"
            )
        return self
