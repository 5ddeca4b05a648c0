"""Parameters of the offline data kinds (light: pydantic and specrun only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from specrun import Params
from specrun.builtins.splits import SplitSpec


def _headline_split() -> SplitSpec:
    return SplitSpec(eval=0.15, test=0.15, stratify="label")


class KoreanHeadlinesParams(Params):
    """Generated Korean news headlines of several topics, with Hanja, full-width characters,
    bylines and tags as a crawler would leave them (columns: id, text, label)."""

    rows: int = Field(3000, gt=0, le=1_000_000)
    topics: int = Field(6, ge=2, le=7, description="number of topics (classes), at most 7")
    difficulty: float = Field(
        0.45, ge=0, le=1, description="share of words taken from other topics"
    )
    label_noise: float = Field(0.03, ge=0, le=0.5, description="share of rows given a random label")
    imbalance: float = Field(
        1.0,
        gt=0,
        le=1,
        description="size of the rarest topic relative to the most common (1 = balanced)",
    )
    seed: int | None = Field(
        None,
        description="generation and split seed (default: the spec's seed); fix it to "
        "train several seeds of a model on the same rows",
    )
    hanja: float = Field(
        0.35, ge=0, le=1, description="chance a word that has a Hanja form uses it"
    )
    noise: float = Field(
        0.3, ge=0, le=1, description="chance a headline carries crawl noise (tags, byline, URL)"
    )
    split: SplitSpec = Field(default_factory=_headline_split)


class GeneratedPoemsParams(Params):
    """A generated poem-like corpus (Korean, English or both) with crawled-page noise
    (HTML tags, URLs, hashtags) for regex cleaning (column: text)."""

    rows: int = Field(600, gt=0, le=1_000_000)
    language: Literal["ko", "en", "mixed"] = "ko"
    lines: int = Field(2, ge=1, le=8, description="lines per poem")
    noise: float = Field(0.3, ge=0, le=1, description="chance a poem carries crawl noise")
    seed: int | None = Field(None, description="generation and split seed (default: the spec's)")
    split: SplitSpec = Field(default_factory=lambda: SplitSpec(eval=0.1))
