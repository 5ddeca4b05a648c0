"""`specrun sweep` as a user runs it: Ctrl-C stops it cleanly, --resume finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import specrun
from core_helpers import ROOT, run_cli, write_spec

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SPEC = """
name: interrupt-me
seed: 4
data: {kind: generated_topics, rows: 4000, split: {eval: 0.2, stratify: label}}
model: {kind: bow_softmax, epochs: 200, features: 512, samples: 0}  # trials of seconds
metrics: [{kind: accuracy}]
resources: {cpus: 1}
sweep:
  metric: accuracy
  search: grid
  max_concurrent: 1
  space:
    model.lr: {grid: [0.9, 0.6, 0.3]}
"""


def _count(store, sql: str) -> int:
    try:
        return int(specrun.open_store(str(store)).query(sql)["n"][0])
    except specrun.StoreError:  # not created yet, or busy
        return 0


def test_ctrl_c_marks_the_running_trial_interrupted_and_resume_runs_only_the_rest(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    store = tmp_path / "s.duckdb"
    driver = subprocess.Popen(
        [sys.executable, "-m", "specrun.cli", "sweep", str(spec), "--store", str(store)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while _count(store, "SELECT count(*) AS n FROM runs WHERE status = 'finished'") < 1:
            assert driver.poll() is None, driver.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no trial finished in time"
            time.sleep(0.3)
        while _count(store, "SELECT count(*) AS n FROM runs WHERE status = 'running'") < 1:
            assert driver.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        driver.send_signal(signal.SIGINT)  # what Ctrl-C sends
        out, err = driver.communicate(timeout=180)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 130, err[-3000:]
    assert "--resume" in err
    st = specrun.open_store(str(store))
    sweep = st.query("SELECT sweep_id, status FROM sweeps").row(0, named=True)
    assert sweep["status"] == "interrupted"
    statuses = st.query("SELECT trial_index, status FROM runs ORDER BY trial_index").rows()
    assert "running" not in {s for _, s in statuses}
    assert "interrupted" in {s for _, s in statuses}
    done_before = {i for i, s in statuses if s == "finished"}
    assert done_before and len(done_before) < 3

    resumed = run_cli(
        "sweep", str(spec), "--store", str(store), "--resume", sweep["sweep_id"], timeout=400
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    runs = st.query(
        "SELECT trial_index, list(status ORDER BY created_at) AS s FROM runs GROUP BY 1 ORDER BY 1"
    )
    history = dict(runs.rows())
    assert sorted(history) == [0, 1, 2]
    for i, seq in history.items():
        assert seq[-1] == "finished"
        if i in done_before:
            assert seq == ["finished"]  # a finished trial is not run again
    assert st.query("SELECT status FROM sweeps")["status"][0] == "finished"
    assert "best run:" in resumed.stdout


@pytest.mark.parametrize(("command", "example"), [("sweep", "sweep_topics"), ("cv", "cv_topics")])
def test_sweep_or_cv_of_a_spec_without_that_section_is_a_clear_error(command, example, tmp_path):
    result = run_cli(
        command,
        str(ROOT / "specs" / "quickstart_topics.yaml"),
        "--store",
        str(tmp_path / "s.duckdb"),
    )
    assert result.returncode == 2, result.stderr
    assert (
        f"quickstart_topics.yaml has no {command}: section (see specs/{example}.yaml)"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s.duckdb").exists()  # nothing was started, so nothing was written
