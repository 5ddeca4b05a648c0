"""Decoding a split with the trained model: hypotheses and the teacher-forced eval loss.

One pass per batch gives both, for HF models and the vanilla transformer alike. The
random state is forked so that evaluating (sampling included) never changes what the
training that follows does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .bundle import Seq2SeqBundle


@dataclass
class DecodedSplit:
    hypotheses: list[str]
    loss: float | None  # mean token cross-entropy; None without references


def _device_of(module: Any) -> Any:
    return next(module.parameters()).device


def decode_split(
    bundle: Seq2SeqBundle,
    sources: list[str],
    references: list[str] | None,
    generate_kwargs: dict[str, Any],
    batch_size: int,
    seed: int,
    module: Any = None,
) -> DecodedSplit:
    """Generate for every source in order; with references, also the eval loss.

    ``module`` defaults to the bundle's; the trainer passes the model it is training.
    """
    import torch
    from torch.utils.data import DataLoader

    module = module if module is not None else bundle.module
    device = _device_of(module)
    data = bundle.encode(sources, references)
    loader = DataLoader(data, batch_size=batch_size, shuffle=False, collate_fn=bundle.collator())
    hypotheses: list[str] = []
    loss_sum, tokens = 0.0, 0
    was_training = module.training
    module.eval()
    devices = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            for batch in loader:
                batch = {k: v.to(device) for k, v in batch.items()}
                if "labels" in batch:
                    out = module(**batch)
                    n = int((batch["labels"] != -100).sum())
                    loss_sum += float(out["loss"]) * n  # HF ModelOutput and dicts alike
                    tokens += n
                ids = module.generate(
                    input_ids=batch["input_ids"],
                    attention_mask=batch["attention_mask"],
                    **generate_kwargs,
                )
                hypotheses.extend(
                    t.strip() for t in bundle.tokenizer.batch_decode(ids, skip_special_tokens=True)
                )
    finally:
        module.train(was_training)
    return DecodedSplit(hypotheses, loss_sum / tokens if tokens else None)
