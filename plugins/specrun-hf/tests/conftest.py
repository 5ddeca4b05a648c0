"""Shared helpers for specrun-hf tests: tiny real runs of the plugin's specs.

Every run here trains a real (tiny) model for a few seconds; nothing under test is mocked.
Tests get the helpers through the session fixture ``hf`` (pytest runs in importlib mode,
so test modules cannot import this file).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

# Before any test module imports torch: spinning OpenMP threads make a shared CPU ~10x
# slower (the plugin sets the same in specrun_hf.runtime, but tests import torch first).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "specs"

# A Marian / vanilla transformer small enough to train in seconds on one CPU core, on a
# few hundred generated pairs, yet large enough that BLEU, chrF and loss clearly move
# (measured: Marian chrF 3 -> 31, BLEU 0 -> 10 in 200 steps, ~7 s on an idle core).
TINY_DATA = ["data.train_rows=400", "data.eval_rows=40"]
TINY_TRAINER = [
    "trainer.max_steps=200",
    "trainer.eval_steps=100",
    "trainer.batch_size=32",
    "trainer.lr=3e-3",
    "trainer.warmup_steps=20",
    "trainer.label_smoothing=0",
    "trainer.logging_steps=50",
    "trainer.samples=4",
    "trainer.num_threads=1",
    "trainer.decoding.max_new_tokens=16",
]
# Feature tests check mechanics, not quality: a few steps are enough.
SHORT = ["trainer.max_steps=20", "trainer.eval_steps=10", "trainer.logging_steps=5"]
TINY_MARIAN = [
    "model.config.d_model=64",
    "model.config.encoder_layers=2",
    "model.config.decoder_layers=2",
    "model.config.encoder_ffn_dim=128",
    "model.config.decoder_ffn_dim=128",
    "model.config.encoder_attention_heads=2",
    "model.config.decoder_attention_heads=2",
    "model.tokenizer.train.vocab_size=400",
    "model.max_source_length=24",
    "model.max_target_length=24",
]
TINY_VANILLA = [
    "model.d_model=64",
    "model.heads=2",
    "model.encoder_layers=1",
    "model.decoder_layers=1",
    "model.ff_dim=128",
    "model.tokenizer.train.vocab_size=400",
    "model.max_source_length=24",
    "model.max_target_length=24",
    "model.max_positions=32",
]
TINY_NMT = TINY_DATA + TINY_TRAINER + TINY_MARIAN


@pytest.fixture
def specrun_plugins():
    """Load only this plugin (and core's built-ins): other plugins' bugs stay theirs."""
    return "hf,textmetrics"


@pytest.fixture(autouse=True)
def hf_plugins_only(specrun_env):
    """specrun.testing's isolated store and environment."""
    yield


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "s.duckdb")


def run(spec: str, overrides: list[str], store: str):
    import specrun

    return specrun.run(str(SPECS / spec), overrides=overrides, store=store, local=True)


def eval_series(store: str, run_id: str, name: str) -> dict[int, float]:
    """{step: value} of an eval metric (the last value logged at a step wins)."""
    from specrun.testing import metric_series

    return metric_series(store, run_id, name, split="eval")


@pytest.fixture(scope="session")
def hf() -> SimpleNamespace:
    return SimpleNamespace(
        ROOT=ROOT,
        SPECS=SPECS,
        TINY_DATA=TINY_DATA,
        TINY_TRAINER=TINY_TRAINER,
        SHORT=SHORT,
        TINY_MARIAN=TINY_MARIAN,
        TINY_VANILLA=TINY_VANILLA,
        TINY_NMT=TINY_NMT,
        run=run,
        eval_series=eval_series,
        shared_run=shared_run,
    )


def shared_run(tmp_path_factory: pytest.TempPathFactory, spec: str, overrides: list[str]):
    """A run made once for a whole test module (module fixtures cannot use monkeypatch)."""
    import specrun.plugins

    store = str(tmp_path_factory.mktemp("store") / "s.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPECRUN_PLUGINS", "hf,textmetrics")
        mp.setenv("SPECRUN_QUIET", "1")
        specrun.plugins.reset()
        result = run(spec, overrides, store)
        specrun.plugins.reset()
    assert result.status == "finished", result.error
    return result, store
