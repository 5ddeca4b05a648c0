"""The one minibatch training loop of the torch plugins: AdamW (biases and norms not
decayed), linear warmup then linear decay, gradient clipping, autocast on GPUs, evals on a
cadence, and data parallelism when ``torch.distributed`` is initialised with several ranks.

Data parallel: weights start equal on every rank (shared seeds, and rank 0's are broadcast),
each rank trains on its shard of the train order (:func:`specrun_torchkit.distributed.shard_order`),
gradients are averaged over ranks after every backward, the logged loss is the mean over
ranks, and ``evaluate`` is the caller's, which must cover the whole eval split (every rank
runs it; only rank 0's events reach the store).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import distributed
from .env import autocast


@dataclass
class LoopSettings:
    lr: float
    weight_decay: float = 0.0
    warmup_ratio: float = 0.0
    grad_clip: float | None = 1.0
    precision: str = "fp32"
    eval_every: int | None = None  # steps; None: at each epoch end
    log_every: int | None = None  # steps; None: a quarter epoch, at most 50
    loss_name: str = "loss"
    lr_name: str = "lr"

    @classmethod
    def of(cls, p: Any, **overrides: Any) -> LoopSettings:
        """From a trainer's params (lr, weight_decay, warmup_ratio, grad_clip, precision,
        eval_every), with ``overrides`` on top."""
        fields = ("lr", "weight_decay", "warmup_ratio", "grad_clip", "precision", "eval_every")
        values = {f: getattr(p, f) for f in fields if hasattr(p, f)}
        values.update(overrides)
        return cls(**values)


def padded_batches(
    torch: Any,
    rows: list[list[int]],
    order: list[int],
    batch_size: int,
    pad_id: int,
    extra: dict[str, list[Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Batches of ``rows`` (token ids) in ``order``, right-padded to the longest in the batch."""
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(rows[i]) for i in idx)
        ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, : len(rows[i])] = torch.tensor(rows[i], dtype=torch.long)
            mask[r, : len(rows[i])] = 1
        batch = {"input_ids": ids, "attention_mask": mask, "index": idx}
        for name, values in (extra or {}).items():
            batch[name] = torch.tensor([values[i] for i in idx])
        yield batch


def make_optimizer(torch: Any, module: Any, lr: float, weight_decay: float) -> Any:
    """AdamW; biases and norms are not decayed (decaying them only hurts)."""
    decay, no_decay = [], []
    for name, param in module.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "norm" in name.lower() else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr)


def total_steps(epochs: int, steps_per_epoch: int, max_steps: int | None) -> int:
    full = epochs * steps_per_epoch
    return min(full, max_steps) if max_steps else full


def train(
    ctx: Any,
    torch: Any,
    module: Any,
    settings: LoopSettings,
    device: str,
    steps: int,
    steps_per_epoch: int,
    epoch_batches: Callable[[int], Iterator[Any]],
    loss_of: Callable[[Any], Any],
    evaluate: Callable[[], None] | None,
    description: str,
    evaluate_last: bool = False,
) -> float | None:
    """Train ``module`` for ``steps`` optimizer steps; ``epoch_batches(epoch)`` yields this
    rank's batches of an epoch and ``loss_of(batch)`` returns the batch's loss (module in
    train mode). ``evaluate()`` runs every ``eval_every`` steps or at each epoch end, and
    after the last step only when ``evaluate_last``. Returns the last logged (global) loss."""
    optimizer = make_optimizer(torch, module, settings.lr, settings.weight_decay)
    warmup = int(steps * settings.warmup_ratio)

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (steps - step) / max(1, steps - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    module.to(device)
    distributed.broadcast_parameters(module)
    params = [p for p in module.parameters() if p.requires_grad]
    step, running, seen, last = 0, 0.0, 0, None
    log_every = settings.log_every or max(1, min(50, steps_per_epoch // 4))
    with ctx.progress(steps, description) as bar:
        for epoch in range(math.ceil(steps / max(1, steps_per_epoch))):
            module.train()
            for batch in epoch_batches(epoch):
                with autocast(torch, device, settings.precision):
                    loss = loss_of(batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                distributed.average_gradients(params)
                if settings.grad_clip:
                    torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
                optimizer.step()
                schedule.step()
                step += 1
                ctx.step += 1
                running += float(loss.detach())
                seen += 1
                bar.update()
                if step % log_every == 0 or step == steps:
                    last = distributed.mean_over_ranks(running / seen)
                    ctx.log_metrics(
                        {settings.loss_name: last, settings.lr_name: schedule.get_last_lr()[0]}
                    )
                    running, seen = 0.0, 0
                at_epoch_end = step % steps_per_epoch == 0
                due = step % settings.eval_every == 0 if settings.eval_every else at_epoch_end
                if (
                    evaluate is not None
                    and (due or step == steps)
                    and (step < steps or evaluate_last)
                ):
                    module.eval()
                    evaluate()
                    module.train()
                if step >= steps:
                    break
            if step >= steps:
                break
    # AdamW's moments sit beside the weights: drop them before the weights leave the GPU
    optimizer.state.clear()
    module.eval()
    return last


def epoch_plan(n: int, batch_size: int, seed: int) -> tuple[int, int, Callable[[int], list[int]]]:
    """(per-rank batch, steps per epoch, ``order(epoch)``) for ``n`` train rows and a
    *global* ``batch_size``: each of W ranks takes ``batch_size // W`` rows of its shard, so
    rank batches together are the one-process batch. Epoch e's order is the e-th
    permutation drawn from ``default_rng(seed)`` (as the trainers always drew it), the same
    on every rank, dealt round-robin (:func:`specrun_torchkit.distributed.shard`)."""
    import numpy as np

    _, size = distributed.world()
    local = max(1, batch_size // size)
    per_rank = n // size if size > 1 else n
    steps_per_epoch = max(1, math.ceil(per_rank / local))
    rng = np.random.default_rng(seed)
    drawn: list[list[int]] = []

    def order(epoch: int) -> list[int]:
        while len(drawn) <= epoch:
            drawn.append(rng.permutation(n).tolist())
        return distributed.shard(drawn[epoch])

    return local, steps_per_epoch, order
