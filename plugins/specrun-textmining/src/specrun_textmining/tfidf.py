"""TF-IDF over token lists (scikit-learn), shared by the LDA and sentiment models.

The documents are already tokenized by KoNLPy, so the vectorizer gets a callable analyzer
that passes tokens through (plus token n-grams): scikit-learn's own tokenizer would split
Korean on whitespace and undo the morphological analysis. The analyzer is a module-level
class so that a fitted vectorizer pickles.
"""

from __future__ import annotations

from typing import Any


class TokenNgrams:
    """Tokens and their 2..n-grams (joined with a space) of one pre-tokenized document."""

    def __init__(self, n: int = 1):
        self.n = n

    def __call__(self, doc: list[str]) -> list[str]:
        out = list(doc)
        for size in range(2, self.n + 1):
            out.extend(" ".join(doc[i : i + size]) for i in range(len(doc) - size + 1))
        return out


def tfidf_vectorizer(
    ngram_max: int = 1,
    min_df: int = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
    sublinear_tf: bool = False,
) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=TokenNgrams(ngram_max),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=sublinear_tf,
        lowercase=False,
    )


def top_terms(matrix: Any, vocabulary: list[str], k: int) -> list[tuple[str, float]]:
    """The ``k`` terms of highest mean TF-IDF weight over the documents (ties: by term)."""
    import numpy as np

    means = np.asarray(matrix.mean(axis=0)).ravel()
    order = sorted(range(len(vocabulary)), key=lambda i: (-means[i], vocabulary[i]))
    return [(vocabulary[i], float(means[i])) for i in order[:k] if means[i] > 0]


def write_terms_tsv(path: Any, rows: list[tuple[str, float]], header: str = "term\tweight") -> None:
    path.write_text(header + "\n" + "".join(f"{t}\t{w:.6f}\n" for t, w in rows), encoding="utf-8")
