"""Sweeps on Ray Tune, in-process on one embedded Ray (started once for the module).

The local Ray declares one GPU that does not exist: Ray schedules by declared resources, so
two trials asking for 0.5 GPU each must share it, and a third must wait.
"""

from __future__ import annotations

import logging

import pytest
import specrun
from core_helpers import write_spec
from specrun.spec import load_spec
from specrun.sweep.driver import run_sweep

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
    from specrun.runner.driver import quiet_ray_env

    quiet_ray_env()
    import ray

    ray.init(
        address="local",  # our own, even where `ray start` left a cluster on the machine
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
    assert st.artifacts(by_trial[0]["run_id"]).height == 3  # model, params, model card
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


def test_pbt_continues_weak_trials_from_a_strong_trials_checkpoint(ray_local, tmp_path):
    """Two trials learn (lr 1.0, 0.6), two barely move (lr 0.002, 0.001). PBT must replace a
    weak one by a copy of a strong one's model: a new run whose parent is the copied run,
    whose metrics start after the copied step, at the copied model's accuracy. Synchronous
    PBT: every trial waits at each perturbation point, so the exploit happens however fast or
    staggered the trials are (asynchronous PBT skips it when the others have finished)."""
    import json

    store = str(tmp_path / "s.duckdb")
    spec = load_spec(
        spec_file(
            tmp_path,
            """
  metric: accuracy
  search: grid
  scheduler: {pbt: {perturbation_interval: 2, quantile_fraction: 0.5, resample_probability: 0.0, synch: true}}
  space:
    model.lr: {grid: [1.0, 0.6, 0.002, 0.001]}
""",
            epochs=6,
            rows=400,
            resources="{cpus: 0.5}",
        )
    )
    result = run_sweep(spec, store=store, quiet=True, print_result=False)
    assert result.status == "finished", result.error
    assert sorted(t["trial_index"] for t in result.trials) == [0, 1, 2, 3]
    assert all(t["status"] == "finished" for t in result.trials)

    st = specrun.open_store(store)
    runs = st.query(
        "SELECT run_id, trial_index, parent_id, status, error, overrides FROM runs "
        "WHERE sweep_id = ? ORDER BY created_at",
        [result.sweep_id],
    ).to_dicts()
    by_id = {r["run_id"]: r for r in runs}
    copies = [
        r
        for r in runs
        if r["parent_id"] and by_id[r["parent_id"]]["trial_index"] != r["trial_index"]
    ]
    assert copies, f"PBT never exploited: {[(r['trial_index'], r['status']) for r in runs]}"

    def accuracy(run_id):
        return dict(st.metrics(run_id, "accuracy").select("step", "value").iter_rows())

    assert all(r["parent_id"] in by_id for r in runs if r["parent_id"])  # real runs only
    first_copy = copies[0]
    assert first_copy["trial_index"] in (2, 3)  # the first to be replaced is a weak trial
    assert by_id[first_copy["parent_id"]]["trial_index"] in (0, 1)  # by a strong one
    grid = [1.0, 0.6, 0.002, 0.001]
    for copy in copies:
        donor = by_id[copy["parent_id"]]
        mine, theirs = accuracy(copy["run_id"]), accuracy(donor["run_id"])
        first = min(mine)
        assert first > 0 and first - 1 in theirs  # continues after the copied step
        # the copied weights came along: at once near the donor's accuracy
        assert mine[first] >= theirs[first - 1] - 0.1
        # the values came from the donor, perturbed one place along the grid
        lr = json.loads(dict(o.split("=", 1) for o in copy["overrides"])["model.lr"])
        donor_lr = json.loads(dict(o.split("=", 1) for o in donor["overrides"])["model.lr"])
        assert abs(grid.index(lr) - grid.index(donor_lr)) <= 1
        # the run it replaced is stopped, and says by what
        replaced = [
            r
            for r in runs
            if r["trial_index"] == copy["trial_index"]
            and r["error"]
            and copy["run_id"] in r["error"]
        ]
        assert len(replaced) == 1 and replaced[0]["status"] == "stopped"
        assert "replaced by the pbt scheduler" in replaced[0]["error"]
    # a trial paused to let others train, then resumed, stays one run: steps have no gaps
    for r in runs:
        steps = sorted(accuracy(r["run_id"]))
        assert steps == list(range(steps[0], steps[-1] + 1))
    weak_start = [r for r in runs if r["trial_index"] in (2, 3) and r["parent_id"] is None]
    weak_best = max(max(accuracy(r["run_id"]).values()) for r in weak_start)
    assert any(max(accuracy(c["run_id"]).values()) > weak_best + 0.2 for c in copies)
    # the sweep's best is a finished run, with the strong accuracy
    assert result.best["value"] > 0.8


def test_pbt_refuses_a_trainer_that_saves_no_checkpoint(tmp_path):
    from specrun.context import Predictions, RunContext
    from specrun.errors import UserError

    class PbtSink:  # what a PBT trial's sink says: every report wants the trainer's state
        wants_checkpoint = True

        def __init__(self):
            self.events = []

        def __call__(self, event):
            self.events.append(event)

    class Accuracy:
        def compute(self, preds):
            return {"accuracy": 0.5}

    sink = PbtSink()
    spec = {"seed": 0, "model": {"kind": "frozen_thing"}}
    ctx = RunContext("r1", spec, sink, tmp_path, metric_components=[Accuracy()])
    with pytest.raises(UserError, match="model kind 'frozen_thing' saves none"):
        ctx.evaluate(Predictions("eval", outputs=["a"], references=["a"]))
    ctx.checkpointable(lambda: {"w": 1})
    ctx.step = 3
    ctx.evaluate(Predictions("eval", outputs=["a"], references=["a"]))
    assert sink.events[-1] == ("report", {"eval/accuracy": 0.5}, 3, {"w": 1})


@pytest.mark.parametrize("search", ["optuna", "hyperopt"])
def test_adaptive_search_when_installed(ray_local, tmp_path, search):
    pytest.importorskip(search)
    spec = load_spec(
        spec_file(
            tmp_path,
            f"""
  metric: accuracy
  search: {search}
  num_samples: 4
  max_concurrent: 2
  space:
    model.lr: {{loguniform: [0.01, 2.0]}}
    model.l2: {{choice: [0.0, 0.001]}}
    model.batch_size: {{qrandint: [8, 64, 8]}}
""",
            epochs=2,
        )
    )
    store = str(tmp_path / "s.duckdb")
    result = run_sweep(spec, store=store, quiet=True, print_result=False)
    assert result.status == "finished", result.error
    assert sorted(t["trial_index"] for t in result.trials) == [0, 1, 2, 3]
    seen = set()
    for t in result.trials:
        values = t["values"]
        assert t["status"] == "finished" and 0.01 <= values["model.lr"] <= 2.0
        assert values["model.l2"] in (0.0, 0.001)
        assert values["model.batch_size"] in range(8, 65, 8)
        seen.add(values["model.lr"])
    assert len(seen) == 4  # four suggestions, not one repeated
    # the best is the best: sorted by the metric, the sweep row agrees
    values = [t["value"] for t in result.trials]
    assert values == sorted(values, reverse=True)
    st = specrun.open_store(store)
    assert st.query("SELECT best_run_id FROM sweeps")["best_run_id"][0] == result.best_run_id
