"""``generated_poems``: a poem-like corpus (Korean, English or both) generated from line
templates, with the debris of crawled blog pages (HTML tags, entities, URLs, hashtags,
source lines) on a share of the poems, for regex cleaning to remove."""

from __future__ import annotations

from typing import Any

from specrun import Dataset
from specrun.builtins.splits import split_frame

from specrun_textkit.korean import particle

KO_NOUNS = "달 별 바람 꽃 강 산 바다 하늘 구름 비 눈 나무 새 밤 새벽 노을 그대 마음 길 봄".split()
KO_ADJS = "고요한 푸른 붉은 차가운 따뜻한 외로운 하얀 깊은 먼 작은 오래된 눈부신".split()
KO_VERBS = "흐른다 잠든다 속삭인다 피어난다 기다린다 떠난다 빛난다 운다 머문다 스친다".split()
KO_TIMES = ["오늘도", "이 밤에", "새벽이면", "그리움 속에", "봄날에", "어느새", "다시"]
EN_NOUNS = (
    "moon star wind flower river mountain sea sky cloud rain snow tree bird night dawn heart road"
).split()
EN_ADJS = "quiet blue red cold warm lonely white deep distant small old bright".split()
EN_VERBS = "flows sleeps whispers blooms waits leaves shines weeps stays passes".split()
EN_TIMES = ["tonight", "at dawn", "in spring", "once more", "again", "in silence"]
NOISE = [
    "<br>",
    "&nbsp;",
    "<p>",
    "</p>",
    "http://blog.example.com/poem/{n}",
    "#시 #감성 #글귀",
    "출처: 어느 블로그",
    "ㅋㅋ",
    "[펌]",
    "Posted by admin {n}",
]


def ko_line(rng: Any) -> str:
    def pick(xs: list[str]) -> str:
        return xs[rng.integers(len(xs))]

    shape = rng.integers(3)
    if shape == 0:
        return f"{pick(KO_ADJS)} {particle(pick(KO_NOUNS), ('은', '는'))} {pick(KO_VERBS)}"
    if shape == 1:
        return f"{pick(KO_TIMES)} {particle(pick(KO_NOUNS), ('이', '가'))} {pick(KO_VERBS)}"
    return f"{particle(pick(KO_NOUNS), ('과', '와'))} {pick(KO_NOUNS)} 사이로 {pick(KO_VERBS)}"


def en_line(rng: Any) -> str:
    def pick(xs: list[str]) -> str:
        return xs[rng.integers(len(xs))]

    shape = rng.integers(3)
    if shape == 0:
        return f"the {pick(EN_ADJS)} {pick(EN_NOUNS)} {pick(EN_VERBS)}"
    if shape == 1:
        return f"{pick(EN_TIMES)} the {pick(EN_NOUNS)} {pick(EN_VERBS)}"
    return f"between {pick(EN_NOUNS)} and {pick(EN_NOUNS)} it {pick(EN_VERBS)}"


def make_poem(rng: Any, language: str, lines: int, noise: float) -> str:
    out = []
    for _ in range(lines):
        lang = language if language != "mixed" else ("ko" if rng.random() < 0.5 else "en")
        out.append(ko_line(rng) if lang == "ko" else en_line(rng))
    text = " / ".join(out)
    if rng.random() < noise:
        junk = NOISE[rng.integers(len(NOISE))].format(n=rng.integers(1000))
        text = f"{junk} {text}" if rng.random() < 0.5 else f"{text} {junk}"
    return text


class GeneratedPoems:
    def __init__(self, params: Any):
        self.p = params

    def load(self, ctx: Any) -> Dataset:
        import numpy as np
        import polars as pl

        p = self.p
        seed = ctx.seed if p.seed is None else p.seed
        rng = np.random.default_rng(seed)
        texts = [make_poem(rng, p.language, p.lines, p.noise) for _ in range(p.rows)]
        df = pl.DataFrame({"id": [f"p{i:06d}" for i in range(p.rows)], "text": texts})
        return Dataset(split_frame(df, p.split, seed), meta={"text": "text", "id": "id"})
