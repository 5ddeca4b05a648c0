"""Running a function on 2 ranks without Ray: torch.multiprocessing + gloo on 127.0.0.1."""

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

    def log_metrics(self, values: dict[str, float], step: int | None = None, split: str = "train") -> None:
        self.metrics.append((self.step, dict(values)))

    def cpu_threads(self, requested: int | None = None) -> int:
        return 1


N, GLOBAL_BATCH, EPOCHS = 48, 8, 4  # 6 steps an epoch, 24 in all
TOL = 1e-5  # float sums in another order: 2 ranks' mean of means vs one mean


def train_once() -> dict[str, Any]:
    """A tiny regression net trained by the shared loop; its logged losses and weights."""
    import torch
    from specrun_torchkit import distributed, loop

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(N, 4, generator=gen)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(N, 1, generator=gen)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 1))
    ctx = FakeContext()
    local, per_epoch, order = loop.epoch_plan(N, GLOBAL_BATCH, seed=ctx.seed)

    def batches(epoch: int) -> Any:
        idx = order(epoch)
        for start in range(0, per_epoch * local, local):
            yield idx[start : start + local]

    def loss_of(idx: list[int]) -> Any:
        return torch.nn.functional.mse_loss(net(x[idx]), y[idx])

    settings = loop.LoopSettings(lr=0.1, weight_decay=0.01, warmup_ratio=0.2, log_every=1)
    loop.train(ctx, torch, net, settings, "cpu", EPOCHS * per_epoch, per_epoch, batches,
               loss_of, None, "test")
    return {
        "world": distributed.world(),
        "local": local,
        "losses": [m["loss"] for _, m in ctx.metrics],
        "weights": [p.detach().clone() for p in net.parameters()],
    }


