"""specs/topics_lda.yaml end to end on konlpy's kolaw/kobill: real topics, coherence and
perplexity in the store, the word cloud and pyLDAvis page as artifacts, the user
dictionary and stopwords visible in the vocabulary, and reruns that agree to the digit."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import specrun
from PIL import Image
from textmining_helpers import SPECS, TOPICS_FAST, metrics_of, read_vocabulary

from specrun_textkit.fonts import has_hangul

HANGUL = re.compile(r"[가-힣]")
SPEC = str(SPECS / "topics_lda.yaml")


@pytest.fixture(scope="module")
def topics_run(tmp_path_factory):
    """The spec as it ships (one run, no sweep)."""
    store_path = str(tmp_path_factory.mktemp("topics") / "s.duckdb")
    result = specrun.run(SPEC, overrides=["sweep=null"], store=store_path, local=True)
    assert result.status == "finished", result.error
    return result, specrun.open_store(store_path)


@pytest.fixture(scope="module")
def fast_runs(tmp_path_factory):
    """Quick runs: the same seed twice, another seed, and no user dictionary/stopwords."""
    store_path = str(tmp_path_factory.mktemp("fast") / "s.duckdb")
    variants = {
        "a": [],
        "b": [],
        "seed43": ["seed=43"],
        "bare": ["augment[0].user_dict=null", "augment[0].stopwords=null"],
    }
    results = {}
    for key, extra in variants.items():
        result = specrun.run(SPEC, overrides=TOPICS_FAST + extra, store=store_path, local=True)
        assert result.status == "finished", result.error
        results[key] = result
    return results, specrun.open_store(store_path)


def topic_words(store, run_id: str) -> list[str]:
    return store.samples(run_id).filter(split="topics")["output"].to_list()


def test_topics_coherence_and_perplexity_are_stored(topics_run):
    result, store = topics_run
    m = metrics_of(store, result.run_id)
    assert 0.35 < m["train/coherence_c_v"] < 0.9  # 0.57 measured; random topics score ~0.3
    assert -25 < m["train/coherence_u_mass"] < 0
    assert 1 < m["train/perplexity"] < 5000 and math.isfinite(m["eval/perplexity"])
    # Held-out perplexity is of the same order as training (gensim's bound scaled right).
    assert m["train/perplexity"] < m["eval/perplexity"] < 5 * m["train/perplexity"]
    assert m["train/tokenize_empty_docs"] == 0 and m["train/tokenize_phrases"] > 20
    assert m["train/tokenize_docs"] > 80
    params = store.params(result.run_id)
    values = dict(zip(params["path"], params["value_json"], strict=True))
    assert values["model.num_topics"] == "8" and values["augment[0].tagger"] == '"komoran"'


def test_saved_model_loads_back(topics_run):
    result, store = topics_run
    loaded = specrun.load_model(result.run_id, store=str(store.path))
    assert loaded["lda"].num_topics == 8
    bow = loaded["dictionary"].doc2bow(["육아휴직", "대체_인력", "예산"])
    assert len(bow) >= 2 and loaded["lda"].get_document_topics(bow)


def test_topics_are_readable_and_real(topics_run):
    result, store = topics_run
    topics = topic_words(store, result.run_id)
    assert len(topics) == 8 and all(len(t.split()) == 10 and HANGUL.search(t) for t in topics)
    words = " ".join(topics)
    # Subjects of the bills and of the constitution come out as topics of their own.
    assert "육아휴직" in words and "대통령" in words and "파견" in words and "결혼중개업" in words
    stored = json.loads(
        store.artifact_path(result.run_id, "topics.json").read_text(encoding="utf-8")
    )
    assert [t["words"] for t in stored] == [t.split() for t in topics]
    assert all(set(t["coherence"]) == {"c_v", "u_mass"} for t in stored)
    tfidf = store.samples(result.run_id).filter(split="tfidf")["output"].to_list()
    assert len(tfidf) == 30 and "국회" in tfidf


def test_user_dictionary_and_stopwords_shape_the_vocabulary(topics_run, fast_runs):
    result, store = topics_run
    vocab = read_vocabulary(store, result.run_id)
    assert (
        "지방공무원법" in vocab and "공무원법" not in vocab
    )  # the dictionary keeps the name whole
    assert "국군부대_파견" in vocab or "국군부대" in vocab
    stopwords = ["경우", "사항", "법률", "개정", "일부개정법률안", "부칙"]
    assert not [w for w in stopwords if w in vocab]
    # The same text without dictionary and stopwords: the names split, the stopwords stay.
    runs, fast_store = fast_runs
    bare = read_vocabulary(fast_store, runs["bare"].run_id)
    assert "지방공무원법" not in bare and "공무원법" in bare
    assert [w for w in stopwords if w in bare] == ["경우", "사항", "법률", "개정", "부칙"]


def test_same_seed_same_topics_to_the_last_digit(fast_runs):
    runs, store = fast_runs
    a, b, other = (metrics_of(store, runs[k].run_id) for k in ("a", "b", "seed43"))
    for name in (
        "train/coherence_c_v",
        "train/coherence_u_mass",
        "train/perplexity",
        "eval/perplexity",
    ):
        assert a[name] == b[name], name
    assert topic_words(store, runs["a"].run_id) == topic_words(store, runs["b"].run_id)
    # ... and the seed matters: another seed gives other topics.
    assert other["train/coherence_c_v"] != a["train/coherence_c_v"]
    assert topic_words(store, runs["seed43"].run_id) != topic_words(store, runs["a"].run_id)


def test_wordcloud_png_is_drawn_with_a_hangul_font(topics_run):
    result, store = topics_run
    png = store.artifact_path(result.run_id, "wordcloud.png")
    image = Image.open(png).convert("RGB")
    assert image.size == (1200, 800)
    inked = (np.asarray(image) != 255).any(axis=2).mean()
    assert inked > 0.1  # words, not an empty canvas
    meta = json.loads(
        store.artifact_path(result.run_id, "wordcloud.json").read_text(encoding="utf-8")
    )
    assert has_hangul(meta["font"]) and "국회" in meta["words"]


def test_ldavis_page_works_offline(topics_run):
    result, store = topics_run
    page = store.artifact_path(result.run_id, "ldavis.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page) and "cdn." not in page  # nothing to fetch
    assert "function LDAvis" in page or "LDAvis = function" in page or "var LDAvis" in page
    data = json.loads(page.split('new LDAvis("#ldavis_topics", ', 1)[1].rsplit(");</script>", 1)[0])
    assert sorted(set(data["mdsDat"]["topics"])) == list(range(1, 9))
    assert "대통령" in data["tinfo"]["Term"] and "국회" in data["tinfo"]["Term"]


@pytest.mark.ray
def test_ray_worker_starts_the_jvm_and_reproduces_the_local_run(fast_runs, tmp_path):
    runs, store = fast_runs
    result = specrun.run(
        SPEC, overrides=TOPICS_FAST, store=str(tmp_path / "ray.duckdb"), local=False
    )
    assert result.status == "finished", result.error
    ray_store = specrun.open_store(str(tmp_path / "ray.duckdb"))
    assert ray_store.run(result.run_id)["mode"] == "ray"
    local, remote = metrics_of(store, runs["a"].run_id), metrics_of(ray_store, result.run_id)
    assert remote["train/coherence_c_v"] == local["train/coherence_c_v"]
    assert topic_words(ray_store, result.run_id) == topic_words(store, runs["a"].run_id)
    assert ray_store.artifacts(result.run_id).height >= 3  # artifacts came back as bytes
