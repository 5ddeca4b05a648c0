"""The shared loop's workload for the 2-rank tests (importable by spawned ranks)."""

from __future__ import annotations

from typing import Any

from specrun_torchkit.testing import FakeContext

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
    loop.train(
        ctx,
        torch,
        net,
        settings,
        "cpu",
        EPOCHS * per_epoch,
        per_epoch,
        batches,
        loss_of,
        None,
        "test",
    )
    return {
        "world": distributed.world(),
        "local": local,
        "losses": [m["loss"] for _, m in ctx.metrics],
        "weights": [p.detach().clone() for p in net.parameters()],
    }
