"""Data parallelism for the shared loop, following docs/DESIGN's distributed contract.

Everything here reads ``torch.distributed`` itself, so it works under core's Ray Train path
and under any launcher that initialises the process group (the tests spawn two processes
with gloo). Outside a process group every helper is the single-process identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def world() -> tuple[int, int]:
    """(rank, world_size); (0, 1) when torch.distributed is not initialised."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_distributed() -> bool:
    return world()[1] > 1


def shard_order(n: int, seed: int, epoch: int, salt: int = 0) -> list[int]:
    """This rank's share of a permutation of ``range(n)``: the same permutation on every
    rank (seeded by the run's seed, the epoch and ``salt``), dealt round-robin like torch's
    DistributedSampler (rank r gets positions r, r+W, ...); the tail that does not divide
    evenly is dropped so every rank takes the same number of steps."""
    return shard(np.random.default_rng([seed, epoch, salt]).permutation(n).tolist())


def shard(order: list[int]) -> list[int]:
    """This rank's share of ``order`` (the same on every rank): positions r, r+W, ...,
    the tail that does not divide evenly dropped; all of it on one process."""
    rank, size = world()
    if size == 1:
        return list(order)
    usable = (len(order) // size) * size
    return list(order[:usable][rank::size])


def broadcast_parameters(module: Any) -> None:
    """Rank 0's weights on every rank (seeds are shared, so this is a safeguard)."""
    import torch.distributed as dist

    if is_distributed():
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, src=0)


def average_gradients(params: list[Any]) -> None:
    """All-reduce the gradients of ``params`` and divide by the world size: what
    DistributedDataParallel does after backward, in one flat bucket. Done explicitly
    because a two-tower encoder trains through methods (``encode_contexts``), not
    ``forward``, which DDP's hooks never see."""
    import torch
    import torch.distributed as dist

    rank, size = world()
    if size == 1:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= size
    offset = 0
    for p, g in zip(params, grads, strict=True):
        n = g.numel()
        p.grad = flat[offset : offset + n].view_as(g).clone()
        offset += n


def mean_over_ranks(value: float) -> float:
    """The mean of a float (a logged loss) over all ranks; the value itself on one."""
    import torch
    import torch.distributed as dist

    rank, size = world()
    if size == 1:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item()) / size


def gather_with_grad(tensor: Any) -> Any:
    """Every rank's ``tensor`` concatenated along dim 0 (rank order), gradients flowing back
    to each rank's own part (``torch.distributed.nn.functional.all_gather``)."""
    import torch

    if not is_distributed():
        return tensor
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(tensor.contiguous()), dim=0)


def gather_objects(values: list[Any]) -> list[Any]:
    """Every rank's list, concatenated in rank order (for eval predictions)."""
    import torch.distributed as dist

    if not is_distributed():
        return values
    out: list[Any] = [None] * world()[1]
    dist.all_gather_object(out, values)
    return [v for part in out for v in part]
