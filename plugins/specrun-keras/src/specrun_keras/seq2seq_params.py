"""Parameters of ``keras_seq2seq`` (pydantic only: no TensorFlow at validation)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .train_params import TrainLoop


class KerasSeq2SeqParams(TrainLoop):
    """Keras LSTM encoder-decoder translation model, with Bahdanau or Luong attention or none."""

    source: str | None = Field(
        None, description="source text column (default: the data kind's, else 'source')"
    )
    target: str | None = Field(
        None, description="target text column (default: the data kind's, else 'target')"
    )
    tokens: Literal["word", "char"] = Field(
        "word",
        description="vocabulary units, built from the train split: words and punctuation "
        "marks, or characters",
    )
    lowercase: bool = Field(
        False,
        description="lowercase both sides (BLEU is case-sensitive: "
        "lowercased translations lose points on cased references)",
    )
    min_count: int = Field(1, ge=1, description="rarer units become <unk>")
    max_vocab: int = Field(8000, ge=8, description="per side, specials included")
    max_source_len: int = Field(40, gt=0, description="units; longer sources are truncated")
    max_target_len: int = Field(40, gt=0, description="units; longer targets are truncated")
    embed_dim: int = Field(64, gt=0)
    units: int = Field(128, gt=0, description="LSTM units of encoder and decoder")
    dropout: float = Field(0.0, ge=0, lt=1, description="on embeddings and the attentional layer")
    attention: Literal["none", "bahdanau", "luong"] = Field(
        "luong",
        description="score of the decoder state against encoder states: additive "
        "(bahdanau), multiplicative (luong), or no attention",
    )
    reverse_source: bool = Field(
        False, description="feed the source reversed (Sutskever et al. 2014)"
    )
    eval_every: int = Field(
        1,
        ge=0,
        description="decode the eval split every N epochs (0: before "
        "training and after the last epoch only)",
    )
    eval_limit: int | None = Field(
        None,
        gt=0,
        description="decode at most N eval sentences during training (the final eval decodes all)",
    )
    samples: int = Field(8, ge=0, description="eval translations stored as samples")
    epochs: int = Field(20, gt=0)
    batch_size: int = Field(32, gt=0)
    lr: float = Field(3e-3, gt=0)
    clipnorm: float | None = Field(1.0, gt=0)
