"""The SQL of docs/HISTORY.md, executed exactly as written, against real quickstart runs;
each answer is checked against the same figure computed another way (Polars on raw rows)."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest
import specrun
from core_helpers import ROOT
from test_history_support import EPOCHS, LRS, SEEDS, grid_store


def doc_queries() -> dict[str, str]:
    text = (ROOT / "docs" / "HISTORY.md").read_text(encoding="utf-8")
    found = re.findall(r"<!-- sql: (\w+) -->\s*```sql\n(.*?)```", text, flags=re.S)
    return {name: sql for name, sql in found}


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """8 finished runs: learning rate x epochs x seed."""
    path = grid_store(tmp_path_factory.mktemp("grid"))
    store = specrun.open_store(str(path))
    metrics = store.query(
        "SELECT run_id, step, value FROM metrics WHERE split = 'eval' AND name = 'accuracy'"
    )
    params = store.query(
        """SELECT run_id, max(value_num) FILTER (path = 'model.lr') AS lr,
                  max(value_int) FILTER (path = 'model.epochs') AS epochs,
                  max(value_int) FILTER (path = 'seed') AS seed
           FROM params GROUP BY run_id"""
    )
    final = (
        metrics.sort("step")
        .group_by("run_id")
        .agg(pl.col("value").last().alias("accuracy"))
        .join(params, on="run_id")
    )
    return store, metrics, final


def test_the_doc_shows_every_tested_query():
    assert set(doc_queries()) == {
        "mean_std_by_param",
        "pivot_two_params",
        "or_conditions",
        "best_step_window",
        "top_runs_final",
    }


def test_mean_and_std_across_seeds_by_param(grid):
    store, _, final = grid
    got = store.query(doc_queries()["mean_std_by_param"])
    assert got["lr"].to_list() == list(LRS) and got["runs"].to_list() == [4, 4]
    for row in got.iter_rows(named=True):
        values = final.filter(pl.col("lr") == row["lr"])["accuracy"].to_list()
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        assert row["mean_accuracy"] == pytest.approx(mean, rel=1e-12)
        assert row["std_accuracy"] == pytest.approx(std, rel=1e-9)
    # The two learning rates really differ, so the grouping is not vacuous.
    assert got["mean_accuracy"][0] != got["mean_accuracy"][1]


def test_pivot_by_two_params(grid):
    store, _, final = grid
    got = store.query(doc_queries()["pivot_two_params"])
    assert got.columns == ["lr", *[str(e) for e in EPOCHS]]
    for row in got.iter_rows(named=True):
        for epochs in EPOCHS:
            cell = final.filter((pl.col("lr") == row["lr"]) & (pl.col("epochs") == epochs))[
                "accuracy"
            ]
            assert cell.len() == len(SEEDS)
            assert row[str(epochs)] == pytest.approx(cell.mean(), rel=1e-12)


def test_or_conditions(grid):
    store, _, final = grid
    got = store.query(doc_queries()["or_conditions"])
    expected = (
        final.filter((pl.col("lr") < 0.2) | (pl.col("epochs") > 2))["run_id"].sort().to_list()
    )
    assert got["run_id"].to_list() == expected
    assert len(expected) == 6  # 4 with lr 0.1, plus the 2 with lr 0.5 and 3 epochs


def test_best_step_by_window_function(grid):
    store, metrics, _ = grid
    got = store.query(doc_queries()["best_step_window"])
    assert got.height == 8
    for row in got.iter_rows(named=True):
        steps = metrics.filter(pl.col("run_id") == row["run_id"])
        best = steps["value"].max()
        assert row["best_accuracy"] == best
        assert row["best_step"] == steps.filter(pl.col("value") == best)["step"].min()
    assert got["best_accuracy"].to_list() == sorted(got["best_accuracy"].to_list(), reverse=True)


def test_top_runs_from_metrics_final(grid):
    store, metrics, final = grid
    got = store.query(doc_queries()["top_runs_final"])
    expected = final.filter(pl.col("lr") >= 0.5).sort(
        ["accuracy", "run_id"], descending=[True, False]
    )
    assert got["run_id"].to_list() == expected["run_id"].head(3).to_list()
    assert got["accuracy"].to_list() == expected["accuracy"].head(3).to_list()
    last = metrics.group_by("run_id").agg(pl.col("step").max())
    for row in got.iter_rows(named=True):  # the value is the run's newest step's
        assert row["step"] == last.filter(pl.col("run_id") == row["run_id"])["step"][0]
