"""Cross-validation: folds assigned after data.load, fold runs under a parent, OOF files."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import specrun
from core_helpers import SPECS, run_cli, write_spec
from specrun.cv.driver import run_cv
from specrun.cv.folds import assign_folds
from specrun.errors import DataError
from specrun.spec import load_spec


def test_stratified_folds_keep_class_shares_and_are_seeded():
    labels = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 7)
    folds = assign_folds(len(labels), 5, True, 13, labels)
    assert np.array_equal(folds, assign_folds(len(labels), 5, True, 13, labels))
    assert not np.array_equal(folds, assign_folds(len(labels), 5, True, 14, labels))
    for cls, count in (("a", 50), ("b", 30), ("c", 7)):
        per_fold = np.bincount(folds[labels == cls], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1 and per_fold.sum() == count
    sizes = np.bincount(folds, minlength=5)
    assert sizes.max() - sizes.min() <= 1  # small classes do not all land in fold 0


def test_unshuffled_folds_are_contiguous_blocks():
    assert assign_folds(10, 3, False, 0).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    with pytest.raises(DataError, match="at least 5 rows"):
        assign_folds(4, 5, True, 0)


def test_local_cv_records_folds_parent_mean_std_and_oof_predictions(tmp_path):
    store = str(tmp_path / "s.duckdb")
    spec = load_spec(SPECS / "cv_topics.yaml", ["model.epochs=2", "cv.folds=3", "data.rows=300"])
    result = run_cv(spec, store=store, mode="local", quiet=True, print_result=False)
    assert result.status == "finished", result.error
    st = specrun.open_store(store)
    runs = st.query(
        "SELECT run_id, parent_id, cv_fold, status FROM runs ORDER BY cv_fold NULLS LAST"
    ).to_dicts()
    parent = runs[-1]
    assert (
        parent["run_id"] == result.run_id
        and parent["parent_id"] is None
        and parent["status"] == "finished"
    )
    folds = runs[:-1]
    assert [r["cv_fold"] for r in folds] == [0, 1, 2] and {r["parent_id"] for r in folds} == {
        result.run_id
    }

    finals = [st.final_metrics(r["run_id"]) for r in folds]
    acc = [
        f.filter((pl.col("split") == "eval") & (pl.col("name") == "accuracy"))["value"][0]
        for f in finals
    ]
    parent_metrics = {
        (r["split"], r["name"]): r["value"]
        for r in st.final_metrics(result.run_id).iter_rows(named=True)
    }
    assert parent_metrics[("eval", "accuracy")] == pytest.approx(np.mean(acc))
    assert parent_metrics[("eval", "accuracy_std")] == pytest.approx(np.std(acc))
    assert ("test", "accuracy") in parent_metrics  # every fold model is scored on the held-out test
    assert result.metrics["eval/accuracy"] == pytest.approx(np.mean(acc))
    assert len({f"{a:.6f}" for a in acc}) > 1  # the folds really differ

    oof = pl.concat(
        [
            pl.read_parquet(st.artifact_path(r["run_id"], f"oof/fold{r['cv_fold']}.parquet"))
            for r in folds
        ]
    )
    # train + eval are pooled, each pooled row predicted exactly once; test (~0.1) stays aside
    assert 265 <= oof.height <= 275 and sorted(oof["row"].to_list()) == list(range(oof.height))
    assert {f"score_{c}" for c in ("economy", "politics", "science", "sports")} <= set(oof.columns)
    picked = oof.select(pl.concat_list(pl.col("^score_.*$")).list.arg_max().alias("i"), "output")
    classes = sorted(c.removeprefix("score_") for c in oof.columns if c.startswith("score_"))
    assert all(classes[i] == out for i, out in picked.iter_rows())  # scores agree with outputs
    oof_acc = (oof["reference"] == oof["output"]).mean()
    assert oof_acc == pytest.approx(
        np.average(acc, weights=oof.group_by("fold").len().sort("fold")["len"])
    )


def test_a_missing_stratify_column_fails_every_fold_and_the_parent(tmp_path):
    spec = load_spec(
        SPECS / "cv_topics.yaml", ["cv.stratify=topic", "cv.folds=2", "model.epochs=1"]
    )
    result = run_cv(
        spec, store=str(tmp_path / "s.duckdb"), mode="local", quiet=True, print_result=False
    )
    assert result.status == "failed" and result.user_error
    assert "cv.stratify: column 'topic' is not in the data" in result.error
    assert [f["status"] for f in result.folds] == ["failed", "failed"]


@pytest.mark.ray
def test_cv_command_runs_folds_as_ray_actors_with_the_same_results_as_local(tmp_path):
    spec = write_spec(
        tmp_path, (SPECS / "cv_topics.yaml").read_text().replace("folds: 5", "folds: 3")
    )
    ray_store, local_store = tmp_path / "ray.duckdb", tmp_path / "local.duckdb"
    out = run_cli("cv", str(spec), "--store", str(ray_store), "-o", "model.epochs=2")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "mean ± std" in out.stdout and "run id:" in out.stdout
    run_cv(
        load_spec(spec, ["model.epochs=2"]),
        store=str(local_store),
        mode="local",
        quiet=True,
        print_result=False,
    )
    query = """SELECT r.cv_fold, m.split, m.name, m.value FROM metrics m JOIN runs r USING (run_id)
               WHERE m.split IN ('eval', 'test') ORDER BY ALL"""
    ray_rows = specrun.open_store(str(ray_store)).query(query)
    assert ray_rows.height > 0 and ray_rows.equals(
        specrun.open_store(str(local_store)).query(query)
    )
    modes = (
        specrun.open_store(str(ray_store))
        .query(
            "SELECT DISTINCT mode, node_id IS NULL AS no_node FROM runs WHERE cv_fold IS NOT NULL"
        )
        .rows()
    )
    assert modes == [("ray", False)]
