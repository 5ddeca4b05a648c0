"""The metric kinds: sacrebleu BLEU/chrF with signatures, Hangul-aware ROUGE, eval loss,
distinct-n."""

from __future__ import annotations

import subprocess
import sys

import pytest
from specrun import DataError, Predictions, UserError

from specrun_textmetrics.metrics import (
    Bleu,
    BleuParams,
    Chrf,
    ChrfParams,
    DistinctN,
    DistinctNParams,
    HangulAwareTokenizer,
    Loss,
    LossParams,
    Rouge,
    RougeParams,
    distinct_n,
)

KO_REF = "서울에서 토요일 열린 축제는 시민 1200명이 참가해 큰 호응을 얻었다."
KO_HYP = "서울에서 열린 축제는 시민 900명이 참가해 무사히 끝났다."


def preds(outputs: list[str], references: list[str], **extra) -> Predictions:
    return Predictions("eval", outputs=outputs, references=references, extra=dict(extra))


def test_bleu_and_chrf_score_and_sign():
    p = preds(
        ["The student ate the apple.", "The cat sleeps."],
        ["The student ate the apple.", "A dog runs."],
    )
    bleu = Bleu(BleuParams()).compute(p)["bleu"]
    chrf = Chrf(ChrfParams()).compute(p)["chrf"]
    assert 0 < bleu < 100 and 0 < chrf < 100
    perfect = preds(["The student ate the apple."], ["The student ate the apple."])
    assert Bleu(BleuParams()).compute(perfect)["bleu"] == pytest.approx(100)
    assert p.extra["signature:bleu"].startswith("nrefs:1|case:mixed")
    assert "version:" in p.extra["signature:chrf"]


def test_rouge_default_tokenizer_would_zero_korean_ours_does_not():
    from rouge_score import rouge_scorer

    default = rouge_scorer.RougeScorer(["rouge1"]).score(KO_REF, KO_HYP)["rouge1"].fmeasure
    assert default == 0.0  # the bug this metric exists for
    scores = Rouge(RougeParams()).compute(preds([KO_HYP], [KO_REF]))
    assert 0.3 < scores["rouge1"] < 1 and 0 < scores["rouge2"] < scores["rouge1"]
    assert 0 < scores["rougeL"] < 1


def test_rouge_identical_korean_pair_scores_one_in_both_modes():
    for mode in ("word", "char"):
        scores = Rouge(RougeParams(tokenize=mode)).compute(preds([KO_REF], [KO_REF]))
        assert scores == {
            "rouge1": pytest.approx(1.0),
            "rouge2": pytest.approx(1.0),
            "rougeL": pytest.approx(1.0),
        }


def test_hangul_tokenizer_keeps_scripts_and_splits_syllables_in_char_mode():
    assert HangulAwareTokenizer().tokenize("학생은 Apple을 먹었다!") == [
        "학생은",
        "apple을",
        "먹었다",
    ]
    assert HangulAwareTokenizer("char").tokenize("사과를 ate") == ["사", "과", "를", "ate"]
    stemmed = HangulAwareTokenizer(use_stemmer=True).tokenize("running 달리기")
    assert stemmed == ["run", "달리기"]


def test_loss_metric_reads_the_trainer_loss_and_explains_when_absent():
    assert Loss(LossParams()).compute(preds(["a"], ["a"], loss=2.0))["perplexity"] == pytest.approx(
        7.389, 1e-3
    )
    with pytest.raises(UserError, match="eval loss"):
        Loss(LossParams()).compute(preds(["a"], ["a"]))


def test_mismatched_or_missing_outputs_are_clear_errors():
    with pytest.raises(DataError, match="2 outputs for 1 references"):
        Bleu(BleuParams()).compute(preds(["a", "b"], ["a"]))
    with pytest.raises(UserError, match="needs predictions with 'outputs'"):
        Chrf(ChrfParams()).compute(Predictions("eval", references=["a"]))


def test_metrics_module_does_not_import_torch():
    code = (
        "import sys; from specrun import Predictions; import specrun_textmetrics.metrics as m;"
        "p = Predictions('eval', outputs=['가 나'], references=['가 나']);"
        "m.Bleu(m.BleuParams()).compute(p); m.Rouge(m.RougeParams()).compute(p);"
        "print(sorted(x for x in ('torch', 'transformers', 'tensorflow') if x in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_distinct_n_counts_unique_ngrams_by_word_or_character():
    assert distinct_n(["a a a a"], 1) == 0.25
    assert distinct_n(["a b", "a b"], 2) == 0.5
    metric = DistinctN(DistinctNParams(n=[1], unit="char"))
    got = metric.compute(Predictions("eval", outputs=["가가나"]))
    assert got == {"distinct_1_char": 2 / 3}
    with pytest.raises(ValueError, match="n must be >= 1"):
        DistinctNParams(n=[0])


def test_every_kind_is_registered_by_this_plugin():
    from specrun.plugins import get_registry

    registry = get_registry()
    for kind in ("bleu", "chrf", "rouge", "loss", "distinct_n"):
        assert registry.components[("metrics", kind)].package == "specrun-textmetrics"
