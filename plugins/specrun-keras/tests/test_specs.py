"""The two example specs this plugin ships: they validate, and (shrunk) they run and learn."""

from __future__ import annotations

from importlib import metadata

import pytest
import specrun
from conftest import SPECS, metric_series

IMAGE_SPEC = SPECS / "image_resnet.yaml"
SEQ2SEQ_SPEC = SPECS / "seq2seq_lstm_attention.yaml"


def _hf_installed() -> bool:
    return "hf" in {ep.name for ep in metadata.entry_points(group="specrun")}


def test_image_spec_validates_with_its_ops_in_order():
    spec = specrun.load_spec(str(IMAGE_SPEC))
    kinds = [a["kind"] for a in spec.data["augment"]]
    assert kinds[:2] == ["image_resize", "image_pad_square"] and kinds[-1] == "image_zero_center"
    assert spec.data["model"]["lr_schedule"]["kind"] in ("plateau", "cosine")
    assert spec.data["model"]["early_stopping"]["patience"] > 0


def test_image_spec_runs_shrunk(tmp_path):
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(
        str(IMAGE_SPEC),
        store=store,
        local=True,
        overrides=[
            "data.per_class=10",
            "model.epochs=2",
            "model.widths=[8]",
            "model.image_size=24",
            "augment.0.size=24",
            "augment.1.size=24",
        ],
    )
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    assert sorted(metric_series(st, result.run_id, "eval", "accuracy")) == [0, 1, 2]
    assert sorted(metric_series(st, result.run_id, "eval", "macro_f1")) == [0, 1, 2]


@pytest.fixture
def with_hf(monkeypatch):
    if not _hf_installed():
        pytest.skip("the translation data come from specrun-hf, which is not installed")
    monkeypatch.setenv("SPECRUN_PLUGINS", "keras,hf,textmetrics")
    from specrun import plugins

    plugins.reset()


def test_seq2seq_spec_sweeps_over_attention(with_hf):
    spec = specrun.load_spec(str(SEQ2SEQ_SPEC))
    assert spec.data["data"]["kind"] == "generated_ko_en"
    assert [m["kind"] for m in spec.data["metrics"]][:1] == ["bleu"]
    assert set(spec.data["sweep"]["space"]["model.attention"]["grid"]) == {
        "none",
        "bahdanau",
        "luong",
    }


def test_seq2seq_spec_runs_shrunk_and_bleu_rises(tmp_path, with_hf):
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(
        str(SEQ2SEQ_SPEC),
        store=store,
        local=True,
        overrides=[
            "sweep=null",
            "data.train_rows=1200",
            "data.eval_rows=40",
            "model.epochs=8",
            "model.batch_size=32",
            "model.units=64",
            "model.embed_dim=32",
            "model.eval_every=0",
            "model.lr=1.0e-2",
            "model.lr_schedule.warmup_epochs=0",
        ],
    )
    assert result.status == "finished", result.error
    bleu = metric_series(specrun.open_store(store), result.run_id, "eval", "bleu")
    assert sorted(bleu) == [0, 8]
    assert bleu[8] > bleu[0] + 5, bleu
