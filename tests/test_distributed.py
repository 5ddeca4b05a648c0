"""resources.workers (data-parallel runs on Ray Train): validation and the driver's
bookkeeping of restarts. The runs themselves are in plugins/specrun-hf/tests/
test_hf_distributed.py (the seq2seq trainer is the first that declares distributed)."""

from __future__ import annotations

import os

import pytest
from core_helpers import SPECS, run_cli, write_spec
from specrun.errors import ResourceError
from specrun.runner.distributed import AttemptFilter, check_worker_fit


def test_kind_without_distributed_support_fails_validate_with_the_key(tmp_path):
    spec = write_spec(tmp_path, f"extends: {SPECS / 'topics_lda.yaml'}\nresources:\n  workers: 2\n")
    proc = run_cli("validate", str(spec))
    assert proc.returncode == 2
    err = proc.stdout + proc.stderr
    assert f"{spec}:3:" in err and "resources.workers" in err
    assert "model kind 'lda' cannot train on several workers" in err


def test_fractional_gpus_with_several_workers_are_rejected(tmp_path):
    spec = write_spec(
        tmp_path, f"extends: {SPECS / 'nmt_marian.yaml'}\nresources: {{workers: 2, gpus: 0.5}}\n"
    )
    proc = run_cli("validate", str(spec))
    assert proc.returncode == 2
    assert "each need whole GPUs" in proc.stdout + proc.stderr


def test_workers_one_leaves_the_resolved_spec_and_its_hash_unchanged(tmp_path):
    from specrun.spec import load_spec

    base = load_spec(SPECS / "nmt_marian.yaml")
    same = load_spec(SPECS / "nmt_marian.yaml", ["resources.workers=1", "resources.max_failures=0"])
    assert "workers" not in base.data["resources"] and base.hash == same.hash


@pytest.mark.ray
def test_more_workers_than_the_machine_can_place_fails_before_the_run(tmp_path):
    # 3 workers of 2 CPUs on a 2-core machine: each worker fits, 3 of them never do.
    cpus = os.cpu_count() or 2
    spec = write_spec(
        tmp_path, f"extends: {SPECS / 'nmt_marian.yaml'}\nresources: {{workers: 3, cpus: {cpus}}}\n"
    )
    proc = run_cli("run", str(spec), "--store", str(tmp_path / "store"), "-q")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"asks for 3 workers of {cpus} CPU(s) each" in proc.stderr
    assert "can place at most 1 of them" in proc.stderr
    assert not (tmp_path / "store").exists() or "run id" not in proc.stdout


def test_worker_fit_counts_whole_workers_per_node():
    nodes = [{"Resources": {"CPU": 2.0}}, {"Resources": {"CPU": 3.0}}]
    check_worker_fit(nodes, {"workers": 2, "cpus": 2}, "the cluster")  # one per node
    with pytest.raises(ResourceError, match="at most 2 of them"):
        check_worker_fit(nodes, {"workers": 3, "cpus": 2}, "the cluster")
    with pytest.raises(ResourceError, match="GPU"):
        check_worker_fit(nodes, {"workers": 2, "cpus": 1, "gpus": 1}, "the cluster")


class _Recorder(list):
    def __call__(self, event):
        self.append(event)


def test_restart_drops_what_the_dead_attempt_logged_after_its_checkpoint():
    rec = _Recorder()
    f = AttemptFilter(rec, hold=True, max_failures=1, workers=2)
    f(("attempt", None))
    for step in (1, 2, 3):
        f(("metrics", "train", {"loss": 1.0 / step}, step))
    f(("checkpoint", 2))  # steps 1-2 (and step 3, logged before it) are stored
    f(("metrics", "train", {"loss": 0.1}, 4))  # lost with the attempt: held back
    f(("attempt", 2))  # the group restarts from step 2
    for step in (2, 3, 4, 5):
        f(("metrics", "train", {"loss": 0.5}, step))
    f(("outcome", {"status": "finished"}))
    f.finish()
    steps = [e[3] for e in rec if e[0] == "metrics"]
    assert steps == [1, 2, 3, 4, 5]
    assert f.attempts == 2
    assert any("restarted from the checkpoint at step 2" in e[1] for e in rec if e[0] == "log")
