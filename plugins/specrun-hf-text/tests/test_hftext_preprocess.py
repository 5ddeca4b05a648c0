"""Preprocessing kinds: they clean every split, and the unknown-token rate they log drops."""

from __future__ import annotations

import re

import hanja
import polars as pl
import specrun
from hftext_testkit import make_ctx, metric, write_spec
from specrun import Dataset

from specrun_hf_text.params_augment import (
    HanjaToHangulParams,
    RegexCleanParams,
    UnicodeNormalizeParams,
)
from specrun_hf_text.preprocess import HanjaToHangul, RegexClean, UnicodeNormalize

SPEC = """
name: preprocess
seed: 5
data: {kind: korean_headlines, rows: 240, hanja: 0.6, noise: 0.6}
augment:
  - kind: unicode_normalize
  - kind: regex_clean
    patterns: ['https?://\\S+', '\\S+@\\S+', '\\[[^\\]]*\\]|【[^】]*】|\\([^)]*\\)|<[^>]*>']
  - kind: hanja_to_hangul
model: {kind: bow_softmax, epochs: 2, samples: 40}
metrics: [{kind: accuracy}]
"""


def test_pipeline_logs_unknown_rate_and_cleans_every_split(tmp_path):
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(write_spec(tmp_path, SPEC), store=store, local=True)
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    before = metric(st, result.run_id, "hanja_to_hangul_unk_rate_before", "augment")
    after = metric(st, result.run_id, "hanja_to_hangul_unk_rate_after", "augment")
    assert before > 0.01 and after == 0.0
    # NFKC folds full-width ＡＩ into ASCII: fewer characters outside the vocabulary.
    assert metric(st, result.run_id, "unicode_normalize_unk_rate_after", "augment") < metric(
        st, result.run_id, "unicode_normalize_unk_rate_before", "augment"
    )
    assert metric(st, result.run_id, "regex_clean_rows_changed", "augment") > 0
    # Every split was cleaned: the eval texts the model saw (its samples) have no Hanja/URLs.
    inputs = st.samples(result.run_id)["input"].to_list()
    assert inputs
    assert not any(hanja.is_hanja(ch) for t in inputs for ch in t)
    assert not any(re.search(r"https?://|\[|【", t) for t in inputs)


def test_clean_functions(tmp_path):
    ctx, sink = make_ctx(tmp_path)
    frame = pl.DataFrame(
        {
            "text": ["[속보] 美 증시 急落 https://x.kr/1", "ＡＩ 반도체 ①", "   "],
            "label": ["a", "b", "c"],
        }
    )
    data = Dataset({"train": frame, "eval": frame.head(1)})
    for step in (
        UnicodeNormalize(UnicodeNormalizeParams()),
        RegexClean(RegexCleanParams(patterns=[r"https?://\S+", r"\[[^\]]*\]"])),
        HanjaToHangul(HanjaToHangulParams()),
    ):
        data = step.apply(ctx, data)
    assert data["train"]["text"].to_list() == [
        "미 증시 급락",
        "AI 반도체 1",
    ]  # the blank row dropped
    assert data["eval"]["text"].to_list() == ["미 증시 급락"]
    assert sink.metrics()["regex_clean_rows_dropped"] == 1.0
