"""For plugin tests: run a function on several ranks without Ray (torch.multiprocessing +
gloo on 127.0.0.1), and a stand-in run context for the shared loop."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _entry(rank: int, world: int, port: int, fn: Callable[..., Any], out: str, args: tuple) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    try:
        result = fn(*args)
        torch.save(result, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def run_ranks(fn: Callable[..., Any], out: Path, *args: Any, world: int = 2) -> list[Any]:
    """``fn(*args)`` on ``world`` spawned ranks; each rank's return value, in rank order."""
    import torch
    import torch.multiprocessing as mp

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    mp.spawn(_entry, args=(world, free_port(), fn, str(out), args), nprocs=world, join=True)
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(world)]


class _Bar:
    def update(self, n: int = 1) -> None:
        pass


class FakeContext:
    """What the loop asks of a run context: progress, metrics, the step, CPU threads."""

    def __init__(self) -> None:
        self.step = 0
        self.metrics: list[tuple[int, dict[str, float]]] = []
        self.seed = 0

    @contextlib.contextmanager
    def progress(self, total: int, description: str) -> Iterator[_Bar]:
        yield _Bar()

    def log_metrics(
        self, values: dict[str, float], step: int | None = None, split: str = "train"
    ) -> None:
        self.metrics.append((self.step, dict(values)))

    def cpu_threads(self, requested: int | None = None) -> int:
        return 1
