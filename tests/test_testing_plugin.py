"""The specrun.testing pytest plugin: its fixtures reach any suite through the pytest11
entry point (this file imports nothing from it), and do what a plugin's suite needs."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import yaml

SPEC = {
    "name": "fixture-run",
    "seed": 3,
    "data": {"kind": "generated_topics", "rows": 120},
    "model": {"kind": "bow_softmax", "epochs": 4},
    "metrics": [{"kind": "accuracy"}],
}


def test_the_plugin_is_registered_for_pytest():
    names = {e.value for e in entry_points(group="pytest11")}
    assert "specrun.testing.pytest_plugin" in names


def test_the_environment_is_isolated(specrun_env, specrun_store, tmp_path):
    assert os.environ["SPECRUN_STORE"] == str(specrun_store)
    assert specrun_store.is_relative_to(tmp_path)
    assert os.environ["SPECRUN_QUIET"] == "1"
    assert "SPECRUN_AUGMENT_CACHE" not in os.environ


def test_a_spec_runs_through_the_cli_and_its_metrics_are_read_back(
    specrun_env, specrun_write_spec, specrun_cli, specrun_metric_series
):
    path = specrun_write_spec(SPEC, "topics.yaml")
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == SPEC
    proc = specrun_cli("run", str(path), "--local", "-q", expect=0, timeout=300)
    assert proc.returncode == 0
    from specrun.testing import newest_run

    run_id = newest_run(specrun_env)
    loss = specrun_metric_series(specrun_env, run_id, "loss", split="train")
    assert len(loss) >= 2, loss
    steps = sorted(loss)
    assert loss[steps[-1]] < loss[steps[0]], f"training loss did not fall: {loss}"
    accuracy = specrun_metric_series(specrun_env, run_id, "accuracy", split="eval")
    assert accuracy and max(accuracy.values()) > 0.5, accuracy


def test_a_failing_command_shows_its_status_and_output(
    specrun_env, specrun_write_spec, specrun_cli
):
    bad = specrun_write_spec("name: t\ndata: {kind: no_such_source}\nmodel: {kind: bow_softmax}\n")
    with pytest.raises(AssertionError) as err:
        specrun_cli("validate", str(bad), expect=0, timeout=120)
    message = str(err.value)
    assert "specrun validate" in message and "expected 0" in message
    assert "no_such_source" in message  # the CLI's own explanation, from its output


def test_a_plugin_suite_gets_the_fixtures_from_outside_the_repository(tmp_path):
    """A third-party suite: a conftest that overrides specrun_plugins, run from a directory
    outside this repository, with nothing on its path but the installed packages."""
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef specrun_plugins():\n    return 'textmetrics'\n\n"
        "@pytest.fixture(autouse=True)\ndef _isolate(specrun_env):\n    yield\n"
    )
    (tmp_path / "test_outside.py").write_text(
        "import os\n\ndef test_env(specrun_store):\n"
        "    assert os.environ['SPECRUN_PLUGINS'] == 'textmetrics'\n"
        "    assert os.environ['SPECRUN_STORE'] == str(specrun_store)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout
