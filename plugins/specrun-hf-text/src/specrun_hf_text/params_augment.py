"""Parameters of the augment kinds: preprocessing, oversampling, EDA, back-translation."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from specrun import ExistingDir, ExistingFile, Params

from .params_common import absolute_store, one_of

Split = Literal["train", "eval", "test"]
EdaOp = Literal["sr", "ri", "rs", "rd"]


class _AugmentParams(Params):
    text: str = Field("text", description="text column")
    cache: bool = Field(True, description="reuse the result for the same input and params")


class _PreprocessParams(_AugmentParams):
    splits: list[Split] = Field(
        default_factory=lambda: list[Split](["train", "eval", "test"]),
        description="preprocessing must treat every split alike",
    )
    unk_tokenizer: ExistingDir | None = Field(
        None,
        description="tokenizer dir whose unknown-token rate is logged before/after "
        "(default: a Hangul+Latin character vocabulary, as a Korean BERT vocab without Hanja)",
    )


class UnicodeNormalizeParams(_PreprocessParams):
    """Unicode normalisation (NFKC by default: full-width and compatibility forms folded)."""

    form: Literal["NFC", "NFKC", "NFD", "NFKD"] = "NFKC"


class RegexCleanParams(_PreprocessParams):
    """Removes regex patterns (tags, URLs, bylines ...) and collapses whitespace."""

    patterns: list[str] = Field(min_length=1, description="Python regexes, replaced in order")
    replacement: str = " "
    collapse_whitespace: bool = True
    drop_empty: bool = Field(True, description="drop rows left empty by the cleaning")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for i, p in enumerate(patterns):
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"patterns[{i}] {p!r} is not a valid regex: {exc}") from None
        return patterns


class HanjaToHangulParams(_PreprocessParams):
    """Hanja to Hangul reading (hanja package), so tokenizers stop emitting unknown tokens."""


class OversampleParams(_AugmentParams):
    """Random oversampling of small classes in the train split (with replacement)."""

    label: str = "label"
    target: Literal["max", "mean"] | int = Field(
        "max", description="rows per class after: the largest class, the mean, or a number"
    )
    ratio: float = Field(1.0, gt=0, le=1, description="fraction of the target to reach")

    @field_validator("target")
    @classmethod
    def _positive(cls, v: str | int) -> str | int:
        if isinstance(v, int) and v <= 0:
            raise ValueError("target must be positive")
        return v


class SynonymSource(Params):
    """Where synonym replacement and random insertion find synonyms."""

    source: Literal["file", "word2vec", "masked_lm"] = "word2vec"
    path: ExistingFile | None = Field(
        None, description="file: 'word<TAB>syn1 syn2 ...' lines, or a JSON {word: [syns]}"
    )
    checkpoint: ExistingDir | None = Field(None, description="masked_lm: a save_pretrained dir")
    topn: int = Field(5, ge=1, le=100, description="candidates per word")
    min_similarity: float = Field(0.3, ge=-1, le=1, description="word2vec: cosine floor")
    vector_size: int = Field(64, ge=4, le=1024, description="word2vec dimensions")
    epochs: int = Field(30, ge=1, le=1000, description="word2vec training epochs")
    min_count: int = Field(2, ge=1, description="word2vec: rarer words get no vector")

    @model_validator(mode="after")
    def _needs(self) -> SynonymSource:
        if self.source == "file" and self.path is None:
            raise ValueError("source: file needs path:")
        if self.source == "masked_lm" and self.checkpoint is None:
            raise ValueError("source: masked_lm needs checkpoint: (a saved masked-LM directory)")
        return self


class EdaParams(_AugmentParams):
    """EDA: synonym replacement, random insertion, random swap, random deletion (train split)."""

    label: str | None = Field("label", description="kept on every copy (None: no label column)")
    ops: list[EdaOp] = Field(
        default_factory=lambda: list[EdaOp](["sr", "ri", "rs", "rd"]), min_length=1
    )
    alpha: float = Field(0.1, gt=0, le=1, description="share of a text's words each op changes")
    copies: int = Field(4, ge=1, le=64, description="augmented copies per row")
    keep_original: bool = True
    synonyms: SynonymSource = Field(default_factory=SynonymSource)


class Seq2SeqRef(Params):
    """A seq2seq model: a save_pretrained directory, or an earlier specrun run."""

    checkpoint: ExistingDir | None = None
    run: str | None = Field(None, description="run id (loaded with specrun.load_model)")
    src_lang: str | None = Field(None, description="multilingual models (M2M-100, NLLB): source")
    tgt_lang: str | None = Field(None, description="multilingual models: target, forced first")

    @model_validator(mode="after")
    def _one(self) -> Seq2SeqRef:
        one_of({"checkpoint": self.checkpoint, "run": self.run}, "checkpoint", "run")
        return self


class BackTranslationParams(_AugmentParams):
    """Back-translation (text -> pivot -> text) through seq2seq models, with noise filters."""

    label: str | None = "label"
    forward: Seq2SeqRef = Field(description="source -> pivot language")
    backward: Seq2SeqRef = Field(description="pivot -> source language")
    store: str | None = Field(None, description="run store for run: refs (default: SPECRUN_STORE)")
    fraction: float = Field(1.0, gt=0, le=1, description="share of train rows back-translated")
    sample: bool = Field(False, description="sample (top_p) instead of beam/greedy decoding")
    top_p: float = Field(0.9, gt=0, le=1)
    num_beams: int = Field(1, ge=1, le=16)
    max_new_tokens: int = Field(64, ge=1, le=1024)
    batch_size: int = Field(16, ge=1)
    min_length_ratio: float = Field(0.5, gt=0, description="drop outputs shorter than this x input")
    max_length_ratio: float = Field(2.0, gt=0, description="drop outputs longer than this x input")
    drop_identical: bool = Field(True, description="drop outputs equal to their input")
    drop_duplicates: bool = Field(True, description="drop outputs already in the set")

    @field_validator("store")
    @classmethod
    def _absolute(cls, v: str | None) -> str | None:
        return absolute_store(v)

    @model_validator(mode="after")
    def _ratios(self) -> BackTranslationParams:
        if self.min_length_ratio >= self.max_length_ratio:
            raise ValueError("min_length_ratio must be below max_length_ratio")
        return self
