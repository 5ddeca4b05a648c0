"""The classifier learns, stores its report, confusion matrix and logits; ensembles of its
runs are runs of their own; bad input is a clear user error."""

from __future__ import annotations

import json

import polars as pl
import pytest
import specrun
from hftext_testkit import (
    CLASSIFIER_FAST,
    SPECS,
    isolated_env,
    metric,
    run_cli,
    run_tiny_bow,
    write_spec,
)

SPEC = str(SPECS / "classify_bert.yaml")
DATA = ["data.seed=7"]  # members of one ensemble share rows, whatever their own seed


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """Three classifier runs (seeds 1-3) on the same data, in one store."""
    root = tmp_path_factory.mktemp("members")
    store = str(root / "s.duckdb")
    with isolated_env(root):
        runs = []
        for seed in (1, 2, 3):
            r = specrun.run(
                SPEC, overrides=[*CLASSIFIER_FAST, *DATA, f"seed={seed}"], store=store, local=True
            )
            assert r.status == "finished", r.error
            runs.append(r.run_id)
    return store, runs


def test_classifier_learns_and_stores_its_report(members):
    store, runs = members
    st = specrun.open_store(store)
    run_id = runs[0]
    before = metric(st, run_id, "accuracy", "eval", first=True)
    after = metric(st, run_id, "accuracy", "eval")
    assert after > before + 0.15, (before, after)
    assert metric(st, run_id, "macro_f1", "eval") > metric(
        st, run_id, "macro_f1", "eval", first=True
    )
    assert metric(st, run_id, "accuracy", "test") > 0.4
    # Hanja were converted before the tokenizer was trained: no unknown tokens.
    assert metric(st, run_id, "unk_rate", "train") == 0.0

    names = set(st.artifacts(run_id)["name"].to_list())
    for split in ("eval", "test"):
        assert {
            f"predictions/{split}_logits.parquet",
            f"reports/{split}_confusion.png",
            f"reports/{split}_confusion.csv",
            f"reports/{split}_classification_report.json",
        } <= names
    assert {"model/config.json", "model/model.safetensors", "predictions/classes.json"} <= names
    classes = json.loads(st.artifact_path(run_id, "predictions/classes.json").read_text())
    assert len(classes) == 4
    logits = pl.read_parquet(st.artifact_path(run_id, "predictions/test_logits.parquet"))
    assert logits.columns == ["id", "label", "pred", "logit_0", "logit_1", "logit_2", "logit_3"]
    assert logits["id"].n_unique() == logits.height and logits["id"][0].startswith("h")
    stored_acc = (logits["label"] == logits["pred"]).mean()
    assert stored_acc == pytest.approx(metric(st, run_id, "accuracy", "test"))
    png = st.artifact_path(run_id, "reports/test_confusion.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    report = json.loads(
        st.artifact_path(run_id, "reports/test_classification_report.json").read_text()
    )
    assert sum(map(sum, report["confusion"])) == logits.height
    per_class = {n for n in st.metrics(run_id)["name"].to_list() if n.startswith("f1/")}
    assert per_class == {f"f1/{c}" for c in classes}
    assert st.samples(run_id).height > 0


def test_load_model_gives_the_trained_classifier(members):
    store, runs = members
    loaded = specrun.load_model(runs[0], store=store)
    assert loaded.kind == "hf_classifier" and len(loaded.extra["classes"]) == 4
    assert loaded.model.config.num_labels == 4 and loaded.tokenizer.unk_token == "[UNK]"


def ensemble_spec(tmp_path, runs, weights=None, store=None):
    return write_spec(
        tmp_path,
        f"""
name: ensemble
seed: 99
data: {{kind: korean_headlines, rows: 360, difficulty: 0.2, imbalance: 1.0, topics: 4, seed: 7}}
model:
  kind: ensemble
  runs: {json.dumps(runs)}
  weights: {json.dumps(weights)}
  store: {store}
metrics: [{{kind: accuracy}}, {{kind: macro_f1}}]
""",
        "ensemble.yaml",
    )


def test_ensemble_is_recorded_as_its_own_run(members, tmp_path):
    store, runs = members
    st = specrun.open_store(store)
    result = specrun.run(ensemble_spec(tmp_path, runs, store=store), store=store, local=True)
    assert result.status == "finished", result.error
    acc = metric(st, result.run_id, "accuracy", "test")
    singles = [metric(st, r, "accuracy", "test") for r in runs]
    assert metric(st, result.run_id, "member_accuracy_mean", "test") == pytest.approx(
        sum(singles) / 3
    )
    assert metric(st, result.run_id, "members", "train") == 3
    assert acc >= min(singles) - 0.05  # averaging three learners is no worse than the worst
    names = set(st.artifacts(result.run_id)["name"].to_list())
    assert {"predictions/test_logits.parquet", "reports/test_confusion.png"} <= names

    # Weights really weigh: all weight on one member gives exactly that member's score.
    solo = specrun.run(ensemble_spec(tmp_path, runs, [0, 1, 0], store), store=store, local=True)
    assert solo.status == "finished", solo.error
    assert metric(st, solo.run_id, "accuracy", "test") == pytest.approx(singles[1])


def test_a_parent_run_stands_for_its_children(members, tmp_path):
    """What a cv parent is: a run without logits whose folds are child runs."""
    from specrun.runner.driver import run_spec

    store, runs = members
    st = specrun.open_store(store)
    parent = run_tiny_bow(tmp_path, store, "parent")
    spec = specrun.load_spec(SPEC, [*CLASSIFIER_FAST, *DATA, "seed=5", "trainer.epochs=1"])
    child = run_spec(spec, store=store, mode="local", parent_id=parent.run_id, quiet=True)
    assert child.status == "finished", child.error
    result = specrun.run(
        ensemble_spec(tmp_path, [parent.run_id], store=store), store=store, local=True
    )
    assert result.status == "finished", result.error
    assert metric(st, result.run_id, "members", "train") == 1
    assert metric(st, result.run_id, "accuracy", "test") == pytest.approx(
        metric(st, child.run_id, "accuracy", "test")
    )


def test_ensemble_of_runs_without_logits_or_other_data(members, tmp_path):
    store, runs = members
    bow = specrun.run(
        write_spec(
            tmp_path,
            """
name: bow
data: {kind: korean_headlines, rows: 60}
model: {kind: bow_softmax, epochs: 1}
""",
            "bow.yaml",
        ),
        store=store,
        local=True,
    )
    result = specrun.run(
        ensemble_spec(tmp_path, [runs[0], bow.run_id], store=store), store=store, local=True
    )
    assert result.status == "failed" and result.user_error
    assert "bow_softmax" in result.error and "logits" in result.error
    other = ensemble_spec(tmp_path, runs, store=store)
    result = specrun.run(other, overrides=["data.seed=8"], store=store, local=True)
    assert result.status == "failed" and result.user_error and "same data section" in result.error


def test_checkpoint_directory_is_fine_tuned(tmp_path):
    from hftext_testkit import headlines
    from hftext_tiny_models import save_tiny_bert_classifier

    ckpt = save_tiny_bert_classifier(tmp_path / "bert", headlines(200)["train"]["text"].to_list())
    result = specrun.run(
        SPEC,
        overrides=[
            *CLASSIFIER_FAST,
            "trainer.epochs=1",
            "model.config=null",
            "model.tokenizer=null",
            f"model.checkpoint={ckpt}",
        ],
        store=str(tmp_path / "s.duckdb"),
        local=True,
    )
    assert result.status == "finished", result.error
    st = specrun.open_store(str(tmp_path / "s.duckdb"))
    config = json.loads(st.artifact_path(result.run_id, "model/config.json").read_text())
    assert len(config["id2label"]) == 4 and config["hidden_size"] == 32  # the checkpoint's body


def test_one_class_is_a_data_error(tmp_path):
    (tmp_path / "one.csv").write_text(
        "text,label\n" + "".join(f"뉴스 {i},경제\n" for i in range(30)), encoding="utf-8"
    )
    spec = write_spec(
        tmp_path,
        """
name: one-class
data: {kind: table, path: one.csv}
model:
  kind: hf_classifier
  config: {model_type: bert, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2}
trainer: {kind: hf_classifier_trainer, epochs: 1}
""",
    )
    result = specrun.run(spec, store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "failed" and result.user_error
    assert "one class only ('경제')" in result.error
    out = run_cli("run", str(spec), "--local", "--store", str(tmp_path / "s.duckdb"))
    assert out.returncode == 2 and "one class only" in out.stderr and "Traceback" not in out.stderr


def test_fewer_rows_of_a_class_than_folds(tmp_path):
    overrides = [
        *CLASSIFIER_FAST,
        "data.rows=40",
        "data.topics=6",
        "data.imbalance=0.05",
        "cv={folds: 5, stratify: label}",
    ]
    store = str(tmp_path / "s.duckdb")
    try:
        from specrun.cv.driver import run_cv
    except ImportError:  # a core without cv: the data kind still refuses such a spec
        result = specrun.run(SPEC, overrides=overrides, store=store, local=True)
    else:
        result = run_cv(
            specrun.load_spec(SPEC, overrides),
            store=store,
            mode="local",
            quiet=True,
            print_result=False,
        )
    assert result.status == "failed" and result.user_error, result.error
    assert "5-fold" in result.error and "at least 5 rows of every class" in result.error


def test_class_names_are_romanised_for_plots_without_a_hangul_font():
    from specrun_hf_text.plots import romanize

    assert romanize("정치") == "jeongchi" and romanize("IT과학") == "ITgwahak"
    assert romanize("생활문화") == "saenghwalmunhwa"


@pytest.mark.parametrize(
    "model_type,tokenizer", [("roberta", "bpe"), ("xlm-roberta", "sentencepiece")]
)
def test_roberta_and_xlm_r_from_config(tmp_path, model_type, tokenizer):
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(
        SPEC,
        overrides=[
            *CLASSIFIER_FAST,
            "trainer.epochs=3",
            f"model.config.model_type={model_type}",
            f"model.tokenizer={{kind: {tokenizer}, vocab_size: 800}}",
        ],
        store=store,
        local=True,
    )
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    assert metric(st, result.run_id, "loss", "train") < metric(
        st, result.run_id, "loss", "train", first=True
    )
    config = json.loads(st.artifact_path(result.run_id, "model/config.json").read_text())
    assert config["model_type"] == model_type
    assert "predictions/test_logits.parquet" in set(st.artifacts(result.run_id)["name"].to_list())
