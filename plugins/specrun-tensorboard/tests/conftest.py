"""Installs tests/plotting_plugin.py as a distribution with a real entry point."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def plotting_plugin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    dist = site / "specrun_tbplot-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: specrun-tbplot\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[specrun]\ntbplot = plotting_plugin\n")
    shutil.copy(HERE / "plotting_plugin.py", site / "plotting_plugin.py")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("SPECRUN_PLUGINS", "tensorboard,tbplot")
    monkeypatch.setenv("SPECRUN_QUIET", "1")
    monkeypatch.delenv("SPECRUN_TENSORBOARD_DIR", raising=False)
    from specrun import plugins

    plugins.reset()
    yield site
    plugins.reset()
