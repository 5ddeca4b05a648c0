"""Sweeps on Ray Tune, in-process on one embedded Ray (started once for the module).

The local Ray declares one GPU that does not exist: Ray schedules by declared resources, so
two trials asking for 0.5 GPU each must share it, and a third must wait.
"""

from __future__ import annotations

import logging

import pytest
from core_helpers import write_spec

import specrun
from specrun.spec import load_spec
from specrun.sweep import run_sweep

pytestmark = pytest.mark.ray

SPEC = """
name: sweep-test
seed: 5
data: {{kind: generated_topics, rows: {rows}, split: {{eval: 0.25, stratify: label}}}}
model: {{kind: bow_softmax, epochs: {epochs}, features: 256, samples: 2}}
metrics: [{{kind: accuracy}}]
resources: {resources}
sweep:
{sweep}
"""


@pytest.fixture(scope="module")
def ray_local():
    from specrun.execution import quiet_ray_env

    quiet_ray_env()
    import ray

    ray.init(
        num_cpus=2,
        num_gpus=1,
        include_dashboard=False,
        logging_level=logging.ERROR,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


def spec_file(tmp_path, sweep: str, epochs: int = 3, resources: str = "{cpus: 1}", rows: int = 240):
    text = SPEC.format(sweep=sweep, epochs=epochs, resources=resources, rows=rows)
    return write_spec(tmp_path, text)


def test_asha_stops_a_weak_trial_a_failing_trial_does_not_stop_the_sweep(ray_local, tmp_path):
    store = str(tmp_path / "s.duckdb")
    spec = load_spec(
        spec_file(
            tmp_path,
            """
  metric: accuracy
  search: grid
  max_concurrent: 1
  scheduler: {asha: {grace_period: 1, reduction_factor: 2}}
  space:
    model.lr: {grid: [1.0, 0.002]}
    model.label: {grid: [label, no_such_column]}
""",
        )
    )
    result = run_sweep(spec, store=store, quiet=True, print_result=False)
    assert result.status == "finished", result.error
    by_trial = {t["trial_index"]: t for t in result.trials}
    assert {i: t["status"] for i, t in by_trial.items()} == {
        0: "finished",
        1: "failed",
        2: "stopped",
        3: "failed",
    }
    assert "no_such_column" in by_trial[1]["error"]
    assert "stopped early by the asha scheduler" in by_trial[2]["error"]
    assert result.best_run_id == by_trial[0]["run_id"]
    assert [t["trial_index"] for t in result.trials[:2]] == [0, 2]  # sorted by eval/accuracy

    st = specrun.open_store(store)
    runs = st.runs(sweep=result.sweep_id)
    assert runs.height == 4 and set(runs["sweep_id"]) == {result.sweep_id}
    for t in result.trials:  # each trial is a full run with its own resolved spec
        run = st.run(t["run_id"])
        resolved = __import__("json").loads(run["spec_resolved"])
        assert resolved.get("sweep") is None
        assert resolved["model"]["lr"] == t["values"]["model.lr"]
        assert resolved["model"]["label"] == t["values"]["model.label"]
        assert run["node_id"] and run["trial_index"] == t["trial_index"]
    stopped = st.metrics(by_trial[2]["run_id"], "accuracy")
    assert stopped.height >= 2  # the metrics it reached before ASHA stopped it are kept
    assert (
        st.metrics(by_trial[0]["run_id"], "accuracy")["value"].max() > stopped["value"].max() + 0.2
    )
    assert st.artifacts(by_trial[0]["run_id"]).height == 2
    assert st.artifacts(by_trial[2]["run_id"]).height == 0
    assert st.samples(by_trial[0]["run_id"]).height > 0
    sweep = st.query("SELECT * FROM sweeps").row(0, named=True)
    assert sweep["status"] == "finished" and sweep["best_run_id"] == result.best_run_id
    assert sweep["metric"] == "eval/accuracy" and sweep["num_samples"] == 4
    assert abs(sweep["best_value"] - by_trial[0]["value"]) < 1e-12


def test_half_gpu_trials_pack_two_per_gpu(ray_local, tmp_path):
    store = str(tmp_path / "s.duckdb")
    spec = load_spec(
        spec_file(
            tmp_path,
            """
  metric: eval/accuracy
  num_samples: 3
  space:
    model.lr: {uniform: [0.3, 1.0]}
""",
            epochs=40,  # trials of a few seconds: longer than starting the next one
            rows=4000,
            resources="{cpus: 0.5, gpus: 0.5}",
        )
    )
    result = run_sweep(spec, store=store, quiet=True, print_result=False)
    assert result.status == "finished" and len(result.trials) == 3
    assert all(t["status"] == "finished" for t in result.trials)
    # Tune held resources for two trials at once on one GPU (each asked for half), never three.
    assert result.peak_running == 2


def test_a_metric_no_trial_reports_fails_the_sweep_clearly(ray_local, tmp_path):
    spec = load_spec(
        spec_file(
            tmp_path,
            """
  metric: bleu
  space:
    model.lr: {choice: [0.5]}
""",
            epochs=1,
        )
    )
    result = run_sweep(spec, store=str(tmp_path / "s.duckdb"), quiet=True, print_result=False)
    assert result.status == "failed" and result.user_error
    assert "eval/bleu was never reported" in result.error and "eval/accuracy" in result.error


def test_resume_reruns_only_failed_trials(ray_local, tmp_path):
    """A trial fails on a missing column; the data is fixed (the spec is not) and the
    resume runs that trial alone."""
    import polars as pl

    data = tmp_path / "topics.csv"
    frame = pl.DataFrame(
        {
            "text": [f"w{i % 7} w{i % 3} x{i % 5}" for i in range(120)],
            "label": [f"c{i % 3}" for i in range(120)],
        }
    )
    frame.write_csv(data)
    text = f"""
name: resume-test
seed: 1
data: {{kind: table, path: {data}, split: {{eval: 0.25}}}}
model: {{kind: bow_softmax, epochs: 1, features: 64, samples: 0}}
metrics: [{{kind: accuracy}}]
sweep:
  metric: accuracy
  search: grid
  space:
    model.label: {{grid: [label, label2]}}
"""
    spec_path = write_spec(tmp_path, text)
    store = str(tmp_path / "s.duckdb")
    first = run_sweep(load_spec(spec_path), store=store, quiet=True, print_result=False)
    assert [t["status"] for t in sorted(first.trials, key=lambda t: t["trial_index"])] == [
        "finished",
        "failed",
    ]
    frame.with_columns(label2=pl.col("label")).write_csv(data)
    second = run_sweep(
        load_spec(spec_path), store=store, quiet=True, print_result=False, resume=first.sweep_id[:6]
    )
    assert second.sweep_id == first.sweep_id and second.skipped == 1
    assert second.status == "finished"
    assert [t["status"] for t in sorted(second.trials, key=lambda t: t["trial_index"])] == [
        "finished",
        "finished",
    ]
    st = specrun.open_store(store)
    counts = st.query(
        "SELECT trial_index, list(status ORDER BY created_at) AS s FROM runs GROUP BY 1 ORDER BY 1"
    )
    assert counts["s"].to_list() == [["finished"], ["failed", "finished"]]
    third = run_sweep(
        load_spec(spec_path), store=store, quiet=True, print_result=False, resume=first.sweep_id
    )
    assert third.status == "finished" and third.skipped == 2
    assert st.query("SELECT count(*) AS n FROM runs")["n"][0] == 3  # nothing ran again


def test_optuna_search_when_installed(ray_local, tmp_path):
    pytest.importorskip("optuna")
    spec = load_spec(
        spec_file(
            tmp_path,
            """
  metric: accuracy
  search: optuna
  num_samples: 3
  max_concurrent: 2
  space:
    model.lr: {loguniform: [0.01, 2.0]}
    model.l2: {choice: [0.0, 0.001]}
""",
            epochs=1,
        )
    )
    result = run_sweep(spec, store=str(tmp_path / "s.duckdb"), quiet=True, print_result=False)
    assert result.status == "finished" and sorted(t["trial_index"] for t in result.trials) == [
        0,
        1,
        2,
    ]
    for t in result.trials:
        assert t["status"] == "finished" and 0.01 <= t["values"]["model.lr"] <= 2.0
        assert t["values"]["model.l2"] in (0.0, 0.001)
    assert result.best_run_id == result.trials[0]["run_id"]
