"""specrun-textmining: Korean text mining for specrun.

KoNLPy tokenizing (``konlpy_tokenize`` augment step), gensim LDA topics (``lda``), TF-IDF +
logistic-regression sentiment (``tfidf_logreg``) and offline Korean data (``konlpy_corpus``,
``korean_reviews``). Importing this package is light; frameworks load when a run starts.
"""


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's, whose one source is its pyproject.toml
    (read on first use: looking it up costs a scan of sys.path)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("specrun-textmining")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
