"""Text metric kinds: bleu, chrf (sacrebleu), rouge (Hangul-aware), loss (and perplexity)
and distinct_n.

This module never imports torch or transformers: Keras, retrieval and other plugins use
these kinds by name, and a metric must not drag a framework into their processes.

Every metric reads ``Predictions.outputs`` (hypotheses) and ``references``; sacrebleu's
signature of each score is put in ``predictions.extra["signature:<kind>"]`` so that the
trainer can store it with the run.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field, model_validator
from specrun import DataError, Params, Predictions, UserError


class BleuParams(Params):
    """Corpus BLEU with sacrebleu (0-100); its signature is stored with the run."""

    tokenize: str = Field("13a", description="sacrebleu tokenizer: 13a, intl, char, none, ...")
    lowercase: bool = False
    smooth_method: Literal["exp", "floor", "add-k", "none"] = "exp"


class ChrfParams(Params):
    """Character n-gram F-score with sacrebleu (0-100); word_order: 2 gives chrF++."""

    word_order: int = Field(0, ge=0, le=2)
    lowercase: bool = False


class RougeParams(Params):
    """ROUGE-1/2/L F1 (0-1) with a tokenizer that keeps Hangul (rouge-score's default drops it)."""

    types: list[Literal["rouge1", "rouge2", "rougeL", "rougeLsum"]] = Field(
        default_factory=lambda: ["rouge1", "rouge2", "rougeL"]
    )
    tokenize: Literal["word", "char"] = Field(
        "word",
        description="word: letters/digits runs (Hangul kept); char: one token per Hangul syllable",
    )
    use_stemmer: bool = Field(False, description="Porter-stem Latin words (English)")


class LossParams(Params):
    """The trainer's teacher-forced eval loss and its perplexity."""


class DistinctNParams(Params):
    """distinct-n: unique / all n-grams of the generated texts (higher: less repetition)."""

    n: list[int] = Field(default_factory=lambda: [1, 2], min_length=1)
    unit: Literal["word", "char"] = "word"

    @model_validator(mode="after")
    def _positive(self) -> DistinctNParams:
        if any(k < 1 for k in self.n):
            raise ValueError("n must be >= 1")
        return self


def _texts(preds: Predictions, metric: str) -> tuple[list[str], list[str]]:
    preds.need("outputs", "references", metric=metric)
    hyps = ["" if h is None else str(h) for h in preds.outputs or []]
    refs = ["" if r is None else str(r) for r in preds.references or []]
    if len(hyps) != len(refs):
        raise DataError(f"{metric}: {len(hyps)} outputs for {len(refs)} references")
    if not refs:
        raise DataError(f"{metric}: the {preds.split} split has no examples to score")
    return hyps, refs


class Bleu:
    def __init__(self, params: BleuParams):
        from sacrebleu.metrics import BLEU

        try:
            self.metric = BLEU(
                tokenize=params.tokenize,
                lowercase=params.lowercase,
                smooth_method=params.smooth_method,
            )
        except (AssertionError, KeyError, ValueError) as exc:
            raise UserError(f"metrics bleu: {exc}") from None

    def compute(self, preds: Predictions) -> dict[str, float]:
        hyps, refs = _texts(preds, "bleu")
        score = self.metric.corpus_score(hyps, [refs])
        preds.extra["signature:bleu"] = str(self.metric.get_signature())
        return {"bleu": float(score.score)}


class Chrf:
    def __init__(self, params: ChrfParams):
        from sacrebleu.metrics import CHRF

        self.metric = CHRF(word_order=params.word_order, lowercase=params.lowercase)

    def compute(self, preds: Predictions) -> dict[str, float]:
        hyps, refs = _texts(preds, "chrf")
        score = self.metric.corpus_score(hyps, [refs])
        preds.extra["signature:chrf"] = str(self.metric.get_signature())
        return {"chrf": float(score.score)}


# Runs of letters or digits in any script; `_` is a word character for \w, so it is excluded.
_WORD = re.compile(r"[^\W_]+")
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")


class HangulAwareTokenizer:
    """The ``tokenize(text) -> list[str]`` object rouge-score accepts.

    rouge-score's default tokenizer lowercases and then replaces everything outside
    ``[a-z0-9]`` with spaces, so a Korean summary scores 0 against any reference. This one
    keeps letters of every script; ``char`` mode splits Hangul words into syllables, which
    is fairer to Korean, whose words carry particles (사과를 vs 사과가).
    """

    def __init__(self, mode: str = "word", use_stemmer: bool = False):
        self.mode = mode
        self.stemmer = None
        if use_stemmer:
            from nltk.stem import porter

            self.stemmer = porter.PorterStemmer()

    def tokenize(self, text: str) -> list[str]:
        tokens = _WORD.findall(text.lower())
        if self.mode == "char":
            tokens = [piece for tok in tokens for piece in self._split_hangul(tok)]
        if self.stemmer is not None:
            tokens = [self.stemmer.stem(t) if t.isascii() and len(t) > 3 else t for t in tokens]
        return tokens

    @staticmethod
    def _split_hangul(token: str) -> list[str]:
        if not _HANGUL_SYLLABLE.search(token):
            return [token]
        return [ch for ch in token]


class Rouge:
    def __init__(self, params: RougeParams):
        from rouge_score import rouge_scorer

        self.types = list(dict.fromkeys(params.types))
        self.scorer = rouge_scorer.RougeScorer(
            self.types, tokenizer=HangulAwareTokenizer(params.tokenize, params.use_stemmer)
        )

    def compute(self, preds: Predictions) -> dict[str, float]:
        hyps, refs = _texts(preds, "rouge")
        totals = dict.fromkeys(self.types, 0.0)
        for hyp, ref in zip(hyps, refs, strict=True):
            scores = self.scorer.score(ref, hyp)  # rouge-score takes (target, prediction)
            for t in self.types:
                totals[t] += scores[t].fmeasure
        return {t: v / len(refs) for t, v in totals.items()}


class Loss:
    def __init__(self, params: LossParams):
        self.params = params

    def compute(self, preds: Predictions) -> dict[str, float]:
        loss = preds.extra.get("loss")
        if loss is None:
            raise UserError(
                "metric 'loss' needs the eval loss in predictions.extra['loss'], "
                "but the trainer gave none"
            )
        loss = float(loss)
        return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: list[str], n: int, unit: str = "word") -> float:
    """The share of distinct n-grams among all n-grams of ``texts`` (Li et al., 2016),
    corpus level: less repetition, higher distinct-n."""
    total, seen = 0, set()
    for t in texts:
        tokens = str(t).split() if unit == "word" else [c for c in str(t) if not c.isspace()]
        grams = ngrams(tokens, n)
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


class DistinctN:
    def __init__(self, params: DistinctNParams):
        self.p = params

    def compute(self, preds: Predictions) -> dict[str, float]:
        preds.need("outputs", metric="distinct_n")
        texts = [str(o) for o in preds.outputs or []]
        suffix = "" if self.p.unit == "word" else "_char"
        return {f"distinct_{n}{suffix}": distinct_n(texts, n, self.p.unit) for n in self.p.n}


def signatures(extra: dict[str, Any]) -> dict[str, str]:
    """The sacrebleu signatures metrics left in ``Predictions.extra``, by metric kind."""
    return {k.split(":", 1)[1]: str(v) for k, v in extra.items() if k.startswith("signature:")}
