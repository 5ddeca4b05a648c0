"""Registration module named by the ``textmining`` entry point.

Imports pydantic and specrun only: every factory is a "module:attr" string, so konlpy (and
its JVM), gensim, scikit-learn and wordcloud load when a run starts, never at
``specrun validate``/``--help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel
from specrun import Component, hookimpl

from .params import (
    KonlpyCorpusParams,
    KoreanReviewsParams,
    LdaParams,
    TfidfLogregParams,
    TokenizeParams,
)

PKG = "specrun_textmining"

COMPONENTS: list[tuple[str, str, type[BaseModel], str]] = [
    ("data", "konlpy_corpus", KonlpyCorpusParams, "corpora:KonlpyCorpus"),
    ("data", "korean_reviews", KoreanReviewsParams, "corpora:KoreanReviews"),
    ("augment", "konlpy_tokenize", TokenizeParams, "preprocess:KonlpyTokenize"),
    ("model", "lda", LdaParams, "lda:LdaTopics"),
    ("model", "tfidf_logreg", TfidfLogregParams, "sentiment:TfidfLogreg"),
]


@hookimpl
def register_components(register: Any) -> None:
    for section, kind, params, factory in COMPONENTS:
        register(Component(section, kind, params, f"{PKG}.{factory}"))


@hookimpl
def load_model(artifact_dir: Any, kind: str | None) -> Any:
    """A tfidf_logreg run's fitted pipeline, or an lda run's {"lda", "dictionary"}."""
    if kind == "tfidf_logreg":
        from .sentiment import load_pipeline

        return load_pipeline(Path(artifact_dir))
    if kind == "lda":
        from .lda import load_lda

        return load_lda(Path(artifact_dir))
    return None
