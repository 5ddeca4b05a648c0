"""The ``konlpy_tokenize`` augment step: adds a column of token lists to every split.

It is an augment step (not part of a model) so that the same tokenizing block serves LDA
topics, TF-IDF sentiment and any later model that reads token lists, and so that what it
did is visible in the store: counts as metrics, examples as samples, the vocabulary and
the learned phrases as artifacts.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from specrun import DataError, Dataset

from .params import TokenizeParams
from .phrases import learn_phrases
from .tokenizer import KoreanTokenizer

ORDER = ("train", "eval", "test")


class KonlpyTokenize:
    def __init__(self, params: TokenizeParams):
        self.p = params

    def _texts(self, frame: Any, split: str) -> list[Any]:
        if not hasattr(frame, "columns") or self.p.text not in frame.columns:
            have = ", ".join(getattr(frame, "columns", [])) or "none"
            raise DataError(
                f"konlpy_tokenize.text: column {self.p.text!r} is not in the {split} split "
                f"(columns: {have})"
            )
        return frame[self.p.text].to_list()

    def apply(self, ctx: Any, dataset: Dataset) -> Dataset:
        import polars as pl

        tokenizer = KoreanTokenizer(self.p)
        names = [s for s in ORDER if s in dataset.splits] + [
            s for s in dataset.splits if s not in ORDER
        ]
        texts = {s: self._texts(dataset.splits[s], s) for s in names}
        total = sum(len(t) for t in texts.values())
        started = time.perf_counter()
        tokens: dict[str, list[list[str]]] = {}
        with ctx.progress(total, f"tokenizing with {self.p.tagger}") as bar:
            for split in names:
                tokens[split] = tokenizer.tokenize_all(texts[split], bar)
        seconds = time.perf_counter() - started
        train = tokens["train"]
        if not any(train):
            raise DataError(
                f"konlpy_tokenize: the corpus tokenizes to nothing: none of the {len(train)} "
                f"train texts keeps a token (tagger {self.p.tagger}, keep_pos {self.p.keep_pos}, "
                f"min_length {self.p.min_length}, {len(tokenizer.stopwords)} stopwords, "
                f"{len(self.p.regex)} regex rules); loosen keep_pos, the regex rules or the "
                f"stopwords"
            )
        learned: list[tuple[str, float]] = []
        if self.p.phrases is not None:
            join, learned = learn_phrases(train, self.p.phrases)
            tokens = {s: [join(d) for d in docs] for s, docs in tokens.items()}
        self._record(ctx, tokenizer, texts["train"], tokens["train"], learned, seconds, total)
        new = {
            s: dataset.splits[s].with_columns(
                pl.Series(self.p.output, tokens[s], dtype=pl.List(pl.Utf8))
            )
            for s in names
        }
        out = dataset.replace(**new)
        out.meta["tokens"] = self.p.output
        return out

    def _record(
        self,
        ctx: Any,
        tokenizer: KoreanTokenizer,
        texts: list[Any],
        docs: list[list[str]],
        learned: list[tuple[str, float]],
        seconds: float,
        total_docs: int,
    ) -> None:
        counts: Counter[str] = Counter()
        doc_freq: Counter[str] = Counter()
        for doc in docs:
            counts.update(doc)
            doc_freq.update(set(doc))
        n_tokens = sum(counts.values())
        ctx.log_metrics(
            {
                "tokenize_docs": len(docs),
                "tokenize_empty_docs": sum(1 for d in docs if not d),
                "tokenize_tokens": n_tokens,
                "tokenize_vocab": len(counts),
                "tokenize_tokens_per_doc": n_tokens / max(len(docs), 1),
                "tokenize_phrases": len(learned),
                "tokenize_docs_per_s": total_docs / max(seconds, 1e-9),
            },
            split="train",
        )
        k = min(self.p.samples, len(docs))
        ctx.log_samples(
            (
                {
                    "input": tokenizer.clean(str(texts[i] or ""))[:500],
                    "output": " ".join(docs[i]),
                    "tagger": self.p.tagger,
                }
                for i in range(k)
            ),
            split="tokens",
        )
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        vocab = ctx.work_dir / "vocabulary.tsv"
        vocab.write_text(
            "token\tcount\tdocs\n" + "".join(f"{t}\t{c}\t{doc_freq[t]}\n" for t, c in ranked),
            encoding="utf-8",
        )
        ctx.save_artifact(vocab, "tokenize/vocabulary.tsv", kind="table")
        if learned:
            path = ctx.work_dir / "phrases.tsv"
            path.write_text(
                "phrase\tscore\n" + "".join(f"{w}\t{s:.4f}\n" for w, s in learned), encoding="utf-8"
            )
            ctx.save_artifact(path, "tokenize/phrases.tsv", kind="table")
