"""The specrun API of a notebook that runs as the body of a specrun run.

Inside the notebook::

    import specrun_notebook as sr

    train = sr.data("train")                       # the run's splits, as Polars frames
    rng = sr.rng("init")                           # numpy Generator: run seed + purpose
    sr.log_metrics({"loss": 0.42}, step=epoch)     # split "train" unless split= says
    sr.evaluate("eval", outputs=pred, references=gold, inputs=texts, step=epoch)
    sr.log_samples([{"input": t, "reference": g, "output": p}], split="eval")
    sr.save_artifact("confusion.png", kind="plot")
    sr.log("a line on the specrun console")

Each call is a Jupyter display message of a specrun MIME type that the executing side reads
as it arrives and hands to the run (so metrics stream live, in order, through the kernel's
own channel, and the executed notebook does not keep them as outputs). ``evaluate`` runs the
spec's ``metrics:`` on the predictions, as a trainer's evaluation does, and reports them to a
sweep's scheduler. Outside specrun (plain Jupyter) the calls print what they would log and
``data`` says it needs a run.

Light on purpose: json, os and numpy; IPython only when a message is sent.
"""

from __future__ import annotations

import json
import os
import random as _random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MIME = "application/vnd.specrun.event+json"
CONTEXT_ENV = "SPECRUN_NOTEBOOK_CONTEXT"

__all__ = [
    "MIME",
    "data",
    "evaluate",
    "in_run",
    "log",
    "log_metrics",
    "log_samples",
    "rng",
    "run_id",
    "save_artifact",
    "seed",
    "start",
]

_context: dict[str, Any] | None = None


def _ctx() -> dict[str, Any]:
    global _context
    if _context is None:
        path = os.environ.get(CONTEXT_ENV)
        _context = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    return _context


def in_run() -> bool:
    """True when the notebook executes as a specrun run (not in a plain Jupyter session)."""
    return bool(_ctx())


def run_id() -> str | None:
    return _ctx().get("run_id")


def seed() -> int:
    """The run's seed (0 outside a run)."""
    return int(_ctx().get("seed", 0))


def start() -> None:
    """Seed python's and numpy's global generators with the run's seed. specrun puts a call
    to this in a cell before the notebook's first, as core seeds before any component."""
    import numpy as np

    _random.seed(seed())
    np.random.seed(seed() % 2**32)


def rng(purpose: str) -> Any:
    """A numpy ``Generator`` whose stream depends only on the run's seed and ``purpose``
    (the same stream ``ctx.rng(purpose)`` gives a component)."""
    from specrun.seeding import numpy_generator

    return numpy_generator(seed(), purpose)


def data(split: str = "train") -> Any:
    """One split of the run's data (the spec's ``data:`` and ``augment:``) as a Polars frame."""
    import polars as pl

    splits = _ctx().get("data")
    if not splits:
        raise RuntimeError(
            "specrun_notebook.data() needs a specrun run: this notebook is not executing as one "
            "(run it with `specrun run SPEC`, whose model kind is `notebook`)"
        )
    if split not in splits:
        raise KeyError(f"the run's data has no {split!r} split (it has: {', '.join(splits)})")
    return pl.read_parquet(splits[split])


def log(message: str) -> None:
    _send({"type": "log", "message": str(message)})


def log_metrics(values: dict[str, Any], step: int | None = None, split: str = "train") -> None:
    """Log numbers at ``step`` (default: the last step logged) under ``split``."""
    clean: dict[str, float] = {}
    for k, v in values.items():
        if v is None:
            continue
        try:
            clean[str(k)] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"metric {k!r} must be a number, got {type(v).__name__}") from None
    _send({"type": "metrics", "values": clean, "step": _step(step), "split": str(split)})


def log_samples(
    rows: Iterable[dict[str, Any]], split: str = "eval", step: int | None = None
) -> None:
    """Rows with ``input``, ``reference``, ``output``; other keys land in ``extra``."""
    _send({"type": "samples", "rows": _plain(list(rows)), "split": split, "step": _step(step)})


def evaluate(
    split: str,
    outputs: Any,
    references: Any = None,
    inputs: Any = None,
    labels: Any = None,
    step: int | None = None,
) -> None:
    """Score predictions on ``split`` with the spec's ``metrics:`` (logged under ``split``)."""
    _send(
        {
            "type": "evaluate",
            "split": split,
            "outputs": _plain(outputs),
            "references": _plain(references),
            "inputs": _plain(inputs),
            "labels": _plain(labels),
            "step": _step(step),
        }
    )


def save_artifact(
    path: str | os.PathLike[str], name: str | None = None, kind: str | None = None
) -> None:
    """Store a file, or every file under a directory, with the run's artifacts."""
    p = Path(path).resolve()
    if not p.exists():
        raise FileNotFoundError(f"artifact {path} does not exist")
    _send({"type": "artifact", "path": str(p), "name": name, "kind": kind})


# -- sending ----------------------------------------------------------------------------------

_last_step: int | None = None


def _step(step: int | None) -> int | None:
    global _last_step
    if step is not None:
        _last_step = int(step)
    return _last_step if step is None else int(step)


def _plain(value: Any) -> Any:
    """JSON-ready: numpy arrays and scalars become lists and numbers."""
    if value is None:
        return None
    if hasattr(value, "to_list"):  # polars / pandas series
        value = value.to_list()
    elif hasattr(value, "tolist"):
        value = value.tolist()
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _send(event: dict[str, Any]) -> None:
    if not in_run():
        shown = {k: v for k, v in event.items() if k != "type" and v is not None}
        print(f"[specrun {event['type']}] {json.dumps(shown, ensure_ascii=False)[:300]}")
        return
    from IPython.display import display

    display({MIME: event}, raw=True)
