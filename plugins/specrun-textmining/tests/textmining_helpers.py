"""Paths, fast overrides and store readers shared by the textmining tests."""

from __future__ import annotations

from pathlib import Path

from specrun.testing import write_spec

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
REPO = PLUGIN_ROOT.parents[1]
SPECS = REPO / "specs"
RESOURCES = PLUGIN_ROOT / "src" / "specrun_textmining" / "resources"
USER_DICT = RESOURCES / "kobill_userdict.txt"
STOPWORDS = RESOURCES / "ko_stopwords.txt"

# specs/topics_lda.yaml as one quick run: no sweep, a short LDA, no pictures.
TOPICS_FAST = [
    "sweep=null",
    "model.passes=4",
    "model.iterations=50",
    "model.wordcloud=false",
    "model.ldavis=false",
    "model.save_model=false",
]


def tokenize_spec(directory: Path, tokenize_block: str, data_block: str | None = None) -> Path:
    """A small sentiment spec whose konlpy_tokenize block is ``tokenize_block`` (YAML, indented
    under the list item), for validation tests."""
    data = data_block or "data:\n  kind: korean_reviews\n"
    body = (
        f"name: t\nseed: 1\n{data}augment:\n  - kind: konlpy_tokenize\n{tokenize_block}"
        "model:\n  kind: tfidf_logreg\nmetrics:\n  - kind: accuracy\n"
    )
    return write_spec(directory, body)


def metrics_of(store, run_id: str) -> dict[str, float]:
    frame = store.final_metrics(run_id)
    return {
        f"{s}/{n}": v for s, n, v in zip(frame["split"], frame["name"], frame["value"], strict=True)
    }


def read_vocabulary(store, run_id: str) -> dict[str, int]:
    path = store.artifact_path(run_id, "tokenize/vocabulary.tsv")
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return {token: int(count) for token, count, _ in (r.split("\t") for r in rows)}
