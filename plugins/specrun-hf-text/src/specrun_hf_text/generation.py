"""Decoding and perplexity for causal LMs: the decoding block turned into ``generate``
arguments, batched left-padded generation, and token-level perplexity."""

from __future__ import annotations

import math
from typing import Any


def decoding_kwargs(d: Any) -> dict[str, Any]:
    """``generate`` arguments for a DecodingParams; only the knobs its method uses, so
    transformers does not warn about flags that would be ignored."""
    kw: dict[str, Any] = {"max_new_tokens": d.max_new_tokens}
    if d.repetition_penalty != 1.0:
        kw["repetition_penalty"] = d.repetition_penalty
    if d.no_repeat_ngram_size:
        kw["no_repeat_ngram_size"] = d.no_repeat_ngram_size
    if d.method == "greedy":
        kw.update(do_sample=False, num_beams=1)
    elif d.method == "beam":
        kw.update(do_sample=False, num_beams=d.num_beams, early_stopping=True)
    elif d.method == "top_k":
        kw.update(do_sample=True, top_k=d.top_k, top_p=1.0, temperature=d.temperature)
    elif d.method == "top_p":
        kw.update(do_sample=True, top_k=0, top_p=d.top_p, temperature=d.temperature)
    else:  # temperature: plain sampling from the whole (re-tempered) distribution
        kw.update(do_sample=True, top_k=0, top_p=1.0, temperature=d.temperature)
    return kw


def encode_for_lm(tokenizer: Any, texts: list[str], max_length: int) -> list[list[int]]:
    """BOS text EOS per example: EOS at the end of every training text is what teaches the
    model to stop, so that generations end."""
    body = tokenizer(texts, add_special_tokens=False)["input_ids"]
    keep = max_length - 2
    return [[tokenizer.bos_token_id, *ids[:keep], tokenizer.eos_token_id] for ids in body]


def perplexity(
    torch: Any, model: Any, rows: list[list[int]], pad_id: int, batch_size: int, device: str
) -> float:
    """exp(mean negative log-likelihood per predicted token) over all ``rows``."""
    from specrun_torchkit.loop import padded_batches

    nll, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for batch in padded_batches(torch, rows, list(range(len(rows))), batch_size, pad_id):
            ids = batch["input_ids"].to(device)
            mask = batch["attention_mask"].to(device)
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            target, tmask = ids[:, 1:], mask[:, 1:].bool()
            losses = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none"
            )
            nll += float(losses[tmask.reshape(-1)].sum())
            count += int(tmask.sum())
    return math.exp(nll / count) if count else float("nan")


def generate(
    torch: Any,
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    decoding: Any,
    device: str,
    seed: int,
    batch_size: int,
    max_positions: int,
) -> list[tuple[str, bool, int]]:
    """(continuation text, ended with EOS, new tokens) for each prompt."""
    kwargs = decoding_kwargs(decoding)
    encoded = (
        [
            [tokenizer.bos_token_id, *ids]
            for ids in tokenizer(prompts, add_special_tokens=False)["input_ids"]
        ]
        if prompts
        else []
    )
    results: list[tuple[str, bool, int]] = []
    torch.manual_seed(seed)  # sampled generations are reproducible for a seed
    model.eval()
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start : start + batch_size]
        width = max(len(r) for r in chunk)
        ids = torch.full((len(chunk), width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, r in enumerate(chunk):  # left padding: generation continues from the right end
            ids[i, width - len(r) :] = torch.tensor(r)
            mask[i, width - len(r) :] = 1
        room = max(1, min(kwargs["max_new_tokens"], max_positions - width))
        with torch.no_grad():
            out = model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
                bos_token_id=tokenizer.bos_token_id,
                **{**kwargs, "max_new_tokens": room},
            )
        for row in out[:, width:].tolist():
            ended = tokenizer.eos_token_id in row
            if ended:
                row = row[: row.index(tokenizer.eos_token_id)]
            row = [t for t in row if t != tokenizer.pad_token_id]
            results.append(
                (tokenizer.decode(row, skip_special_tokens=True).strip(), ended, len(row))
            )
    return results
