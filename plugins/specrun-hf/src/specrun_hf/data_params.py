"""Parameters of the pair-text data kinds (light: pydantic and specrun only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from specrun import ExistingFile, Params
from specrun.builtins.splits import SplitSpec


class LengthFilter(Params):
    """Rows outside these bounds are dropped (before splitting), and the count is logged."""

    min_chars: int = Field(1, ge=0, description="drop pairs whose source or target is shorter")
    max_chars: int | None = Field(
        None, gt=0, description="drop pairs whose source or target is longer"
    )
    max_words: int | None = Field(None, gt=0, description="drop pairs with more whitespace words")
    max_ratio: float | None = Field(
        None, ge=1, description="drop pairs whose longer side has more than ratio x the characters"
    )


class PairTextParams(Params):
    """Source/target text pairs from a csv, tsv, jsonl or parquet file or a Hugging Face dataset."""

    path: ExistingFile | None = Field(None, description="a csv, tsv, jsonl or parquet file")
    format: Literal["auto", "csv", "tsv", "jsonl", "parquet"] = "auto"
    hf_dataset: str | None = Field(
        None, description="datasets.load_dataset name (hub id) or a local directory / saved dataset"
    )
    hf_config: str | None = Field(None, description="dataset configuration name (e.g. 'ko-en')")
    hf_splits: dict[Literal["train", "eval", "test"], str] = Field(
        default_factory=dict,
        description="use the dataset's own splits, e.g. {train: train, eval: validation}; "
        "without it everything is pooled and split by `split:`",
    )
    source: str = Field("source", description="source column; a.b reads field b of struct column a")
    target: str = Field("target", description="target column (same syntax)")
    source_lang: str | None = Field(None, description="recorded in the data's meta (e.g. ko)")
    target_lang: str | None = Field(None, description="recorded in the data's meta (e.g. en)")
    filter: LengthFilter = Field(default_factory=LengthFilter)
    dedupe: bool = Field(False, description="drop repeated (source, target) pairs")
    limit: int | None = Field(None, gt=0, description="keep the first N pairs (of each hf_split)")
    split: SplitSpec = Field(default_factory=SplitSpec)

    @model_validator(mode="after")
    def _one_source(self) -> PairTextParams:
        if (self.path is None) == (self.hf_dataset is None):
            raise ValueError("give exactly one of `path:` (a file) or `hf_dataset:` (a dataset)")
        if self.hf_splits and "train" not in self.hf_splits:
            raise ValueError("hf_splits needs a `train:` entry")
        return self


class GeneratedKoEnParams(Params):
    """Generated Korean->English pairs from a small grammar; eval uses unseen combinations."""

    train_rows: int = Field(6000, gt=0, le=1_000_000)
    eval_rows: int = Field(300, ge=0, le=100_000)
    test_rows: int = Field(0, ge=0, le=100_000)
    held_out: float = Field(
        0.15,
        gt=0,
        lt=1,
        description="share of (subject, verb) pairs kept out of training for eval/test",
    )
    seed: int | None = Field(None, description="data seed (default: the spec's seed)")


class GeneratedSummariesParams(Params):
    """Generated Korean news-style documents with one-sentence summaries (offline demo data)."""

    train_rows: int = Field(2000, gt=0, le=1_000_000)
    eval_rows: int = Field(200, ge=0, le=100_000)
    test_rows: int = Field(0, ge=0, le=100_000)
    seed: int | None = Field(None, description="data seed (default: the spec's seed)")
