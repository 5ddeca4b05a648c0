"""Back-translation through tiny Marian models saved locally: the mechanics (two hops,
labels kept), the noise filters and their counts, the cache, and bad model references."""

from __future__ import annotations

import polars as pl
import pytest
import specrun
from hftext_testkit import make_ctx, metric, run_cli, run_tiny_bow, write_spec
from hftext_tiny_models import save_tiny_marian

from specrun_hf_text import back_translation
from specrun_hf_text.back_translation import BackTranslation, filter_outputs
from specrun_hf_text.params_augment import BackTranslationParams


@pytest.fixture(scope="module")
def marians(tmp_path_factory):
    from hftext_testkit import headlines

    root = tmp_path_factory.mktemp("marian")
    texts = headlines(200)["train"]["text"].to_list()
    return save_tiny_marian(root / "ko-xx", texts, seed=1), save_tiny_marian(
        root / "xx-ko", texts, seed=2
    )


def spec_text(fwd, bwd, extra: str = "") -> str:
    return f"""
name: bt
seed: 4
data: {{kind: korean_headlines, rows: 90}}
augment:
  - kind: back_translation
    forward: {{checkpoint: {fwd}}}
    backward: {{checkpoint: {bwd}}}
    sample: true
    max_new_tokens: 20
    max_length_ratio: 1.5
{extra}
model: {{kind: bow_softmax, epochs: 1}}
metrics: [{{kind: accuracy}}]
"""


def test_back_translation_filters_counts_and_cache(tmp_path, marians, monkeypatch):
    store = str(tmp_path / "s.duckdb")
    spec = write_spec(tmp_path, spec_text(*marians))
    first = specrun.run(spec, store=store, local=True)
    assert first.status == "finished", first.error
    st = specrun.open_store(store)

    def m(name, run=first.run_id):
        return metric(st, run, f"back_translation_{name}", "augment")

    dropped = m("dropped_identical") + m("dropped_length") + m("dropped_duplicate")
    assert m("candidates") == m("rows_in") > 0
    assert m("kept") + dropped == m("candidates")
    assert m("rows_out") == m("rows_in") + m("kept")
    assert m("dropped_length") > 0  # random weights: many outputs far too long or short
    samples = st.samples(first.run_id).filter(pl.col("split") == "augment")
    outputs = samples["output"].to_list()
    assert samples.height > 0 and all(isinstance(o, str) for o in outputs)

    monkeypatch.setattr(
        back_translation,
        "load_seq2seq",
        lambda *a, **k: (_ for _ in ()).throw(AssertionError("models loaded")),
    )
    second = specrun.run(spec, store=store, local=True)
    assert second.status == "finished", second.error
    assert m("cache_hit", second.run_id) == 1.0 and m("kept", second.run_id) == m("kept")


def test_kept_rows_keep_labels_and_pass_the_filters(tmp_path, marians):
    from hftext_testkit import headlines

    data = headlines(90, seed=4)
    fwd, bwd = marians
    ctx, sink = make_ctx(tmp_path, seed=4)
    params = BackTranslationParams(
        forward={"checkpoint": fwd},
        backward={"checkpoint": bwd},
        sample=True,
        max_new_tokens=20,
        max_length_ratio=1.5,
        cache=False,
    )
    out = BackTranslation(params).apply(ctx, data)["train"]
    train = data["train"]
    new = out[train.height :]
    assert new.height == sink.metrics()["back_translation_kept"] > 0
    source = {i: (t, y) for i, t, y in zip(train["id"], train["text"], train["label"], strict=True)}
    for row in new.iter_rows(named=True):
        text, label = source[row["id"].removesuffix("#bt")]
        assert row["label"] == label and row["text"] != text
        assert 0.5 <= len(row["text"]) / len(text) <= 1.5
    assert new["text"].n_unique() == new.height


def test_filter_rules():
    class P:
        min_length_ratio, max_length_ratio = 0.5, 2.0
        drop_identical = drop_duplicates = True

    originals = ["하나 둘 셋", "넷 다섯", "여섯 일곱", "여덟", "아홉 열"]
    outputs = ["하나 둘  셋", "넷 다섯 여섯 일곱 여덟 아홉 열", "일곱 여섯", "일곱 여섯", "넷 다섯"]
    kept, dropped = filter_outputs(originals, outputs, P)
    assert kept == [2]
    assert dropped == {"dropped_identical": 1.0, "dropped_length": 2.0, "dropped_duplicate": 1.0}


def test_run_id_that_is_not_a_seq2seq_model(tmp_path, marians):
    store = str(tmp_path / "s.duckdb")
    bow = run_tiny_bow(tmp_path, store, "bow")
    spec = write_spec(
        tmp_path,
        spec_text(marians[0], marians[1]).replace(
            f"forward: {{checkpoint: {marians[0]}}}", f"forward: {{run: {bow.run_id}}}"
        ),
    )
    result = specrun.run(spec, overrides=[f"augment.0.store={store}"], store=store, local=True)
    assert result.status == "failed" and result.user_error
    assert f"back_translation.forward.run {bow.run_id}" in result.error
    assert "bow_softmax" in result.error and "not a seq2seq model" in result.error
    missing = specrun.run(
        spec,
        overrides=[f"augment.0.store={store}", "augment.0.forward.run=feedbeef"],
        store=store,
        local=True,
    )
    assert missing.status == "failed" and missing.user_error and "feedbeef" in missing.error


def test_checkpoint_that_is_not_seq2seq(tmp_path):
    from hftext_testkit import headlines
    from hftext_tiny_models import save_tiny_masked_lm

    mlm = save_tiny_masked_lm(tmp_path / "mlm", headlines(40)["train"]["text"].to_list())
    spec = write_spec(tmp_path, spec_text(mlm, mlm))
    out = run_cli("run", str(spec), "--local", "--store", str(tmp_path / "s.duckdb"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "is a 'bert' model, not a seq2seq" in out.stderr and "Traceback" not in out.stderr
