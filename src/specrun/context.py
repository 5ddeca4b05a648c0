"""What a component sees of its run: the ``RunContext``, ``Dataset`` and ``Predictions``.

Components never touch the store. Everything they log becomes an event sent to a sink; the
driver turns events into store rows. In-process the sink is a function call; under Ray the
events are drained by the driver from the actor.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError, UserError

Event = tuple[Any, ...]
Sink = Callable[[Event], None]


@dataclass
class Dataset:
    """Named splits (``train``, ``eval``, ``test``) of any sized table, usually Polars."""

    splits: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None

    def __getitem__(self, split: str) -> Any:
        if split not in self.splits:
            raise DataError(
                f"the data has no {split!r} split (it has: {', '.join(self.splits) or 'none'})"
            )
        return self.splits[split]

    def __contains__(self, split: str) -> bool:
        return split in self.splits

    def sizes(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.splits.items()}

    def replace(self, **splits: Any) -> Dataset:
        new = dict(self.splits)
        new.update(splits)
        return Dataset(new, dict(self.meta), None)

    def compute_fingerprint(self) -> str:
        """sha256 over each split's content (Arrow IPC for Polars frames)."""
        h = hashlib.sha256()
        for name in sorted(self.splits):
            h.update(name.encode())
            frame = self.splits[name]
            if hasattr(frame, "write_ipc"):
                buf = io.BytesIO()
                frame.write_ipc(buf, compression="uncompressed")
                h.update(buf.getvalue())
            else:
                h.update(repr(frame).encode())
        return h.hexdigest()


@dataclass
class Predictions:
    """What a trainer predicted on one split; metrics read the fields they need."""

    split: str
    outputs: list[Any] | None = None  # predicted texts, labels, rankings ...
    references: list[Any] | None = None
    inputs: list[Any] | None = None
    scores: Any = None  # logits or probabilities (array-like), when there are any
    labels: list[str] | None = None  # class names, for per-class reports
    extra: dict[str, Any] = field(default_factory=dict)  # loss, framework-computed metrics ...

    def need(self, *names: str, metric: str = "metric") -> None:
        for n in names:
            value = getattr(self, n, None) if n != "extra" else self.extra
            if value is None:
                raise UserError(
                    f"metric {metric!r} needs predictions with {n!r}, but the trainer gave none"
                )


class Progress:
    """A progress bar the driver draws; updates are throttled to a few a second."""

    def __init__(self, ctx: RunContext, total: int | None, description: str):
        self.ctx, self.total, self.description = ctx, total, description
        self.completed = 0
        self.id = f"p{ctx._next_progress_id()}"
        self._last = 0.0
        self.ctx._emit(("progress", self.id, description, total, 0, False))

    def update(self, advance: int = 1, description: str | None = None) -> None:
        self.completed += advance
        if description:
            self.description = description
        now = time.monotonic()
        if now - self._last > 0.2 or (self.total and self.completed >= self.total):
            self._last = now
            self.ctx._emit(
                ("progress", self.id, self.description, self.total, self.completed, False)
            )

    def close(self) -> None:
        self.ctx._emit(("progress", self.id, self.description, self.total, self.completed, True))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass(frozen=True)
class Group:
    """Where this process is in a data-parallel run (``resources.workers``): rank 0 of 1
    outside one. Only the main rank's events reach the store."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


class RunContext:
    def __init__(
        self,
        run_id: str,
        spec: dict[str, Any],
        sink: Sink,
        work_dir: Path,
        device: str = "cpu",
        local: bool = True,
        metric_components: list[Any] | None = None,
        group: Group | None = None,
    ):
        self.run_id = run_id
        self.spec = spec
        self.seed = int(spec.get("seed", 0))
        self.deterministic = bool(spec.get("deterministic", False))
        self.frameworks: tuple[Any, ...] = ()  # declared by the run's components (seeding.py)
        self.work_dir = Path(work_dir)
        self.device = device
        self.resources = spec.get("resources", {})
        self.local = local  # False: artifact files must be sent as bytes (no shared disk)
        self.step = 0
        self.state: dict[str, Any] = {}  # shared between the components of one run
        self.metrics = metric_components or []
        self._sink = sink
        self._progress_n = 0
        self.evaluated: set[tuple[str, int]] = set()  # (split, step) already evaluated
        # Caches that outlive a run (augmented data, converted datasets), per machine.
        self.cache_dir = Path(os.environ.get("SPECRUN_CACHE") or Path.home() / ".cache" / "specrun")
        self.logged: dict[tuple[str, str], float] = {}
        # Checkpoints for schedulers that move a model between trials (pbt): the state a
        # trainer saved, when this run continues from one, and the trainer's way to save.
        self.restored: dict[str, Any] | None = None
        self._checkpoint_fn: Callable[[], dict[str, Any]] | None = None
        self._cards_saved: set[str] = set()
        self.group = group or Group()
        # A multi-worker run: saves a restart checkpoint (Ray Train) and the directory of
        # the one it restarted from (see save_checkpoint / restart_checkpoint).
        self._checkpoint_saver: Callable[[Path | None, int], None] | None = None
        self._restart_dir: Path | None = None

    # -- events ------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self.group.is_main:  # the other ranks' metrics are rank 0's (reduced) or duplicates
            self._sink(event)

    # -- multi-worker restarts ---------------------------------------------------------
    @property
    def wants_checkpoints(self) -> bool:
        """True when the run can restart its workers (``resources.max_failures`` > 0 with
        workers > 1): a trainer then saves a checkpoint at each eval (``save_checkpoint``)."""
        return self._checkpoint_saver is not None

    def save_checkpoint(self, directory: str | os.PathLike[str] | None, step: int) -> None:
        """Hand the checkpoint saved at ``step`` to the run's restart machinery. Every rank
        calls it at the same steps (a barrier); ranks with nothing to save pass None."""
        if self._checkpoint_saver is not None:
            self._checkpoint_saver(Path(directory) if directory is not None else None, int(step))

    def restart_checkpoint(self) -> Path | None:
        """The checkpoint directory (a local copy) this attempt restarts from, or None."""
        return self._restart_dir

    def _next_progress_id(self) -> int:
        self._progress_n += 1
        return self._progress_n

    def log(self, message: str) -> None:
        self._emit(("log", str(message)))

    def log_metrics(
        self, values: dict[str, Any], step: int | None = None, split: str = "train"
    ) -> None:
        step = self.step if step is None else int(step)
        clean: dict[str, float | None] = {}
        for k, v in values.items():
            if v is None:
                continue
            try:
                clean[k] = float(v)
            except (TypeError, ValueError):
                raise TypeError(f"metric {k!r} must be a number, got {type(v).__name__}") from None
            self.logged[(split, k)] = clean[k]  # type: ignore[assignment]
        if clean:
            self._emit(("metrics", split, clean, step))

    def log_samples(
        self, rows: Iterable[dict[str, Any]], split: str = "eval", step: int | None = None
    ) -> None:
        rows = list(rows)
        if rows:
            self._emit(("samples", split, self.step if step is None else step, rows))

    def save_artifact(
        self, path: str | os.PathLike[str], name: str | None = None, kind: str | None = None
    ) -> None:
        """Send a file, or every file under a directory, to the driver's store."""
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"artifact {p} does not exist")
        from .store.artifact_names import clean_artifact_name

        base = clean_artifact_name(
            name or p.name
        )  # here, so the plugin's own line is in the traceback
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file())
        for f in files:
            rel = base if p.is_file() else f"{base}/{f.relative_to(p).as_posix()}"
            payload: Any = f if self.local else f.read_bytes()
            self._emit(("artifact", rel, kind, payload))
        if kind == "model":
            self._save_model_card(base, p.is_dir())

    def _save_model_card(self, base: str, is_dir: bool) -> None:
        """Core's card beside a saved model (see ``specrun.model_card``), once per folder."""
        from .model_card import card_bytes, card_name_for

        name = card_name_for(base, is_dir)
        model_kind = (
            (self.spec.get("model") or {}).get("kind") if isinstance(self.spec, dict) else None
        )
        if not model_kind or name in self._cards_saved:
            return
        from .plugins import get_registry

        component = get_registry().components.get(("model", model_kind))
        if component is None:
            return
        self._cards_saved.add(name)
        self._emit(
            (
                "artifact",
                name,
                "model",
                card_bytes(
                    plugin=component.plugin,
                    kind=model_kind,
                    package=component.package,
                    version=component.version,
                ),
            )
        )

    def progress(self, total: int | None, description: str) -> Progress:
        return Progress(self, total, description)

    def report(self, metrics: dict[str, float]) -> None:
        """Intermediate result for a sweep scheduler (ASHA, PBT): sent at every eval.

        A sink that wants checkpoints (a PBT trial) gets the trainer's state with it."""
        if getattr(self._sink, "wants_checkpoint", False):
            if self._checkpoint_fn is None:
                section = "trainer" if "trainer" in self.spec else "model"
                kind = (self.spec.get(section) or {}).get("kind", "?")
                raise UserError(
                    f"sweep.scheduler: pbt continues trials from each other's checkpoints, but "
                    f"{section} kind {kind!r} saves none (it never calls ctx.checkpointable); "
                    "use asha or fifo with this trainer"
                )
            self._emit(("report", dict(metrics), self.step, self._checkpoint_fn()))
            return
        self._emit(("report", dict(metrics), self.step))

    def checkpointable(self, state: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """Declare that this trainer can stop and continue (what PBT needs).

        ``state()`` returns everything needed to continue after ``ctx.step`` (weights,
        optimizer, RNG state) as picklable values; it is called only when a scheduler wants
        a checkpoint. Returns the state to continue from (``ctx.restored``), or None for a
        fresh start; when it is not None, ``ctx.step`` is already the step it was saved at."""
        self._checkpoint_fn = state
        return self.restored

    # -- evaluation ----------------------------------------------------------------
    def evaluate(self, preds: Predictions, step: int | None = None) -> dict[str, float]:
        """Run the spec's metrics on ``preds``, log them under ``preds.split`` and return them."""
        results: dict[str, float] = {}
        for metric in self.metrics:
            out = metric.compute(preds)
            results.update({k: float(v) for k, v in out.items() if v is not None})
        for k, v in preds.extra.items():
            if k.startswith("metric:"):
                results[k[len("metric:") :]] = float(v)
        self.evaluated.add((preds.split, self.step if step is None else int(step)))
        if results:
            self.log_metrics(results, step=step, split=preds.split)
            self.report({f"{preds.split}/{k}": v for k, v in results.items()})
        return results

    # -- reproducibility --------------------------------------------------------------
    def seed_everything(self) -> None:
        """Seed python, numpy and every framework the run's components declared (imported
        now if need be), plus any other known framework already imported."""
        from .seeding import seed_frameworks

        seed_frameworks(self.seed, self.frameworks, self.deterministic)

    def rng(self, purpose: str) -> Any:
        """A numpy ``Generator`` for one purpose (``"shuffle"``, ``"negatives"``...): its
        stream depends only on the run's seed and ``purpose``, not on what ran before."""
        from .seeding import numpy_generator

        return numpy_generator(self.seed, purpose)

    def random(self, purpose: str) -> random.Random:
        """Like :meth:`rng`, a ``random.Random`` for one purpose."""
        from .seeding import python_random

        return python_random(self.seed, purpose)

    def cpu_threads(self, requested: int | None = None) -> int:
        """CPU threads a component should use (torch, BLAS, a tokenizer pool): ``requested``
        when given, else the spec's ``resources.cpus`` (a worker's share; at least 1), never
        more than this machine has. Ray packs runs by that share, so more threads only
        contend with the runs beside this one."""
        cpus = requested or (self.resources or {}).get("cpus") or 1
        n = max(1, int(float(cpus)))
        return min(n, os.cpu_count() or n)
