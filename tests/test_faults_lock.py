"""A reader that holds the store (a notebook's ``duckdb.connect(path, read_only=True)``, a
long query) in another process never fails a run: its writes wait, journaled beside the
store, and go in when the file is free, or with the next writer if the run died."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import specrun
from core_helpers import ROOT, write_spec

COUNTING = """\
name: counting
data: {{kind: generated_topics, rows: 50}}
model: {{kind: counting, steps: {steps}, delay_s: {delay}, pid_file: {pid_file}}}
metrics: [{{kind: mean_abs_error}}]
"""

HOLDER = """
import sys, time, duckdb
path, seconds, flag = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 60
while True:  # the run's writer lets go of the file every second
    try:
        db = duckdb.connect(path, read_only=True)
        break
    except duckdb.Error:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.01)
db.execute("SELECT count(*) FROM runs").fetchall()
open(flag, "w").write("held")
time.sleep(seconds)
db.close()
"""


def _hold(store: Path, seconds: float, tmp_path: Path) -> subprocess.Popen:
    """Another process that opens the store read-only and keeps it for ``seconds``."""
    flag = tmp_path / f"held-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(store), str(seconds), str(flag)])
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the holder never got the file"
        time.sleep(0.01)
    return proc


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "specrun.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, **env),
        cwd=ROOT,
    )


def _wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _spec(tmp_path: Path, steps: int, delay: float) -> tuple[Path, Path]:
    pid_file = tmp_path / "worker.pid"
    return write_spec(
        tmp_path, COUNTING.format(steps=steps, delay=delay, pid_file=pid_file)
    ), pid_file


WAIT = {"SPECRUN_STORE_LOCK_WAIT": "2"}  # what used to fail a run after that long (60 s by default)


def test_a_reader_holding_the_store_longer_than_the_lock_wait_does_not_fail_the_run(
    tmp_path, with_example_plugin
):
    spec, pid_file = _spec(tmp_path, steps=160, delay=0.05)  # about 8 s
    store = tmp_path / "s.duckdb"
    run = _start(["run", str(spec), "--local", "--store", str(store)], WAIT)
    _wait_for(pid_file)
    holder = _hold(store, 5.0, tmp_path)  # 2.5 x the lock wait, in the middle of the run
    holder.wait(timeout=60)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "held by another process" in err and "free again" in err
    st = specrun.open_store(str(store))
    row = st.runs().row(0, named=True)
    assert row["status"] == "finished"
    steps = st.query("SELECT step FROM metrics WHERE name = 'error' ORDER BY step")[
        "step"
    ].to_list()
    assert steps == list(range(1, 161)), "every step logged while the file was held is in the store"
    assert st.query("SELECT count(*) AS n FROM artifacts")["n"][0] >= 1
    assert not list((tmp_path / "s.duckdb.journal").glob("*.json")), (
        "a merged journal entry is removed"
    )


def test_a_run_killed_while_the_store_is_held_loses_nothing_it_journaled(
    tmp_path, with_example_plugin
):
    spec, pid_file = _spec(tmp_path, steps=2000, delay=0.02)
    store = tmp_path / "s.duckdb"
    run = _start(["run", str(spec), "--local", "--store", str(store)], WAIT)
    _wait_for(pid_file)
    holder = _hold(store, 6.0, tmp_path)
    time.sleep(4.0)
    journal = list((tmp_path / "s.duckdb.journal").glob("*.json"))
    assert len(journal) == 1, "the writes that wait are journaled beside the store"
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    journaled = json.loads(journal[0].read_text())["metrics"][3]  # the step column
    assert len(journaled) > 50
    holder.wait(timeout=60)
    (tmp_path / "quick").mkdir()
    quick, _ = _spec(tmp_path / "quick", steps=2, delay=0)
    out = subprocess.run(
        [sys.executable, "-m", "specrun.cli", "run", str(quick), "--local", "--store", str(store)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    st = specrun.open_store(str(store))
    runs = st.runs().sort("created_at")
    assert runs["status"].to_list() == ["interrupted", "finished"]
    killed = runs["run_id"][0]
    steps = st.query(
        f"SELECT step FROM metrics WHERE run_id = '{killed}' AND name = 'error' ORDER BY step"
    )
    assert steps["step"].to_list() == list(range(1, max(journaled) + 1)), (
        "nothing journaled is lost, nothing twice"
    )
    assert not journal[0].exists()


def test_a_run_that_cannot_get_the_store_at_its_start_waits_and_says_why(
    tmp_path, with_example_plugin
):
    spec, _ = _spec(tmp_path, steps=3, delay=0)
    store = tmp_path / "s.duckdb"
    first = subprocess.run(
        [sys.executable, "-m", "specrun.cli", "run", str(spec), "--local", "--store", str(store)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    holder = _hold(store, 10.0, tmp_path)  # longer than specrun takes to start
    waited = _start(
        ["run", str(spec), "--local", "--store", str(store)], {"SPECRUN_STORE_LOCK_WAIT": "30"}
    )
    out, err = waited.communicate(timeout=120)
    holder.wait(timeout=60)
    assert waited.returncode == 0, err
    assert "waiting for the run store" in err and "another process holds it" in err
    holder = _hold(store, 10.0, tmp_path)
    refused = _start(
        ["run", str(spec), "--local", "--store", str(store)], {"SPECRUN_STORE_LOCK_WAIT": "1"}
    )
    out, err = refused.communicate(timeout=120)
    holder.wait(timeout=60)
    assert refused.returncode == 2, err
    assert "stayed locked by another process" in err and "SPECRUN_STORE_LOCK_WAIT" in err
    assert "Traceback" not in err
    assert specrun.open_store(str(store)).runs().height == 2, "a refused run writes nothing"


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
