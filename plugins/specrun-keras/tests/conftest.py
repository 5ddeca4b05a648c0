"""Fixtures for specrun-keras tests: an isolated store, only this plugin (and core) loaded,
and small real data written by the tests themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from specrun import testing
from specrun.testing import write_spec

ROOT = Path(__file__).resolve().parents[3]  # the repository: specs/ lives there
SPECS = ROOT / "specs"


def pytest_configure(config):
    # Keras's own model.save converts variables with np.array(copy=...): noise from Keras +
    # numpy 2, not this plugin's (runtime.py silences it outside pytest). Set here rather
    # than in pyproject so that it holds whichever directory pytest starts from.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning",
    )


@pytest.fixture
def specrun_plugins():
    return "keras"


@pytest.fixture(autouse=True)
def _isolate(specrun_env, specrun_cache):
    """specrun.testing's isolated store and environment; generated images stay in the
    test's own cache."""
    yield


def write(tmp_path: Path, name: str, text: str) -> Path:
    return write_spec(tmp_path, text, name)


def run_spec(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()):
    """Run a spec written into tmp_path in-process; returns (result, store)."""
    import specrun

    spec = write(tmp_path, "spec.yaml", text)
    store = str(tmp_path / "s.duckdb")
    result = specrun.run(str(spec), overrides=list(overrides), store=store, local=True)
    return result, specrun.open_store(store)


def metric_series(store, run_id: str, split: str, name: str) -> dict[int, float]:
    """{step: value} of one metric; the last value wins where a step was logged twice
    (the engine re-evaluates the final epoch)."""
    return testing.metric_series(store, run_id, name, split=split)


# Korean -> English toy pairs: SOV -> SVO reordering, a closed vocabulary. Learnable by a
# tiny LSTM in a few epochs, so tests can assert learning in seconds.
SUBJECTS = [
    ("나는", "I"),
    ("그는", "he"),
    ("그녀는", "she"),
    ("우리는", "we"),
    ("그들은", "they"),
    ("학생은", "the student"),
]
ADJECTIVES = [("", ""), ("빨간", "red"), ("큰", "big"), ("작은", "small"), ("새", "new")]
OBJECTS = [
    ("사과를", "apple"),
    ("책을", "book"),
    ("가방을", "bag"),
    ("꽃을", "flower"),
    ("컵을", "cup"),
    ("공을", "ball"),
]
VERBS = [
    ("산다", "buy"),
    ("본다", "see"),
    ("찾는다", "find"),
    ("좋아한다", "like"),
    ("판다", "sell"),
]


def toy_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    import random

    rng = random.Random(seed)
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < n:
        s, a, o, v = (
            rng.choice(SUBJECTS),
            rng.choice(ADJECTIVES),
            rng.choice(OBJECTS),
            rng.choice(VERBS),
        )
        ko = " ".join(w for w in (s[0], a[0], o[0], v[0]) if w) + "."
        en = " ".join(w for w in (s[1], v[1], "a", a[1], o[1]) if w) + "."
        pairs.add((ko, en))
    return sorted(pairs)


def write_pairs(tmp_path: Path, n: int = 400, name: str = "pairs.tsv") -> Path:
    lines = ["source\ttarget"] + [f"{ko}\t{en}" for ko, en in toy_pairs(n)]
    return write(tmp_path, name, "\n".join(lines) + "\n")


def write_shape_folder(
    root: Path,
    per_class: int,
    classes=("circle", "square", "triangle"),
    seed: int = 0,
    sides=(28, 44),
) -> Path:
    from specrun_keras.shapes import write_shape_images

    write_shape_images(root, list(classes), per_class, sides, 0.05, seed)
    return root


def python_subprocess(code: str, env: dict[str, str] | None = None, timeout: float = 240):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
        timeout=timeout,
    )
