"""The MLflow mirror against a real local MLflow store (sqlite backend), read back with
MLflow's own search API. The plugin is installed for real (an entry point), as users do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import specrun
from specrun import plugins

pytest.importorskip("mlflow")
pytest.importorskip("specrun_mlflow")
# MLflow's own SQLAlchemy models warn about a deprecated loader: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*noload.*")

QUICKSTART = Path(__file__).resolve().parents[3] / "specs" / "quickstart_topics.yaml"


@pytest.fixture
def mirrored(tmp_path, monkeypatch):
    """Mirroring on, into a fresh sqlite MLflow store; every plugin loaded."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("SPECRUN_MLFLOW_URI", uri)
    monkeypatch.setenv("SPECRUN_QUIET", "1")
    monkeypatch.delenv("SPECRUN_PLUGINS", raising=False)
    monkeypatch.delenv("SPECRUN_MLFLOW_EXPERIMENT", raising=False)
    plugins.reset()
    yield uri, tmp_path / "s.duckdb"
    plugins.reset()


def test_a_run_and_its_rerun_are_mirrored_with_params_metrics_and_artifacts(mirrored):
    from mlflow.tracking import MlflowClient
    from specrun.history import rerun

    uri, store_path = mirrored
    assert "mlflow" in plugins.get_registry().plugins
    first = specrun.run(
        str(QUICKSTART),
        overrides=["data.rows=200", "model.epochs=3", "model.lr=0.3"],
        store=str(store_path),
        local=True,
    )
    assert first.status == "finished", first.error
    store = specrun.open_store(str(store_path))
    again = rerun(store, first.run_id, local=True)

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("quickstart-topics")
    assert experiment is not None
    # An AND-only filter string, as MLflow users write them.
    found = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`specrun.run_id` = '{first.run_id}' and params.`model.lr` = '0.3'",
    )
    assert len(found) == 1
    run = found[0]
    assert run.info.status == "FINISHED"
    assert (
        run.data.params["model.epochs"] == "3" and run.data.params["metrics.0.kind"] == "accuracy"
    )
    assert run.data.metrics == first.metrics  # the same floats, not approximately

    stored = store.metrics(first.run_id, "accuracy").filter(pl.col("split") == "eval")
    history = client.get_metric_history(run.info.run_id, "eval/accuracy")
    assert [(m.step, m.value) for m in history] == list(
        zip(stored["step"], stored["value"], strict=True)
    )

    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "model")}
    assert artifacts == {"model/bow_softmax.npz", "model/params.json", "model/specrun_model.json"}
    local = Path(
        client.download_artifacts(run.info.run_id, "model/bow_softmax.npz", str(store_path.parent))
    )
    assert (
        local.read_bytes()
        == store.artifact_path(first.run_id, "model/bow_softmax.npz").read_bytes()
    )

    child = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`specrun.parent_id` = '{first.run_id}'"
    )
    assert [r.data.tags["specrun.run_id"] for r in child] == [again.run_id]


def test_an_unusable_mlflow_store_warns_and_the_run_still_finishes(
    mirrored, monkeypatch, tmp_path, capsys
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SPECRUN_MLFLOW_URI", f"sqlite:///{blocker}/mlflow.db")
    result = specrun.run(
        str(QUICKSTART),
        overrides=["data.rows=200", "model.epochs=1"],
        store=str(tmp_path / "s2.duckdb"),
        local=True,
    )
    assert result.status == "finished", result.error
    assert "warning: specrun-mlflow" in capsys.readouterr().err


def test_mirroring_is_off_and_mlflow_never_imported_when_unset(tmp_path):
    code = (
        "import os, sys, specrun; os.environ.pop('SPECRUN_MLFLOW_URI', None); "
        f"r = specrun.run({str(QUICKSTART)!r}, overrides=['data.rows=200', 'model.epochs=1'], "
        f"store={str(tmp_path / 's.duckdb')!r}, local=True); "
        "from specrun.plugins import get_registry; "
        "print(r.status, 'mlflow' in get_registry().plugins, 'mlflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.stdout.split() == ["finished", "True", "False"], out.stderr
    assert not (tmp_path / "mlruns").exists()
