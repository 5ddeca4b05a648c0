"""The minibatch training loop shared by the classifier and the causal-LM trainers:
AdamW, linear warmup/decay, gradient clipping, autocast on GPUs, evals on a cadence."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from .hf_env import autocast


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


def make_optimizer(torch: Any, model: Any, p: Any) -> Any:
    """AdamW; biases and norms are not decayed (decaying them only hurts)."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "norm" in name.lower() else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": p.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=p.lr)


def total_steps(p: Any, steps_per_epoch: int) -> int:
    full = p.epochs * steps_per_epoch
    return min(full, p.max_steps) if p.max_steps else full


def train(
    ctx: Any,
    torch: Any,
    model: Any,
    p: Any,
    device: str,
    steps_per_epoch: int,
    epoch_batches: Callable[[int], Iterator[dict[str, Any]]],
    loss_of: Callable[[Any, dict[str, Any]], Any],
    evaluate: Callable[[], None],
    description: str,
) -> None:
    """Train for ``p.epochs`` (or ``p.max_steps``); ``evaluate()`` runs every ``p.eval_every``
    steps or at each epoch end, but not after the last step: the engine evaluates then."""
    steps = total_steps(p, steps_per_epoch)
    optimizer = make_optimizer(torch, model, p)
    warmup = int(steps * p.warmup_ratio)

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (steps - step) / max(1, steps - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    model.to(device)
    step, running, seen = 0, 0.0, 0
    log_every = max(1, min(50, steps_per_epoch // 4))
    with ctx.progress(steps, description) as bar:
        for epoch in range(math.ceil(steps / max(1, steps_per_epoch))):
            model.train()
            for batch in epoch_batches(epoch):
                with autocast(torch, device, p.precision):
                    loss = loss_of(model, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if p.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), p.grad_clip)
                optimizer.step()
                schedule.step()
                step += 1
                ctx.step = step
                running += float(loss.detach())
                seen += 1
                bar.update()
                if step % log_every == 0 or step == steps:
                    ctx.log_metrics({"loss": running / seen, "lr": schedule.get_last_lr()[0]})
                    running, seen = 0.0, 0
                at_epoch_end = step % steps_per_epoch == 0
                due = step % p.eval_every == 0 if p.eval_every else at_epoch_end
                if due and step < steps:
                    model.eval()
                    evaluate()
                    model.train()
                if step >= steps:
                    break
            if step >= steps:
                break
    model.eval()
