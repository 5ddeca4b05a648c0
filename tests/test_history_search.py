"""`specrun runs --where ... --sort ...`: finding runs by params and final metrics without SQL,
checked against the same answer computed in Polars from the raw rows of real quickstart runs."""

from __future__ import annotations

import polars as pl
import pytest
import specrun
from click.testing import CliRunner
from specrun.cli import cli
from specrun.errors import StoreError
from test_history_support import grid_store


@pytest.fixture
def grid(tmp_path):
    path = grid_store(tmp_path)
    return path, specrun.open_store(str(path))


def raw_table(store) -> pl.DataFrame:
    """One row per run: lr, epochs, seed and the final eval accuracy and train loss, from the
    metrics history (not from metrics_final, which the search reads)."""
    finals = store.query(
        """SELECT run_id, split || '/' || name AS key, arg_max(value, step) AS value
           FROM metrics GROUP BY ALL"""
    ).pivot(on="key", index="run_id", values="value")
    params = store.query(
        "SELECT run_id, path, value_num FROM params WHERE path IN ('model.lr', 'model.epochs', 'seed')"
    ).pivot(on="path", index="run_id", values="value_num")
    return finals.join(params, on="run_id")


def test_where_and_sort_give_the_best_runs_of_a_param_value(grid):
    _, store = grid
    raw = raw_table(store)
    want = raw.filter(pl.col("model.lr") == 0.5).sort(
        "eval/accuracy", descending=True, maintain_order=True
    )

    found = store.runs(where=["model.lr=0.5"], sort="eval/accuracy", last=0)
    assert found["eval/accuracy"].to_list() == want["eval/accuracy"].to_list()
    assert set(found["run_id"]) == set(want["run_id"]) and found.height == 4
    # the same search as a mapping, and cut to the best two
    top2 = store.runs(where={"model.lr": 0.5}, sort="eval/accuracy", last=2)
    assert top2["eval/accuracy"].to_list() == want["eval/accuracy"].to_list()[:2]

    # a loss is best when lowest: ascending without being told; "-" forces descending
    losses = store.runs(sort="train/loss", last=0)["train/loss"].to_list()
    assert losses == sorted(raw["train/loss"].to_list())
    assert store.runs(sort="-train/loss", last=0)["train/loss"].to_list() == losses[::-1]


def test_conditions_combine_with_and_over_params_and_metrics(grid):
    _, store = grid
    raw = raw_table(store)
    cut = raw["eval/accuracy"].median()
    want = raw.filter(
        (pl.col("model.epochs") >= 3) & (pl.col("eval/accuracy") > cut) & (pl.col("seed") != 1)
    )
    found = store.runs(where=["model.epochs>=3", f"eval/accuracy>{cut!r}", "seed!=1"], last=0)
    assert sorted(found["run_id"]) == sorted(want["run_id"])
    assert 0 < found.height < raw.height  # the filter kept some runs and dropped others
    # a string param, quoted or not, and a name pattern on top
    assert (
        store.runs(where=["model.kind='bow_softmax'"], name="quickstart*", last=0).height
        == raw.height
    )
    assert store.runs(where=["model.kind=svm"], last=0).height == 0


def test_runs_cli_prints_the_best_runs_with_the_sorted_metric(grid):
    path, store = grid
    best = store.runs(where=["model.lr=0.1"], sort="eval/accuracy", last=2)
    result = CliRunner().invoke(
        cli,
        [
            "runs",
            "-w",
            "model.lr=0.1",
            "--sort",
            "eval/accuracy",
            "--last",
            "2",
            "--store",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == best["run_id"].to_list()
    assert "eval/accuracy" in result.output and f"{best['eval/accuracy'][0]:.4g}" in rows[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-w", "model.lrr=0.1"], 'no run has a param model.lrr (did you mean "model.lr"?)'),
        (["-w", "model.kind>high"], "> compares numbers; 'high' is not one"),
        (["-w", "model.kind=3"], "model.kind holds str values, so it cannot match the number 3"),
        (["-w", "model.lr"], "write PATH OP VALUE"),
        (["-w", "eval/accuracy>high"], "is compared with a number"),
        (
            ["-w", "eval/acuracy>0.5"],
            'no run has a metric eval/acuracy (did you mean "eval/accuracy"?)',
        ),
        (["--sort", "eval/acuracy"], 'no run has this metric (did you mean "eval/accuracy"?)'),
        (["--sort", "accuracy"], "name a metric as split/name"),
    ],
)
def test_a_bad_search_is_one_clear_error(grid, args, message):
    path, _ = grid
    result = CliRunner().invoke(cli, ["runs", *args, "--store", str(path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_api_raises_store_errors(grid):
    _, store = grid
    with pytest.raises(StoreError, match="no run has a param"):
        store.runs(where={"model.nope": 1})


def test_pages_of_a_search_add_up_to_the_whole_and_count_runs_agrees(grid):
    """`offset` pages through a search (what `specrun ui` shows); `count_runs` counts it all."""
    _, store = grid
    whole = store.runs(where=["model.lr=0.5"], sort="eval/accuracy", last=0)
    pages = [
        store.runs(where=["model.lr=0.5"], sort="eval/accuracy", last=3, offset=o)
        for o in (0, 3, 6)
    ]
    assert pl.concat(pages)["run_id"].to_list() == whole["run_id"].to_list()
    assert store.count_runs(where=["model.lr=0.5"]) == whole.height == 4
    assert store.count_runs() == store.runs(last=0).height
    newest = store.runs(last=0)["run_id"].to_list()
    assert store.runs(last=2, offset=1)["run_id"].to_list() == newest[1:3]
