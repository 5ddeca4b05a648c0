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


@pytest.fixture(autouse=True)
def _isolate(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECRUN_STORE", str(tmp_path / "store" / "specrun.duckdb"))
    monkeypatch.setenv("SPECRUN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SPECRUN_AUGMENT_CACHE", raising=False)
    monkeypatch.setenv("SPECRUN_PLUGINS", "hf_text,textmetrics")
    monkeypatch.setenv("SPECRUN_QUIET", "1")
    from specrun import plugins

    plugins.reset()
    yield
    plugins.reset()
