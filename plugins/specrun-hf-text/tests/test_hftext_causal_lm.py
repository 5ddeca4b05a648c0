"""The causal LM: perplexity before and after, generations that end, stored as samples;
decoding methods; distinct-n; a checkpoint without PAD gets one and its embeddings grow."""

from __future__ import annotations

import json

import polars as pl
import pytest
import specrun
from hftext_testkit import POETRY_FAST, SPECS, isolated_env, metric, write_spec

from specrun_hf_text.params_models import DecodingParams
from specrun_textmetrics.metrics import distinct_n

SPEC = str(SPECS / "poetry_gpt2.yaml")


@pytest.fixture(scope="module")
def poetry_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("poetry")
    store = str(root / "s.duckdb")
    with isolated_env(root):
        result = specrun.run(SPEC, overrides=POETRY_FAST, store=store, local=True)
    assert result.status == "finished", result.error
    return store, result.run_id


def test_perplexity_drops_and_generations_are_stored(poetry_run):
    store, run_id = poetry_run
    st = specrun.open_store(store)
    before = metric(st, run_id, "perplexity_before", "eval")
    after = metric(st, run_id, "perplexity_after", "eval")
    assert after < before / 3, (before, after)
    assert metric(st, run_id, "perplexity", "eval", first=True) == before
    assert (
        0
        < metric(st, run_id, "distinct_1", "eval")
        <= metric(st, run_id, "distinct_2", "eval")
        <= 1
    )
    assert metric(st, run_id, "eos_rate", "eval") > 0.5  # trained with EOS: generations end
    samples = st.samples(run_id).filter(pl.col("split") == "eval")
    assert samples.height == 8
    extra = [json.loads(e) for e in samples["extra"].to_list()]
    assert {e["method"] for e in extra} == {"top_p"}
    assert sum(bool(o) for o in samples["output"].to_list()) >= 6
    # The crawl debris was cleaned before training: no tags or URLs in the prompts.
    assert not any("<" in i or "http" in i for i in samples["input"].to_list())


def test_every_decoding_method_generates(poetry_run):
    from specrun_hf_text.generation import generate

    store, run_id = poetry_run
    loaded = specrun.load_model(run_id, store=store)
    assert loaded.kind == "hf_causal_lm"
    import torch

    prompts = ["the quiet", "달은", "바람이", "in spring"]
    outputs = {}
    for method in ("greedy", "beam", "top_k", "top_p", "temperature"):
        d = DecodingParams(method=method, max_new_tokens=16, num_beams=3)
        outputs[method] = [
            r[0]
            for r in generate(
                torch,
                loaded.model,
                loaded.tokenizer,
                prompts,
                d,
                "cpu",
                seed=0,
                batch_size=4,
                max_positions=96,
            )
        ]
        assert len(outputs[method]) == 4 and any(outputs[method]), method
    again = generate(
        torch,
        loaded.model,
        loaded.tokenizer,
        prompts,
        DecodingParams(method="greedy", max_new_tokens=16),
        "cpu",
        1,
        4,
        96,
    )
    assert [r[0] for r in again] == outputs["greedy"]  # greedy ignores the seed
    penalised = generate(
        torch,
        loaded.model,
        loaded.tokenizer,
        prompts,
        DecodingParams(method="greedy", max_new_tokens=16, repetition_penalty=3.0),
        "cpu",
        0,
        4,
        96,
    )
    assert [r[0] for r in penalised] != outputs["greedy"]


def test_distinct_n():
    assert distinct_n(["a a a a"], 1) == 0.25
    assert distinct_n(["a b", "a b"], 2) == 0.5
    assert distinct_n(["ab ab"], 2, unit="char") == 2 / 3
    assert distinct_n([""], 2) == 0.0


def test_checkpoint_gets_pad_and_resized_embeddings(tmp_path):
    import numpy as np
    from hftext_tiny_models import save_tiny_gpt2

    from specrun_hf_text.data_poems import make_poem

    rng = np.random.default_rng(0)
    ckpt = save_tiny_gpt2(tmp_path / "gpt2", [make_poem(rng, "mixed", 2, 0) for _ in range(200)])
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(
        SPEC,
        overrides=[
            *POETRY_FAST,
            "trainer.epochs=1",
            "model.config=null",
            "model.tokenizer=null",
            f"model.checkpoint={ckpt}",
        ],
        store=store,
        local=True,
    )
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    # GPT-2 style: <|endoftext|> stays BOS and EOS; PAD, which it lacks, is added.
    assert metric(st, result.run_id, "special_tokens_added", "train") == 1
    base = json.loads((ckpt / "config.json").read_text())["vocab_size"]
    tuned = json.loads(st.artifact_path(result.run_id, "model/config.json").read_text())
    assert tuned["vocab_size"] == base + 1 and tuned["pad_token_id"] == base
    assert metric(st, result.run_id, "perplexity_after", "eval") < metric(
        st, result.run_id, "perplexity_before", "eval"
    )


def test_missing_text_column(tmp_path):
    (tmp_path / "poems.csv").write_text("body\n" + "달이 뜬다\n" * 20, encoding="utf-8")
    spec = write_spec(
        tmp_path,
        """
name: no-text
data: {kind: table, path: poems.csv}
model: {kind: hf_causal_lm, config: {model_type: gpt2, n_embd: 16, n_layer: 1, n_head: 2}}
trainer: {kind: hf_causal_lm_trainer, epochs: 1}
""",
    )
    # validate reads the table's header: the run never starts, nothing goes into the store
    missing = r"spec.yaml:4:1: model.text: column 'text' is not in .*poems.csv"
    with pytest.raises(specrun.SpecError, match=missing):
        specrun.run(spec, store=str(tmp_path / "s.duckdb"), local=True)
    assert not (tmp_path / "s.duckdb").exists()
