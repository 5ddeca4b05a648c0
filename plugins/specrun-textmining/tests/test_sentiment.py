"""specs/sentiment_logreg.yaml end to end on the shipped reviews: accuracy well above
chance, each period scored on its own, the drop in sentiment after the event visible in
the store, the most positive/negative terms stored, the model loadable again."""

from __future__ import annotations

import json

import pytest
import specrun
from textmining_helpers import SPECS, metrics_of

SPEC = str(SPECS / "sentiment_logreg.yaml")


@pytest.fixture(scope="module")
def sentiment_run(tmp_path_factory):
    store_path = str(tmp_path_factory.mktemp("sentiment") / "s.duckdb")
    result = specrun.run(SPEC, store=store_path, local=True)
    assert result.status == "finished", result.error
    return result, specrun.open_store(store_path), store_path


def test_accuracy_and_f1_well_above_chance(sentiment_run):
    result, store, _ = sentiment_run
    m = metrics_of(store, result.run_id)
    majority = max(m["eval/positive_share_true"], 1 - m["eval/positive_share_true"])  # ~0.6
    assert m["eval/accuracy"] > max(0.8, majority + 0.15)  # 0.91 measured
    assert m["eval/macro_f1"] > 0.8
    assert m["train/accuracy"] >= m["eval/accuracy"] - 0.02 and m["train/features"] > 100


def test_groups_scored_separately_and_compared(sentiment_run):
    result, store, _ = sentiment_run
    m = metrics_of(store, result.run_id)
    before = {k.split("/", 1)[1]: v for k, v in m.items() if k.startswith("eval@before/")}
    after = {k.split("/", 1)[1]: v for k, v in m.items() if k.startswith("eval@after/")}
    for group in (before, after):
        assert {"accuracy", "macro_f1", "positive_share_pred", "positive_share_true", "n"} <= set(
            group
        )
        assert group["accuracy"] > 0.75
    assert before["n"] + after["n"] == m["eval/n"]
    # The fee rise and the app redesign: the model reads the drop in sentiment.
    assert before["positive_share_pred"] - after["positive_share_pred"] > 0.15
    assert m["eval/positive_share_pred_change"] == pytest.approx(
        after["positive_share_pred"] - before["positive_share_pred"]
    )
    assert m["eval/positive_share_true_change"] < -0.15
    table = json.loads(
        store.artifact_path(result.run_id, "groups_eval.json").read_text(encoding="utf-8")
    )
    assert [row["group"] for row in table] == ["before", "after"]
    rows = store.query(
        "SELECT split, value FROM metrics WHERE run_id = ? AND name = 'accuracy' "
        "AND split LIKE 'eval@%' ORDER BY split",
        [result.run_id],
    )
    assert rows["split"].to_list() == ["eval@after", "eval@before"]


def test_most_positive_and_negative_terms_stored(sentiment_run):
    result, store, _ = sentiment_run
    terms = store.samples(result.run_id).filter(split="terms")
    positive = terms.filter(output="positive")["input"].to_list()
    negative = terms.filter(output="negative")["input"].to_list()
    assert len(positive) == len(negative) == 20
    assert {"좋", "최고"} & set(positive) and {"아깝", "실망", "엉망"} & set(negative)
    weights = [json.loads(e)["weight"] for e in terms.filter(output="positive")["extra"]]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    # A negation is caught by a token bigram: "맛있지 않아요" is among the negative terms.
    assert "맛있 않" in negative


def test_store_holds_the_run(sentiment_run):
    result, store, store_path = sentiment_run
    names = set(store.artifacts(result.run_id)["name"].to_list())
    assert {
        "model/tfidf_logreg.joblib",
        "terms.tsv",
        "groups_eval.json",
        "tokenize/vocabulary.tsv",
    } <= names
    tokens = store.samples(result.run_id).filter(split="tokens")
    assert tokens.height == 5 and all(t for t in tokens["output"])
    model = specrun.load_model(result.run_id, store=store_path)
    assert list(model.predict([["맛있", "최고", "친절"], ["너무", "늦", "식", "실망"]])) == [
        "positive",
        "negative",
    ]


def test_group_column_and_positive_label_errors(tmp_path):
    store = str(tmp_path / "s.duckdb")
    missing = specrun.run(SPEC, overrides=["model.group_by=store_name"], store=store, local=True)
    assert missing.status == "failed" and missing.user_error
    assert "model.group_by: column 'store_name' is not in the data" in missing.error
    wrong = specrun.run(SPEC, overrides=["model.positive=good"], store=store, local=True)
    assert "model.positive: 'good' is not a label (labels: negative, positive)" in wrong.error
