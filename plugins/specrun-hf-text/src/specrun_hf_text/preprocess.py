"""Preprocessing kinds for noisy Korean text: unicode normalisation, regex removal and
Hanja -> Hangul. They transform every split alike (a model must see at inference what it
saw in training) and log the unknown-token rate before and after."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from specrun import Dataset

from specrun_textkit.korean import unknown_char_rate

from .augment_base import CachedAugment


class TextPreprocess(CachedAugment):
    uses_seed = False

    def target_splits(self, dataset: Dataset) -> list[str]:
        return list(self.p.splits)

    def required_columns(self) -> list[str]:
        return [self.p.text]

    def fingerprints(self, ctx: Any) -> list[str]:
        from .augment_cache import path_fingerprint

        return [path_fingerprint(self.p.unk_tokenizer)]

    def clean(self) -> Callable[[str], str]:
        raise NotImplementedError

    def unk_rate(self, texts: list[str]) -> float:
        if self.p.unk_tokenizer is None:
            return unknown_char_rate(texts)
        tokenizer = getattr(self, "_tokenizer", None)
        if tokenizer is None:
            from transformers import AutoTokenizer

            from .hf_env import load_pretrained

            tokenizer = load_pretrained(AutoTokenizer, str(self.p.unk_tokenizer), "unk_tokenizer")
            self._tokenizer = tokenizer
        from .tokenizer_training import unk_rate

        return unk_rate(tokenizer, texts)

    def transform(
        self, ctx: Any, frames: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        import polars as pl

        fn = self.clean()
        col = self.p.text
        before: list[str] = []
        after: list[str] = []
        out: dict[str, Any] = {}
        changed = dropped = 0
        for split, frame in frames.items():
            old = [str(t) if t is not None else "" for t in frame[col].to_list()]
            new = [fn(t) for t in old]
            before += old
            after += new
            changed += sum(a != b for a, b in zip(old, new, strict=True))
            frame = frame.with_columns(pl.Series(col, new, dtype=pl.Utf8))
            if getattr(self.p, "drop_empty", False):
                keep = frame[col].str.strip_chars().str.len_chars() > 0
                dropped += int((~keep).sum())
                frame = frame.filter(keep)
            out[split] = frame
        stats = {
            "unk_rate_before": self.unk_rate(before),
            "unk_rate_after": self.unk_rate(after),
            "rows_changed": float(changed),
            "rows_dropped": float(dropped),
        }
        return out, stats


class UnicodeNormalize(TextPreprocess):
    kind = "unicode_normalize"

    def clean(self) -> Callable[[str], str]:
        form = self.p.form
        return lambda t: unicodedata.normalize(form, t)


_SPACES = re.compile(r"\s+")


class RegexClean(TextPreprocess):
    kind = "regex_clean"

    def clean(self) -> Callable[[str], str]:
        patterns = [re.compile(p) for p in self.p.patterns]
        replacement, collapse = self.p.replacement, self.p.collapse_whitespace

        def fn(text: str) -> str:
            for pat in patterns:
                text = pat.sub(replacement, text)
            return _SPACES.sub(" ", text).strip() if collapse else text

        return fn


class HanjaToHangul(TextPreprocess):
    kind = "hanja_to_hangul"

    def clean(self) -> Callable[[str], str]:
        import hanja

        # hanja.translate walks every character; texts without Hanja skip it.
        def fn(text: str) -> str:
            if not any(hanja.is_hanja(ch) for ch in text):
                return text
            return hanja.translate(text, "substitution")

        return fn
