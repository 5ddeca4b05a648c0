"""rerun: the stored resolved spec runs again, linked to its parent, with the same result."""

from __future__ import annotations

import shutil

import specrun
from click.testing import CliRunner
from specrun.cli import cli
from specrun.history import final_metrics, rerun, run_details
from test_history_support import QUICKSTART, run_quickstart


def test_rerun_reproduces_every_metric_to_the_last_digit(tmp_path):
    path = tmp_path / "s.duckdb"
    first = run_quickstart(path, "model.epochs=3", "seed=11")
    store = specrun.open_store(str(path))
    again = rerun(store, first.run_id[:7], local=True)
    assert again.status == "finished" and again.run_id != first.run_id
    assert again.metrics == first.metrics  # exact equality of floats, not approx
    # Every step of every metric, not only the final values, and the model file itself.
    series = store.query(
        "SELECT run_id, split, name, step, value FROM metrics ORDER BY split, name, step, value"
    )
    one = series.filter(series["run_id"] == first.run_id).drop("run_id")
    two = series.filter(series["run_id"] == again.run_id).drop("run_id")
    assert one.height > 10 and one.equals(two)
    shas = store.query("SELECT run_id, sha256 FROM artifacts WHERE name = 'model/bow_softmax.npz'")
    assert shas["sha256"].n_unique() == 1 and shas.height == 2
    runs = store.query("SELECT run_id, parent_id, spec_hash, seed FROM runs ORDER BY created_at")
    assert runs["parent_id"].to_list() == [None, first.run_id]
    assert runs["spec_hash"].n_unique() == 1 and runs["seed"].to_list() == [11, 11]
    assert run_details(store, first.run_id).children == [again.run_id]


def test_rerun_with_an_override_changes_that_value_only(tmp_path):
    path = tmp_path / "s.duckdb"
    first = run_quickstart(path)
    out = CliRunner().invoke(
        cli,
        ["rerun", first.run_id, "-o", "model.lr=0.05", "--local", "-q", "--store", str(path)],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    store = specrun.open_store(str(path))
    child = store.query(
        "SELECT run_id, parent_id, overrides, spec_hash FROM runs WHERE parent_id IS NOT NULL"
    )
    assert child.height == 1 and child["overrides"].to_list() == [["model.lr=0.05"]]
    assert child["run_id"][0] in out.output
    lr = store.query(
        "SELECT run_id, value_num FROM params WHERE path = 'model.lr' ORDER BY value_num"
    )
    assert lr["value_num"].to_list() == [0.05, 0.5]
    finals = final_metrics(store, [first.run_id, child["run_id"][0]])
    loss = finals.filter(finals["name"] == "loss")["value"]
    assert loss[0] != loss[1]  # a different learning rate really trained differently
    bad = CliRunner().invoke(
        cli, ["rerun", first.run_id, "-o", "model.lr=-1", "--local", "--store", str(path)]
    )
    assert bad.exit_code == 2 and "model.lr" in bad.output


def test_rerun_works_when_the_spec_file_is_gone(tmp_path):
    spec = tmp_path / "copy.yaml"
    shutil.copyfile(QUICKSTART, spec)
    path = tmp_path / "s.duckdb"
    first = specrun.run(
        str(spec), overrides=["data.rows=200", "model.epochs=2"], store=str(path), local=True
    )
    spec.unlink()  # the stored resolved spec is enough
    again = rerun(specrun.open_store(str(path)), first.run_id, local=True)
    assert again.status == "finished" and again.metrics == first.metrics
