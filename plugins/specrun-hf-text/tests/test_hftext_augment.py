"""EDA and oversampling: the set grows by the factor asked, labels are kept, texts change;
results are cached by input and params, and a cache hit skips the work."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest
import specrun
from hftext_testkit import headlines, make_ctx, metric, run_cli, write_spec
from hftext_tiny_models import save_tiny_masked_lm
from specrun import Dataset, UserError

from specrun_hf_text.eda import Eda
from specrun_hf_text.oversample import Oversample
from specrun_hf_text.params_augment import EdaParams, OversampleParams


def assert_augmented(before: pl.DataFrame, after: pl.DataFrame, copies: int) -> None:
    assert after.height == before.height * (1 + copies)
    # Labels kept: every class grows by exactly the same factor.
    want = {k: v * (1 + copies) for k, v in Counter(before["label"].to_list()).items()}
    assert Counter(after["label"].to_list()) == want
    # Originals first, then the copies, each row's label still its source row's.
    n = before.height
    for j in range(1, copies + 1):
        part = after[j * n : (j + 1) * n]
        assert part["label"].to_list() == before["label"].to_list()
        changed = sum(a != b for a, b in zip(part["text"], before["text"], strict=True))
        assert changed / n > 0.9, f"copy {j}: only {changed}/{n} texts changed"
    assert after["id"].n_unique() == after.height


def test_eda_word2vec_grows_keeps_labels_changes_text(tmp_path):
    data = headlines()
    ctx, sink = make_ctx(tmp_path)
    out = Eda(EdaParams(copies=3, alpha=0.2, synonyms={"source": "word2vec", "epochs": 10})).apply(
        ctx, data
    )
    assert_augmented(data["train"], out["train"], 3)
    assert out["eval"].equals(data["eval"])  # never augment what the model is judged on
    m = sink.metrics()
    assert m["eda_synonym_hit_rate"] > 0.05 and m["eda_cache_hit"] == 0.0


def test_eda_synonym_file_replaces_with_listed_synonyms(tmp_path):
    syn = tmp_path / "syn.tsv"
    syn.write_text("# word<TAB>synonyms\n경제\t경기 살림\n축구\t풋볼\n", encoding="utf-8")
    frame = pl.DataFrame({"text": ["경제 뉴스", "축구 경기 결과"], "label": ["a", "b"]})
    ctx, _ = make_ctx(tmp_path)
    out = Eda(EdaParams(ops=["sr"], copies=2, synonyms={"source": "file", "path": syn}))
    got = out.apply(ctx, Dataset({"train": frame}))["train"]["text"].to_list()
    assert got[2:] == [g for g in got[2:] if g.split()[0] in ("경기", "살림", "풋볼")]
    assert set(got[2:]) <= {"경기 뉴스", "살림 뉴스", "풋볼 경기 결과"}


def test_eda_masked_lm_synonyms(tmp_path):
    data = headlines(40)
    ckpt = save_tiny_masked_lm(tmp_path / "mlm", data["train"]["text"].to_list())
    ctx, sink = make_ctx(tmp_path)
    params = EdaParams(ops=["sr"], copies=1, synonyms={"source": "masked_lm", "checkpoint": ckpt})
    out = Eda(params).apply(ctx, data)
    assert_augmented(data["train"], out["train"], 1)
    assert sink.metrics()["eda_synonym_hit_rate"] > 0.5


def test_oversample_balances_train_only(tmp_path):
    data = headlines(300, imbalance=0.2)
    ctx, sink = make_ctx(tmp_path)
    out = Oversample(OversampleParams()).apply(ctx, data)
    counts = Counter(out["train"]["label"].to_list())
    before = Counter(data["train"]["label"].to_list())
    assert min(before.values()) < max(before.values()) / 2
    assert set(counts.values()) == {max(before.values())}
    # Added rows are copies of rows of their own class.
    originals = set(zip(data["train"]["text"], data["train"]["label"], strict=True))
    assert set(zip(out["train"]["text"], out["train"]["label"], strict=True)) == originals
    assert out["eval"].equals(data["eval"])
    assert sink.metrics()["oversample_rows_added"] == out["train"].height - data["train"].height


def test_oversample_one_class_is_a_data_error(tmp_path):
    ctx, _ = make_ctx(tmp_path)
    frame = pl.DataFrame({"text": ["a", "b"], "label": ["x", "x"]})
    with pytest.raises(specrun.DataError, match="one class only"):
        Oversample(OversampleParams()).apply(ctx, Dataset({"train": frame}))


SPEC = """
name: eda-cache
seed: 2
data: {kind: korean_headlines, rows: 150}
augment:
  - kind: oversample
  - kind: eda
    copies: 2
    synonyms: {source: word2vec, epochs: 5}
model: {kind: bow_softmax, epochs: 1}
metrics: [{kind: accuracy}]
"""


def test_second_run_reuses_the_cache_without_doing_the_work(tmp_path, monkeypatch):
    store = str(tmp_path / "s.duckdb")
    spec = write_spec(tmp_path, SPEC)
    first = specrun.run(spec, store=store, local=True)
    assert first.status == "finished", first.error
    st = specrun.open_store(store)
    assert metric(st, first.run_id, "eda_cache_hit", "augment") == 0.0
    rows_out = metric(st, first.run_id, "eda_rows_out", "augment")
    assert rows_out == 3 * metric(st, first.run_id, "eda_rows_in", "augment")
    size = metric(st, first.run_id, "augment_cache_bytes", "augment")
    assert size > 0 and list((tmp_path / "cache" / "augment").rglob("train.parquet"))

    def no_work(*args, **kwargs):
        raise AssertionError("the augmentation ran again despite a cached result")

    monkeypatch.setattr(Eda, "transform", no_work)
    monkeypatch.setattr(Oversample, "transform", no_work)
    second = specrun.run(spec, store=store, local=True)
    assert second.status == "finished", second.error
    assert metric(st, second.run_id, "eda_cache_hit", "augment") == 1.0
    assert metric(st, second.run_id, "oversample_cache_hit", "augment") == 1.0
    assert metric(st, second.run_id, "eda_rows_out", "augment") == rows_out
    assert metric(st, second.run_id, "augment_cache_bytes", "augment") == size
    # Other params are another entry: the work is needed again.
    third = specrun.run(spec, overrides=["augment.1.copies=1"], store=store, local=True)
    assert third.status == "failed" and "ran again" in third.error


def test_synonym_file_in_the_wrong_format(tmp_path):
    (tmp_path / "syn.txt").write_text("경제 경기 살림\n", encoding="utf-8")  # spaces, no tab
    spec = write_spec(
        tmp_path,
        """
name: bad-synonyms
data: {kind: korean_headlines, rows: 60}
augment:
  - kind: eda
    synonyms: {source: file, path: syn.txt}
model: {kind: bow_softmax, epochs: 1}
""",
    )
    result = specrun.run(spec, store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "failed" and result.user_error
    assert "line 1: expected 'word<TAB>synonym" in result.error
    out = run_cli("run", str(spec), "--local", "--store", str(tmp_path / "s.duckdb"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "line 1" in out.stderr and "Traceback" not in out.stderr


def test_json_synonyms_must_map_words_to_lists(tmp_path):
    from specrun_hf_text.synonyms import FileSynonyms

    bad = tmp_path / "syn.json"
    bad.write_text('{"경제": "경기"}', encoding="utf-8")
    with pytest.raises(UserError, match="word -> list of synonyms"):
        FileSynonyms(bad)
