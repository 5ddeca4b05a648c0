"""Every test gets its own run store and augment cache, loads only this plugin (plus the
built-ins), runs offline and keeps torch to one thread (the machine is shared)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # hftext_testkit, hftext_tiny_models

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def specrun_plugins():
    return "hf_text,textmetrics"


@pytest.fixture(autouse=True)
def _isolate(specrun_env, specrun_cache):
    """specrun.testing's isolated store and environment, and a cache of the test's own."""
    yield
