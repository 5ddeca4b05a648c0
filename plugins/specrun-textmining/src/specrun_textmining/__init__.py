"""specrun-textmining: Korean text mining for specrun.

KoNLPy tokenizing (``konlpy_tokenize`` augment step), gensim LDA topics (``lda``), TF-IDF +
logistic-regression sentiment (``tfidf_logreg``) and offline Korean data (``konlpy_corpus``,
``korean_reviews``). Importing this package is light; frameworks load when a run starts.
"""

__version__ = "0.1.0"
