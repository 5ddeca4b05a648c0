"""Every test gets its own run store and loads only this plugin (plus the built-ins).

The JVM that KoNLPy's Java taggers need starts once per process, so the tests that tag
text share it; anything that needs a different Java setup runs in a subprocess.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # textmining_helpers

os.environ["SPECRUN_PLUGINS"] = "textmining"
os.environ["SPECRUN_QUIET"] = "1"


@pytest.fixture
def specrun_plugins():
    return "textmining"


@pytest.fixture(autouse=True)
def _isolate(specrun_env):
    """specrun.testing's isolated store and environment."""
    yield
