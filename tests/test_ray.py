"""The default mode: the run executes in a Ray actor; events stream to the driver."""

from __future__ import annotations

import hashlib

import pytest
import specrun
from core_helpers import SPECS, run_cli

pytestmark = pytest.mark.ray


def test_run_in_ray_actor_streams_metrics_samples_and_artifacts(tmp_path):
    store_file = tmp_path / "s.duckdb"
    out = run_cli(
        "run",
        str(SPECS / "quickstart_topics.yaml"),
        "-o",
        "model.epochs=3",
        "--store",
        str(store_file),
    )
    assert out.returncode == 0, out.stderr
    assert "run id:" in out.stdout and "accuracy" in out.stdout
    store = specrun.open_store(str(store_file))
    run = store.runs().row(0, named=True)
    assert run["status"] == "finished"
    assert store.run(run["run_id"])["mode"] == "ray"
    acc = store.metrics(run["run_id"], "accuracy")["value"].to_list()
    assert acc[-1] > acc[0] + 0.3
    arts = store.artifacts(run["run_id"])
    assert arts.height == 3  # the model, its params and core's model card
    for row in arts.iter_rows(named=True):
        assert (
            hashlib.sha256((store.artifact_root / row["path"]).read_bytes()).hexdigest()
            == row["sha256"]
        )
    assert store.samples(run["run_id"]).height > 0
