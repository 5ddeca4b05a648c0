"""Faults: a crash, Ctrl-C, a killed worker or driver leave the run marked with its error
and every metric logged before it still in the store; bad resources write nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import specrun
from core_helpers import ROOT, run_cli, write_spec

COUNTING = """\
name: counting
data: {{kind: generated_topics, rows: 50}}
model:
  kind: counting
  steps: {steps}
  delay_s: {delay}
  pid_file: {pid_file}
metrics: [{{kind: mean_abs_error}}]
"""


def _spec(tmp_path: Path, steps: int = 400, delay: float = 0.05) -> tuple[Path, Path]:
    pid_file = tmp_path / "worker.pid"
    return write_spec(
        tmp_path, COUNTING.format(steps=steps, delay=delay, pid_file=pid_file)
    ), pid_file


def _start(args: list[str], env_extra: dict) -> subprocess.Popen:
    env = dict(os.environ, **env_extra)
    return subprocess.Popen(
        [sys.executable, "-m", "specrun.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def _only_run(store_file: Path) -> dict:
    store = specrun.open_store(str(store_file))
    runs = store.runs()
    assert runs.height == 1
    return runs.row(0, named=True)


def test_plugin_factory_that_raises_is_a_recorded_failure(tmp_path, with_example_plugin):
    spec = write_spec(
        tmp_path, "name: boom\ndata: {kind: generated_topics, rows: 50}\nmodel: {kind: exploding}\n"
    )
    out = run_cli("run", str(spec), "--local", "--store", str(tmp_path / "s.duckdb"))
    assert out.returncode == 1
    assert (
        "RuntimeError: boom: the plugin's factory failed" in out.stderr
        and "Traceback" not in out.stderr
    )
    row = _only_run(tmp_path / "s.duckdb")
    assert row["status"] == "failed"
    tb = specrun.open_store(str(tmp_path / "s.duckdb")).run(row["run_id"])["traceback"]
    assert "Traceback" in tb and "exploding" in tb


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_keeps_metrics_and_marks_interrupted(tmp_path, with_example_plugin, sig):
    spec, pid_file = _spec(tmp_path)
    store_file = tmp_path / "s.duckdb"
    proc = _start(["run", str(spec), "--local", "--store", str(store_file)], {})
    _wait_for(pid_file)
    time.sleep(1.5)  # let metrics flow, and read the store while the run is in flight
    live = specrun.open_store(str(store_file)).runs()
    assert live["status"].to_list() == ["running"]
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    # not an empty table: the last value logged, said to be that
    assert "last values logged before the run was interrupted" in out and "error" in out, out
    row = _only_run(store_file)
    assert row["status"] == "interrupted" and "interrupted" in row["error"]
    n = specrun.open_store(str(store_file)).query("SELECT count(*) AS n FROM metrics")["n"][0]
    assert n >= 5, "metrics logged before the interrupt must be kept"


@pytest.mark.ray
def test_killed_worker_is_a_recorded_failure_with_metrics_kept(tmp_path, with_example_plugin):
    spec, pid_file = _spec(tmp_path)
    store_file = tmp_path / "s.duckdb"
    proc = _start(["run", str(spec), "--store", str(store_file)], {})
    _wait_for(pid_file)
    worker_pid = int(pid_file.read_text())
    assert worker_pid != proc.pid, "the run must execute in a Ray worker process"
    time.sleep(1.5)
    os.kill(worker_pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "worker process running the run died" in err
    row = _only_run(store_file)
    assert row["status"] == "failed" and "died" in row["error"]
    n = specrun.open_store(str(store_file)).query(
        "SELECT count(*) AS n FROM metrics WHERE name = 'error'"
    )["n"][0]
    assert n >= 5


def test_killed_driver_is_marked_interrupted_by_the_next_run(tmp_path, with_example_plugin):
    spec, pid_file = _spec(tmp_path)
    store_file = tmp_path / "s.duckdb"
    proc = _start(["run", str(spec), "--local", "--store", str(store_file)], {})
    _wait_for(pid_file)
    proc.kill()
    proc.communicate(timeout=30)
    (tmp_path / "quick").mkdir()
    quick, _ = _spec(tmp_path / "quick", steps=2, delay=0)
    out = run_cli("run", str(quick), "--local", "--store", str(store_file))
    assert out.returncode == 0, out.stderr
    runs = specrun.open_store(str(store_file)).runs().sort("created_at")
    assert runs["status"].to_list() == ["interrupted", "finished"]
    assert "ended without recording an outcome" in runs["error"][0]


@pytest.mark.parametrize("mode", ["--local", "--ray"])
def test_gpu_asked_where_there_is_none_is_a_clear_error_and_writes_nothing(tmp_path, mode):
    spec = write_spec(
        tmp_path,
        "name: g\ndata: {kind: generated_topics, rows: 50}\nmodel: {kind: bow_softmax}\nresources: {gpus: 1}\n",
    )
    args = ["run", str(spec), "--store", str(tmp_path / "s.duckdb")] + (
        ["--local"] if mode == "--local" else []
    )
    out = run_cli(*args, env={"CUDA_VISIBLE_DEVICES": ""})
    assert out.returncode == 2, out.stderr
    assert "asks for 1 GPU" in out.stderr and "resources.gpus: 0" in out.stderr
    assert "Traceback" not in out.stderr
    assert (
        not (tmp_path / "s.duckdb").exists()
        or specrun.open_store(str(tmp_path / "s.duckdb")).runs().height == 0
    )


@pytest.mark.ray
def test_sigterm_under_ray_is_interrupted_with_130_like_local(tmp_path, with_example_plugin):
    """Ray's driver installs its own SIGTERM handler (sys.exit(15)) in ray.init: `timeout`,
    Slurm, Kubernetes and `docker stop` must still get an interrupted run and exit 130."""
    spec, pid_file = _spec(tmp_path)
    store_file = tmp_path / "s.duckdb"
    proc = _start(["run", str(spec), "--store", str(store_file)], {})
    _wait_for(pid_file)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "SIGTERM received" not in err  # no C++ stack dump either
    row = _only_run(store_file)
    assert row["status"] == "interrupted", row["error"]
    n = specrun.open_store(str(store_file)).query("SELECT count(*) AS n FROM metrics")["n"][0]
    assert n >= 5


@pytest.mark.ray
@pytest.mark.slow
def test_sigterm_stops_a_sweep_as_interrupted_with_130(tmp_path, with_example_plugin):
    spec, pid_file = _spec(tmp_path)
    spec.write_text(
        spec.read_text() + "resources: {cpus: 1}\nsweep:\n  metric: mae\n  mode: min\n"
        "  search: grid\n  max_concurrent: 1\n  space:\n    model.lr: {grid: [0.5, 0.3]}\n"
    )
    store_file = tmp_path / "s.duckdb"
    proc = _start(["sweep", str(spec), "--store", str(store_file)], {})
    _wait_for(pid_file, timeout=240)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err[-3000:]
    st = specrun.open_store(str(store_file))
    assert st.query("SELECT status FROM sweeps")["status"].to_list() == ["interrupted"]
    assert "interrupted" in st.query("SELECT status FROM runs")["status"].to_list()


@pytest.mark.ray
def test_ctrl_c_under_ray_writes_every_event_the_worker_sent_before_it(
    tmp_path, with_example_plugin
):
    """A fast worker logging samples at every step: the driver keeps up, and an interrupt
    writes what the worker had sent instead of dropping the actor's queue."""
    step_file = tmp_path / "step"
    spec = write_spec(
        tmp_path,
        f"""\
name: fast
data: {{kind: generated_topics, rows: 50}}
model: {{kind: counting, steps: 1000000, samples_per_step: 4, pid_file: {tmp_path / "pid"}, step_file: {step_file}}}
""",
    )
    store_file = tmp_path / "s.duckdb"
    proc = _start(["run", str(spec), "--store", str(store_file)], {})
    _wait_for(tmp_path / "pid")
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    sent = int(step_file.read_text() or 0)  # the worker had sent at least this many steps
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert sent > 200
    st = specrun.open_store(str(store_file))
    steps = st.query("SELECT max(step) AS s, count(*) AS n FROM metrics").row(0, named=True)
    assert steps["s"] >= sent and steps["n"] == steps["s"], (steps, sent)
    samples = st.query("SELECT count(*) AS n FROM samples")["n"][0]
    assert samples >= 4 * sent


def test_a_drain_reply_lost_to_ctrl_c_is_handed_out_again():
    """The actor keeps what it handed the driver until the driver says it recorded it: a
    reply lost on the way (Ctrl-C while ray.get waits) comes again, not never."""
    from specrun.runner.worker import RunWorker

    worker = RunWorker()
    for step in range(5):
        worker.events.put(("metrics", "train", {"loss": 1.0}, step))
    first = worker.drain(0, max_events=3)
    assert [e[3] for e in first] == [0, 1, 2]
    assert worker.drain(0, max_events=3) == first  # the driver recorded none of them
    assert [e[3] for e in worker.drain(3)] == [3, 4]
    assert worker.drain(5) == []
