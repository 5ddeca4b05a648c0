"""``distinct_n``: the share of distinct n-grams among all n-grams of the generated texts
(Li et al., 2016), corpus level. Less repetition, higher distinct-n."""

from __future__ import annotations

from typing import Any


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: list[str], n: int, unit: str = "word") -> float:
    total, seen = 0, set()
    for t in texts:
        tokens = str(t).split() if unit == "word" else [c for c in str(t) if not c.isspace()]
        grams = ngrams(tokens, n)
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


class DistinctN:
    def __init__(self, params: Any):
        self.p = params

    def compute(self, preds: Any) -> dict[str, float]:
        preds.need("outputs", metric="distinct_n")
        texts = [str(o) for o in preds.outputs or []]
        suffix = "" if self.p.unit == "word" else "_char"
        return {f"distinct_{n}{suffix}": distinct_n(texts, n, self.p.unit) for n in self.p.n}
