"""Helpers of the specrun-hf-text tests (a uniquely named module: the test suites of several
plugins may run in one pytest session, where a bare `conftest` import would be ambiguous)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specrun import testing
from specrun.testing import write_spec

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
REPO = PLUGIN_ROOT.parents[1]
SPECS = REPO / "specs"

# specs/classify_bert.yaml made small enough to learn in seconds on one thread.
CLASSIFIER_FAST = [
    "data.rows=360",
    "data.difficulty=0.2",
    "data.imbalance=1.0",
    "data.topics=4",
    "model.config.hidden_dropout_prob=0.0",
    "model.config.attention_probs_dropout_prob=0.0",
    "model.max_length=32",
    "trainer.lr=1e-3",
    "trainer.batch_size=16",
    "trainer.epochs=6",
    "trainer.threads=1",
    "resources.cpus=1",
]
# specs/poetry_gpt2.yaml, small.
POETRY_FAST = [
    "sweep=null",  # one run: the spec's sweep over decoding methods is exercised elsewhere
    "data.rows=300",
    "model.config.n_embd=48",
    "model.config.n_layer=1",
    "model.config.n_head=2",
    "model.tokenizer.vocab_size=400",
    "model.max_length=64",
    "trainer.epochs=3",
    "trainer.lr=3e-3",
    "trainer.prompts=8",
    "trainer.decoding.max_new_tokens=48",
    "trainer.threads=1",
    "resources.cpus=1",
]


@contextlib.contextmanager
def isolated_env(root: Path) -> Iterator[None]:
    """What the autouse fixture does, for module-scoped fixtures (they set up before it)."""
    import pytest
    from specrun import plugins

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPECRUN_CACHE", str(root / "cache"))
        mp.setenv("SPECRUN_PLUGINS", "hf_text,textmetrics")
        mp.setenv("SPECRUN_QUIET", "1")
        plugins.reset()
        try:
            yield
        finally:
            plugins.reset()


def headlines(rows: int = 120, seed: int = 1, **kw):
    """The korean_headlines data kind's Dataset, loaded directly."""
    from specrun_hf_text.data_headlines import KoreanHeadlines
    from specrun_hf_text.params_data import KoreanHeadlinesParams

    class Ctx:
        spec: dict = {}

    Ctx.seed = seed
    return KoreanHeadlines(KoreanHeadlinesParams(rows=rows, **kw)).load(Ctx())


def run_tiny_bow(directory: Path, store: str, name: str) -> Any:
    """A finished one-epoch run of core's bag-of-words model on 60 headlines: a run that is
    not a Hugging Face model, for the tests of what refuses or accepts one."""
    import specrun

    spec = (
        f"name: {name}\ndata: {{kind: korean_headlines, rows: 60}}\n"
        "model: {kind: bow_softmax, epochs: 1}\n"
    )
    result = specrun.run(write_spec(directory, spec, f"{name}.yaml"), store=store, local=True)
    assert result.status == "finished", result.error
    return result


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300, **kwargs: Any
) -> subprocess.CompletedProcess:
    """``specrun.testing.run_cli`` from the repository root by default."""
    return testing.run_cli(*args, cwd=cwd or REPO, timeout=timeout, **kwargs)


def metric(store, run_id: str, name: str, split: str | None = None, first: bool = False) -> float:
    """The last (or first) logged value of a metric."""
    import polars as pl

    m = store.metrics(run_id, name)
    if split:
        m = m.filter(pl.col("split") == split)
    assert m.height, f"run {run_id} logged no {split or ''}/{name}"
    m = m.sort("step")
    return float(m["value"][0] if first else m["value"][-1])


class ListSink:
    """Collects a RunContext's events, for calling a component directly."""

    def __init__(self):
        self.events = []

    def __call__(self, event):
        self.events.append(event)

    def metrics(self) -> dict[str, float]:
        out = {}
        for e in self.events:
            if e[0] == "metrics":
                out.update(e[2])
        return out


def make_ctx(tmp_path: Path, seed: int = 0):
    from specrun import RunContext

    sink = ListSink()
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return RunContext("test", {"seed": seed}, sink, work), sink
