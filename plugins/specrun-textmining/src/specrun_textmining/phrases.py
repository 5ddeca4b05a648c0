"""Bigram and trigram phrases (gensim Phrases), learned on the train split only so that
eval/test documents are joined with what training saw, never with what they contain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Doc = list[str]


def learn_phrases(docs: list[Doc], p: Any) -> tuple[Callable[[Doc], Doc], list[tuple[str, float]]]:
    """Fit the phrase models; return (doc -> doc with phrases joined, learned phrases by score)."""
    from gensim.models.phrases import Phrases

    # No connector words: gensim's default list is English ("of", "the"...).
    common = dict(
        min_count=p.min_count, scoring=p.scoring, delimiter=p.delimiter, connector_words=frozenset()
    )
    bigram = Phrases(docs, threshold=p.bigram_threshold, **common).freeze()
    learned = dict(bigram.phrasegrams)
    trigram = None
    if p.trigram_threshold is not None:
        trigram = Phrases(
            [bigram[d] for d in docs], threshold=p.trigram_threshold, **common
        ).freeze()
        learned.update(trigram.phrasegrams)

    def apply(doc: Doc) -> Doc:
        out = bigram[doc]
        return trigram[out] if trigram is not None else out

    ranked = sorted(
        ((str(k), float(v)) for k, v in learned.items()), key=lambda kv: (-kv[1], kv[0])
    )
    return apply, ranked
