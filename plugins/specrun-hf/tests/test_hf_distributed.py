"""hf_seq2seq_trainer on 2 data-parallel CPU workers (Ray Train, gloo): the main job's spec
(specs/nmt_marian.yaml) shrunk to seconds, run with ``specrun`` as a subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from specrun.store.query import Store
from specrun.testing import assert_reproducible, newest_run, run_cli

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SPEC = Path(__file__).resolve().parents[3] / "specs" / "nmt_marian.yaml"
# A tiny Marian, 256 pairs, global batch 16 (8 per worker with 2), no dropout.
SMALL = [
    "data.train_rows=256",
    "data.eval_rows=16",
    "trainer.max_steps=8",
    "trainer.eval_steps=4",
    "trainer.batch_size=16",
    "trainer.eval_on_start=false",
    "trainer.logging_steps=1",
    "trainer.samples=2",
    "model.config.d_model=64",
    "model.config.encoder_ffn_dim=128",
    "model.config.decoder_ffn_dim=128",
    "model.config.dropout=0",
    "trainer.decoding.max_new_tokens=8",
    "resources.cpus=1",
]
# Measured: the 2-worker train loss equals the 1-worker one to ~1e-7 relative (accelerate
# shards the same seeded permutation; gloo averages the gradients): 1e-4 leaves room for
# float summation order, far below what a wrong shard or batch would give (~1e-2).
REL_TOL = 1e-4


def _overrides(*extra: str) -> list[str]:
    return [a for o in (*SMALL, *extra) for a in ("-o", o)]


def _losses(store: Store, run_id: str, split: str = "train") -> dict[int, float]:
    rows = store._q(
        "SELECT step, value FROM metrics WHERE run_id = ? AND split = ? AND name = 'loss'",
        [run_id, split],
    )
    return dict(zip(rows["step"].to_list(), rows["value"].to_list(), strict=True))


def test_two_workers_match_one_worker_and_rerun_exactly(tmp_path):
    store_path = tmp_path / "store"
    result = assert_reproducible(
        SPEC, [*SMALL, "resources.workers=2"], store=store_path, second_local=False
    )
    assert result["matched"]
    store = Store(store_path)
    two = store._q(
        "SELECT run_id, workers, restarts, placement, status FROM runs WHERE parent_id IS NULL"
    )
    assert two.height == 1 and two["workers"][0] == 2 and two["status"][0] == "finished"
    placement = json.loads(two["placement"][0])
    assert [p["rank"] for p in placement] == [0, 1]
    assert all(p["node_id"] and p["pid"] for p in placement)
    run2 = two["run_id"][0]
    dupes = store._q(
        "SELECT split, name, step, count(*) AS n FROM metrics WHERE run_id = ? "
        "GROUP BY ALL HAVING n > 1",
        [run2],
    )
    assert dupes.height == 0, dupes
    assert store._q("SELECT count(*) AS n FROM samples WHERE run_id = ?", [run2])["n"][0] == 2 * 2
    one = run_cli("run", str(SPEC), *_overrides(), "--store", str(store_path), "-q")
    assert one.returncode == 0, one.stderr[-2000:]
    run1 = newest_run(store_path)
    l1, l2 = _losses(store, run1), _losses(store, run2)
    assert sorted(l1) == sorted(l2) == list(range(1, 9))
    for step in l1:
        assert abs(l1[step] - l2[step]) <= REL_TOL * abs(l1[step]), (step, l1[step], l2[step])
    assert l2[8] < l2[1]  # it learned
    e1, e2 = _losses(store, run1, "eval"), _losses(store, run2, "eval")
    assert sorted(e1) == sorted(e2) and abs(e1[8] - e2[8]) <= REL_TOL * e1[8]


def test_killed_worker_restarts_from_checkpoint(tmp_path):
    store_path = tmp_path / "store"
    args = [
        sys.executable,
        "-m",
        "specrun.cli",
        "run",
        str(SPEC),
        *_overrides("trainer.max_steps=80", "resources.workers=2", "resources.max_failures=1"),
        "--store",
        str(store_path),
    ]
    # Ray Train registers a reported checkpoint when its controller next polls the workers
    # (every 2 s by default): poll often, so that the kill below finds one registered.
    # The log lines (the ranks' pids, the evals, the restart) are what this test reads.
    env = {**os.environ, "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S": "0.2", "SPECRUN_QUIET": "0"}
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    lines: list[str] = []
    pid, killed_at, first_eval = None, None, None
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        found = re.search(r"rank 1 pid (\d+)", line)
        if found and pid is None:
            pid = int(found.group(1))
        if "eval @ step" in line and first_eval is None:
            first_eval = time.monotonic()
        late = first_eval is not None and time.monotonic() - first_eval > 1.5
        if late and killed_at is None and "eval @ step" in line:
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed_at = line
    assert proc.wait(timeout=600) == 0, "".join(lines[-40:])
    assert killed_at is not None, "the run ended before a worker could be killed"
    out = "".join(lines)
    said = r"worker group restarted from the checkpoint at step \d+ \(restart 1 of at most 1\)"
    assert re.search(said, re.sub(r"\s+", " ", out)), out[-3000:]
    store = Store(store_path)
    run = newest_run(store_path)
    row = store._q("SELECT status, restarts, workers FROM runs WHERE run_id = ?", [run])
    assert (row["status"][0], row["restarts"][0], row["workers"][0]) == ("finished", 1, 2)
    dupes = store._q(
        "SELECT split, name, step, count(*) AS n FROM metrics WHERE run_id = ? "
        "GROUP BY ALL HAVING n > 1",
        [run],
    )
    assert dupes.height == 0, dupes
    assert sorted(_losses(store, run)) == list(range(1, 81))  # none lost either
