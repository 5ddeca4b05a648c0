"""In-batch negatives on spawned ranks (importable by the ranks torch.multiprocessing starts)."""

from __future__ import annotations

from typing import Any

B, DIM = 3, 5
RESPONSES = ["a", "b", "c", "d", "b", "e"]  # row 4 repeats row 1's response: a false negative


def embeddings() -> tuple[Any, Any]:
    import torch

    gen = torch.Generator().manual_seed(7)
    return torch.randn(2 * B, DIM, generator=gen), torch.randn(2 * B, DIM, generator=gen)


def in_batch(rank: int | None = None) -> dict[str, Any]:
    """The logits, loss and candidate gradient of rows ``rank*B..`` (all rows when None)."""
    import torch

    from specrun_retrieval.models import in_batch_logits

    contexts, candidates = embeddings()
    rows = slice(0, 2 * B) if rank is None else slice(rank * B, (rank + 1) * B)
    cand = candidates[rows].clone().requires_grad_(True)
    logits, target, _ = in_batch_logits(
        lambda c, k: c @ k.T, contexts[rows], cand, RESPONSES[rows], scale=2.0
    )
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    loss_value = float(loss.detach())
    return {"logits": logits.detach(), "target": target, "loss": loss_value, "grad": cand.grad}


def rank_in_batch() -> dict[str, Any]:
    import torch.distributed as dist

    return in_batch(dist.get_rank())
