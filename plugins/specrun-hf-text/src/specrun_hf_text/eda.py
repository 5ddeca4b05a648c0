"""``eda``: Easy Data Augmentation (Wei & Zou, 2019) on whitespace words: synonym
replacement (sr), random insertion (ri), random swap (rs), random deletion (rd).

Each original row yields ``copies`` augmented rows, the ops taking turns; labels and
other columns are copied, ids get a ``#eda<n>`` suffix so they stay unique."""

from __future__ import annotations

import random
from typing import Any

from .augment_base import CachedAugment
from .augment_cache import path_fingerprint
from .synonyms import SynonymFinder, build_synonym_finder


def synonym_replacement(
    words: list[str], n: int, finder: SynonymFinder, rng: random.Random
) -> list[str]:
    out = list(words)
    order = list(range(len(words)))
    rng.shuffle(order)
    done = 0
    for i in order:
        syns = finder.candidates(out, i)
        if syns:
            out[i] = rng.choice(syns)
            done += 1
            if done >= n:
                break
    return out


def random_insertion(
    words: list[str], n: int, finder: SynonymFinder, rng: random.Random
) -> list[str]:
    out = list(words)
    for _ in range(n):
        # A few tries per insertion: many words have no synonym.
        for _ in range(10):
            i = rng.randrange(len(out))
            syns = finder.candidates(out, i)
            if syns:
                out.insert(rng.randrange(len(out) + 1), rng.choice(syns))
                break
    return out


def random_swap(words: list[str], n: int, rng: random.Random) -> list[str]:
    out = list(words)
    if len(out) < 2:
        return out
    for _ in range(n):
        i, j = rng.sample(range(len(out)), 2)
        out[i], out[j] = out[j], out[i]
    return out


def random_deletion(words: list[str], p: float, rng: random.Random) -> list[str]:
    if len(words) < 2:
        return list(words)
    kept = [w for w in words if rng.random() > p]
    if not kept or len(kept) == len(words):  # always change, never empty
        drop = rng.randrange(len(words))
        kept = [w for k, w in enumerate(words) if k != drop]
    return kept


def augment_text(
    text: str, op: str, alpha: float, finder: SynonymFinder | None, rng: random.Random
) -> str:
    words = text.split()
    if not words:
        return text
    n = max(1, int(alpha * len(words)))
    if op == "sr" and finder is not None:
        new = synonym_replacement(words, n, finder, rng)
    elif op == "ri" and finder is not None:
        new = random_insertion(words, n, finder, rng)
    elif op == "rs":
        new = random_swap(words, n, rng)
    else:
        new = random_deletion(words, alpha, rng)
    return " ".join(new)


def augment_texts(
    texts: list[str],
    ops: list[str],
    alpha: float,
    copies: int,
    finder: SynonymFinder | None,
    rng: random.Random,
) -> list[list[str]]:
    """``copies`` variants per text. When an op cannot change a text (no synonyms) the
    next op is tried, so a copy differs from its original whenever any op can do that."""
    out = []
    for t in texts:
        variants = []
        for j in range(copies):
            new = t
            for k in range(len(ops)):
                new = augment_text(t, ops[(j + k) % len(ops)], alpha, finder, rng)
                if new != t:
                    break
            variants.append(new)
        out.append(variants)
    return out


class CountingFinder:
    """Counts how often a synonym was asked for and found: the source's coverage."""

    def __init__(self, inner: SynonymFinder):
        self.inner, self.lookups, self.hits = inner, 0, 0

    def candidates(self, words: list[str], i: int) -> list[str]:
        found = self.inner.candidates(words, i)
        self.lookups += 1
        self.hits += bool(found)
        return found


class Eda(CachedAugment):
    kind = "eda"

    def fingerprints(self, ctx: Any) -> list[str]:
        syn = self.p.synonyms
        return [path_fingerprint(syn.path), path_fingerprint(syn.checkpoint)]

    def transform(
        self, ctx: Any, frames: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        import polars as pl

        train = frames["train"]
        texts = [str(t) if t is not None else "" for t in train[self.p.text].to_list()]
        needs_synonyms = bool({"sr", "ri"} & set(self.p.ops))
        finder = None
        if needs_synonyms:
            finder = CountingFinder(build_synonym_finder(self.p.synonyms, texts, ctx))
        rng = random.Random(ctx.seed)
        with ctx.progress(None, "eda"):
            variants = augment_texts(
                texts, list(self.p.ops), self.p.alpha, self.p.copies, finder, rng
            )
        parts = [train] if self.p.keep_original else []
        for j in range(self.p.copies):
            copy = train.with_columns(
                pl.Series(self.p.text, [v[j] for v in variants], dtype=pl.Utf8)
            )
            if "id" in copy.columns and copy.schema["id"] == pl.Utf8:
                copy = copy.with_columns(pl.col("id") + f"#eda{j + 1}")
            parts.append(copy)
        out = pl.concat(parts)
        changed = sum(v != t for t, vs in zip(texts, variants, strict=True) for v in vs)
        stats = {"copies_changed_share": changed / max(1, len(texts) * self.p.copies)}
        if finder is not None:
            stats["synonym_hit_rate"] = finder.hits / max(1, finder.lookups)
        return {"train": out}, stats
