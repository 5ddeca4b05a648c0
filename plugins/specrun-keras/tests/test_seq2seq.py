"""keras_seq2seq: tiny LSTM translators trained for seconds on toy Korean -> English pairs."""

from __future__ import annotations

import sys

import pytest
from conftest import metric_series, run_spec, write, write_pairs

SPEC = """
name: seq2seq-toy
seed: 3
data:
  kind: table
  path: {path}
  split: {{eval: 0.15}}
model:
  kind: keras_seq2seq
  attention: {attention}
  reverse_source: {reverse}
  embed_dim: 24
  units: 48
  epochs: {epochs}
  batch_size: 32
  lr: 1.0e-2
  samples: 4
{metrics}
"""


def spec(path, attention="luong", reverse="false", epochs=5, metrics=""):
    return SPEC.format(
        path=path, attention=attention, reverse=reverse, epochs=epochs, metrics=metrics
    )


def test_luong_attention_learns_to_translate(tmp_path):
    result, store = run_spec(tmp_path, spec(write_pairs(tmp_path, 360), reverse="true", epochs=8))
    assert result.status == "finished", result.error
    rid = result.run_id
    exact = metric_series(store, rid, "eval", "exact_match")
    assert sorted(exact) == list(range(9)), "decoded every epoch, and before training"
    assert exact[0] == 0.0 and exact[8] > 0.5, exact
    tok = metric_series(store, rid, "eval", "token_accuracy")
    assert tok[8] > tok[0] + 0.5, tok
    train = metric_series(store, rid, "train", "loss")
    assert sorted(train) == list(range(1, 9)) and train[8] < train[1] / 4, train

    samples = store.query(f"SELECT input, reference, output FROM samples WHERE run_id = '{rid}'")
    assert samples.height == 4
    assert all("는" in s for s in samples["input"].to_list()), "inputs are the Korean sources"
    assert sum(o == r for o, r in zip(samples["output"], samples["reference"], strict=True)) >= 1
    assert {"model/model.weights.h5", "model/vocab.json"} <= {a["name"] for a in result.artifacts}

    import specrun

    loaded = specrun.load_model(rid, store=str(tmp_path / "s.duckdb"))
    assert loaded.translate(samples["input"].to_list()) == samples["output"].to_list()


@pytest.mark.parametrize("attention", ["none", "bahdanau"])
def test_other_attention_choices_train(tmp_path, attention):
    result, store = run_spec(
        tmp_path, spec(write_pairs(tmp_path, 240), attention=attention, epochs=3)
    )
    assert result.status == "finished", result.error
    tok = metric_series(store, result.run_id, "eval", "token_accuracy")
    assert tok[3] > tok[0] + 0.2, tok


def test_char_tokens_and_shared_text_metrics(tmp_path, monkeypatch):
    """Character vocab; `bleu` and `loss` come from specrun-textmetrics (a dependency of this
    plugin, with no ML framework), scoring this plugin's Predictions without torch."""
    monkeypatch.setenv("SPECRUN_PLUGINS", "keras,textmetrics")
    from specrun import plugins

    plugins.reset()
    result, store = run_spec(
        tmp_path,
        spec(write_pairs(tmp_path, 120), epochs=2, metrics="metrics: [{kind: loss}, {kind: bleu}]"),
        overrides=(
            "model.tokens=char",
            "model.max_source_len=60",
            "model.max_target_len=60",
            "model.eval_every=0",
        ),
    )
    assert result.status == "finished", result.error
    bleu = metric_series(store, result.run_id, "eval", "bleu")
    assert sorted(bleu) == [0, 2], "eval_every 0: BLEU before training and at the end only"
    assert result.metrics["eval/perplexity"] > 1.0
    assert "torch" not in sys.modules


def test_missing_column_is_a_clear_error(tmp_path):
    table = write(tmp_path, "pairs.tsv", "ko\ten\n나는 간다\tI go\n그는 온다\the comes\n" * 4)
    result, _ = run_spec(tmp_path, spec(table, epochs=1))
    assert result.status == "failed" and result.user_error
    assert "model.source: column 'source' is not in the train split" in result.error
    result, _ = run_spec(
        tmp_path, spec(table, epochs=1), overrides=("model.source=ko", "model.target=en")
    )
    assert result.status == "finished", result.error
