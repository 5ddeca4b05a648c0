"""Sweep plans, checked before any trial starts (no Ray needed)."""

from __future__ import annotations

import json

import pytest
from core_helpers import SPECS, write_spec
from specrun.errors import SpecError, UserError
from specrun.spec import load_spec
from specrun.sweep.driver import run_sweep
from specrun.sweep.space import build_plan, metric_key

BASE = """
name: sw
seed: 3
data: {kind: generated_topics, rows: 120}
model: {kind: bow_softmax, epochs: 1}
metrics: [{kind: accuracy}]
sweep:
"""


def plan_for(tmp_path, sweep_yaml: str):
    return build_plan(load_spec(write_spec(tmp_path, BASE + sweep_yaml)))


def test_metric_names_default_to_eval_split():
    assert metric_key("bleu") == "eval/bleu"
    assert metric_key("test/macro_f1") == "test/macro_f1"
    with pytest.raises(UserError, match="SPLIT/NAME"):
        metric_key("dev/accuracy")


def test_random_plan_is_seeded_in_bounds_and_crosses_grid(tmp_path):
    sweep = """
  metric: accuracy
  num_samples: 3
  space:
    model.lr: {loguniform: [0.001, 1.0]}
    model.features: {grid: [64, 128]}
    model.batch_size: {qrandint: [8, 64, 8]}
    model.epochs: {randint: [1, 3]}
"""
    plan = plan_for(tmp_path, sweep)
    again = plan_for(tmp_path, sweep)
    assert plan.trials == again.trials  # planned on the driver with the spec's seed: resumable
    assert len(plan.trials) == 6  # 2 grid points x 3 samples
    assert [t["model.features"] for t in plan.trials] == [64, 64, 64, 128, 128, 128]
    for t in plan.trials:
        assert 0.001 <= t["model.lr"] <= 1.0
        assert t["model.batch_size"] % 8 == 0 and 8 <= t["model.batch_size"] <= 64
        assert t["model.epochs"] in (1, 2)
    assert len({t["model.lr"] for t in plan.trials}) == 6


def test_grid_search_enumerates_choices(tmp_path):
    plan = plan_for(
        tmp_path,
        """
  metric: accuracy
  search: grid
  space:
    model.lr: {choice: [0.1, 0.5]}
    model.l2: {choice: [0.0, 0.01, 0.1]}
""",
    )
    assert [(t["model.lr"], t["model.l2"]) for t in plan.trials] == [
        (0.1, 0.0),
        (0.1, 0.01),
        (0.1, 0.1),
        (0.5, 0.0),
        (0.5, 0.01),
        (0.5, 0.1),
    ]


def test_trial_spec_has_values_and_no_sweep(tmp_path):
    plan = plan_for(
        tmp_path,
        """
  metric: accuracy
  space:
    model.lr: {choice: [0.25]}
    data.split.eval: {choice: [0.3]}
""",
    )
    spec = plan.trial_spec(plan.trials[0])
    assert spec.data["model"]["lr"] == 0.25 and spec.data["data"]["split"]["eval"] == 0.3
    assert spec.data.get("sweep") is None
    assert spec.overrides == ["model.lr=0.25", "data.split.eval=0.3"]
    assert spec.hash != plan.spec.hash


def test_bounds_are_validated_against_the_plugin_params(tmp_path):
    with pytest.raises(SpecError) as err:
        plan_for(
            tmp_path,
            """
  metric: accuracy
  space:
    model.lr: {uniform: [0.0, 1.0]}
    model.features: {choice: [128, -4]}
""",
        )
    text = str(err.value)
    assert "sweep.space.model.lr" in text and "low bound (0.0)" in text and "greater than 0" in text
    assert "sweep.space.model.features" in text and "-4" in text
    assert "choice value 128" not in text  # only the bad value is reported


def test_unknown_paths_and_unswept_sections_fail_at_load(tmp_path):
    with pytest.raises(SpecError, match="not in the spec: model.lrr"):
        plan_for(tmp_path, "  metric: accuracy\n  space:\n    model.lrr: {choice: [1]}\n")


@pytest.mark.parametrize(
    "scheduler, message",
    [
        ("{asha: {grace: 1}}", "asha has no parameter 'grace'"),
        ("{asha: {grace_period: 5, max_t: 2}}", "asha rejects"),
        ("{pbt: {hyperparam_mutations: {}}}", "pbt has no parameter 'hyperparam_mutations'"),
        ("{pbt: {time_attr: time_total_s}}", "pbt.time_attr: step"),
        ("{pbt: {quantile_fraction: 0.9}}", "pbt rejects"),
        ("{kind: hyperband}", "unknown scheduler 'hyperband'"),
        ("pbt\n  search: optuna", "pbt draws and perturbs its own population"),
    ],
)
def test_scheduler_params_are_checked(tmp_path, scheduler, message):
    with pytest.raises(UserError, match=message):
        plan_for(
            tmp_path,
            f"  metric: accuracy\n  scheduler: {scheduler}\n"
            "  space:\n    model.lr: {choice: [1]}\n",
        )


def test_pbt_perturbs_the_swept_values_inside_their_bounds(tmp_path):
    from specrun.sweep.space import build_scheduler

    plan = plan_for(
        tmp_path,
        "  metric: accuracy\n  scheduler: {pbt: {perturbation_interval: 3}}\n  space:\n"
        "    model.lr: {loguniform: [0.01, 1.0]}\n    model.epochs: {randint: [1, 4]}\n"
        "    model.l2: {choice: [0.0, 0.001]}\n    resources.cpus: {choice: [1]}\n",
    )
    pbt = build_scheduler(plan, nested=True)
    assert pbt._perturbation_interval == 3 and pbt._time_attr == "step"
    mutations = pbt._hyperparam_mutations["plan"]["values"]
    assert set(mutations) == {"model.lr", "model.epochs", "model.l2"}  # never resources
    assert mutations["model.l2"] == [0.0, 0.001]
    clamp = pbt._custom_explore_fn
    config = {
        "plan": {
            "trial_index": 0,
            "values": {"model.lr": 1.2, "model.epochs": 4.8, "model.l2": 0.0},
        }
    }
    assert clamp(config)["plan"]["values"] == {"model.lr": 1.0, "model.epochs": 3, "model.l2": 0.0}
    low = {"plan": {"trial_index": 0, "values": {"model.lr": 0.004}}}
    assert clamp(low)["plan"]["values"] == {"model.lr": 0.01}
    flat = build_scheduler(plan, nested=False)
    assert "model.lr" in flat._hyperparam_mutations
    assert flat._custom_explore_fn({"model.lr": 0.5}) == {"model.lr": 0.5}


def test_adaptive_search_needs_its_package(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "hyperopt" else real(name, *a)
    )
    with pytest.raises(UserError, match="needs the hyperopt package"):
        plan_for(
            tmp_path,
            "  metric: accuracy\n  search: hyperopt\n  space:\n    model.lr: {uniform: [0.1, 1]}\n",
        )


def test_resume_of_a_changed_spec_is_refused_with_a_diff(tmp_path):
    import duckdb
    from specrun.store.connection import connect

    store = tmp_path / "s.duckdb"
    spec = load_spec(SPECS / "sweep_topics.yaml")
    with connect(store, write=True) as db:  # a sweep row as run_sweep writes it
        db.execute(
            "INSERT INTO sweeps (sweep_id, name, status, created_at, spec_resolved, metric, mode) "
            "VALUES ('abc123def456', 'sweep-topics', 'interrupted', now(), ?, "
            "'eval/accuracy', 'max')",
            [json.dumps(spec.data)],
        )
    changed = load_spec(SPECS / "sweep_topics.yaml", ["model.epochs=9"])
    with pytest.raises(UserError) as err:
        run_sweep(changed, store=str(store), resume="abc123", quiet=True, print_result=False)
    text = str(err.value)
    assert "different spec" in text and '-    "epochs": 6,' in text and '+    "epochs": 9,' in text
    with pytest.raises(UserError, match="no sweep 'zzz'"):
        run_sweep(spec, store=str(store), resume="zzz", quiet=True, print_result=False)
    assert (
        duckdb.connect(str(store), read_only=True)
        .execute("SELECT count(*) FROM runs")
        .fetchone()[0]
        == 0
    )


@pytest.mark.parametrize("search", ["optuna", "hyperopt"])
def test_adaptive_searchers_build_for_a_resumed_sweep(tmp_path, search):
    """A resume hands the finished trials to the searcher (optuna) or a new seed (hyperopt)."""
    pytest.importorskip(search)
    from specrun.sweep.space import build_searcher

    plan = plan_for(
        tmp_path,
        f"  metric: accuracy\n  search: {search}\n  space:\n    model.lr: {{uniform: [0.1, 1]}}\n",
    )
    fresh = build_searcher(plan, [])
    resumed = build_searcher(plan, [({"model.lr": 0.5}, 0.8), ({"model.lr": 0.2}, 0.6)])
    assert type(fresh) is type(resumed)
    if search == "hyperopt":
        # another seed: its first draws differ from the fresh sweep's (already run) ones
        assert resumed.rstate.randint(1 << 30) != fresh.rstate.randint(1 << 30)


def test_sweep_errors_name_the_file_and_line(tmp_path):
    """A bad scheduler param is reported where it is written (file:line:col: dotted path)."""
    from specrun.errors import SpecError

    with pytest.raises(SpecError) as caught:
        plan_for(
            tmp_path,
            "  metric: accuracy\n  scheduler: {pbt: {perturbation_intervall: 2}}\n"
            "  space:\n    model.lr: {uniform: [0.1, 1]}\n",
        )
    text = str(caught.value)
    line = BASE.count("\n") + 2  # the scheduler line, below the BASE lines
    assert text.startswith(f"{tmp_path / 'spec.yaml'}:{line}:"), text
    assert "sweep.scheduler: pbt has no parameter 'perturbation_intervall'" in text
    assert 'did you mean "perturbation_interval"' in text
