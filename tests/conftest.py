"""Shared fixtures: a tmp store, the example third-party plugin installed for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import ROOT


@pytest.fixture(autouse=True)
def _isolate(specrun_env):
    """Every test gets its own store and never sees another test's plugin narrowing
    (``specrun_env``: the specrun.testing pytest plugin)."""
    yield


@pytest.fixture(scope="session")
def example_plugin_path(tmp_path_factory) -> Path:
    """pip-install tests/example_plugin into a private target dir (a real distribution
    with a real entry point), leaving the shared environment untouched."""
    target = tmp_path_factory.mktemp("example_plugin_site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(ROOT / "tests" / "example_plugin"),
        ],
        check=True,
    )
    return target


@pytest.fixture
def with_example_plugin(example_plugin_path, monkeypatch):
    monkeypatch.syspath_prepend(str(example_plugin_path))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(example_plugin_path), os.environ.get("PYTHONPATH", "")])
    )
    from specrun import plugins

    plugins.reset()
    return example_plugin_path
