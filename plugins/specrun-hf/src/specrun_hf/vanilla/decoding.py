"""Decoding for the vanilla transformer: greedy, sampling and beam search, with repetition
penalty and no-repeat n-grams. Same keyword arguments and output layout as HF's
``generate`` (rows start with the decoder start token, finished rows are padded).

There is no key/value cache: each step re-runs the decoder over the prefix, which for
the short sequences this model is meant for costs less than the bookkeeping would.
"""

from __future__ import annotations

from typing import Any

import torch


def apply_repetition_penalty(
    logits: torch.Tensor, prefix: torch.Tensor, penalty: float
) -> torch.Tensor:
    """CTRL-style: logits of tokens already in the prefix are divided by ``penalty`` if
    positive and multiplied if negative (HF's convention)."""
    if penalty == 1.0:
        return logits
    seen = torch.gather(logits, 1, prefix)
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(1, prefix, seen)


def ban_repeated_ngrams(logits: torch.Tensor, prefix: torch.Tensor, n: int) -> torch.Tensor:
    """Forbid tokens that would complete an n-gram already present in the row's prefix."""
    if n <= 0 or prefix.shape[1] < n:
        return logits
    rows = prefix.tolist()
    for i, row in enumerate(rows):
        tail = tuple(row[len(row) - (n - 1) :]) if n > 1 else ()
        banned = [
            row[j + n - 1] for j in range(len(row) - n + 1) if tuple(row[j : j + n - 1]) == tail
        ]
        if banned:
            logits[i, banned] = float("-inf")
    return logits


def filter_top_k_top_p(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    if top_k and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(-1)
        # Drop a token when the mass before it already reaches top_p (the first always stays).
        drop_sorted = (cumulative - torch.softmax(sorted_logits, dim=-1)) >= top_p
        drop = drop_sorted.scatter(1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def _next_logits(
    model: Any,
    prefix: torch.Tensor,
    memory: torch.Tensor,
    src_mask: torch.Tensor,
    repetition_penalty: float,
    no_repeat_ngram_size: int,
) -> torch.Tensor:
    logits = model.decode(prefix, memory, src_mask)[:, -1, :].float()
    logits = apply_repetition_penalty(logits, prefix, repetition_penalty)
    return ban_repeated_ngrams(logits, prefix, no_repeat_ngram_size)


@torch.no_grad()
def generate(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    max_new_tokens: int = 64,
    num_beams: int = 1,
    do_sample: bool = False,
    top_k: int = 50,
    top_p: float = 1.0,
    temperature: float = 1.0,
    repetition_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
    length_penalty: float = 1.0,
    early_stopping: bool = True,
    **_ignored: Any,
) -> torch.Tensor:
    """Token ids (batch, 1 + generated): the decoder start token, then the output."""
    cfg = model.config
    max_new_tokens = min(max_new_tokens, cfg.max_positions - 1)  # positions are finite
    memory, src_mask = model.encode(input_ids, attention_mask)
    if num_beams > 1 and not do_sample:
        return _beam_search(
            model,
            memory,
            src_mask,
            max_new_tokens,
            num_beams,
            length_penalty,
            early_stopping,
            repetition_penalty,
            no_repeat_ngram_size,
        )
    batch = input_ids.shape[0]
    prefix = torch.full(
        (batch, 1), cfg.decoder_start_token_id, dtype=torch.long, device=input_ids.device
    )
    done = torch.zeros(batch, dtype=torch.bool, device=input_ids.device)
    for _ in range(max_new_tokens):
        logits = _next_logits(
            model, prefix, memory, src_mask, repetition_penalty, no_repeat_ngram_size
        )
        if do_sample:
            logits = filter_top_k_top_p(logits / temperature, top_k, top_p)
            token = torch.multinomial(torch.softmax(logits, dim=-1), 1).squeeze(1)
        else:
            token = logits.argmax(dim=-1)
        token = token.masked_fill(done, cfg.pad_token_id)
        prefix = torch.cat([prefix, token[:, None]], dim=1)
        done |= token.eq(cfg.eos_token_id)
        if bool(done.all()):
            break
    return prefix


def _beam_search(
    model: Any,
    memory: torch.Tensor,
    src_mask: torch.Tensor,
    max_new_tokens: int,
    beams: int,
    length_penalty: float,
    early_stopping: bool,
    repetition_penalty: float,
    no_repeat_ngram_size: int,
) -> torch.Tensor:
    """Beam search; a hypothesis ending in </s> is scored sum(logp) / length**length_penalty."""
    cfg = model.config
    device = memory.device
    batch = memory.shape[0]
    memory = memory.repeat_interleave(beams, dim=0)
    src_mask = src_mask.repeat_interleave(beams, dim=0)
    prefix = torch.full(
        (batch * beams, 1), cfg.decoder_start_token_id, dtype=torch.long, device=device
    )
    # Only the first beam is live at the start, so the k copies do not fill the beam.
    scores = torch.full((batch, beams), float("-inf"), device=device)
    scores[:, 0] = 0.0
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch)]
    closed = [False] * batch
    for step in range(1, max_new_tokens + 1):
        logp = torch.log_softmax(
            _next_logits(model, prefix, memory, src_mask, repetition_penalty, no_repeat_ngram_size),
            dim=-1,
        )
        vocab = logp.shape[-1]
        cand = (scores.reshape(-1, 1) + logp).reshape(batch, beams * vocab)
        top_scores, top_ids = cand.topk(2 * beams, dim=-1)
        next_rows, next_tokens, next_scores = [], [], []
        for b in range(batch):
            kept = 0
            for score, flat in zip(top_scores[b].tolist(), top_ids[b].tolist(), strict=True):
                beam, token = divmod(flat, vocab)
                row = b * beams + beam
                if token == cfg.eos_token_id:
                    if not closed[b] and score > float("-inf"):
                        seq = prefix[row].tolist() + [token]
                        finished[b].append((score / (step**length_penalty), seq))
                    continue
                if kept < beams:
                    next_rows.append(row)
                    next_tokens.append(token)
                    next_scores.append(score if not closed[b] else float("-inf"))
                    kept += 1
            while kept < beams:  # every candidate ended: pad the beam with dead rows
                next_rows.append(b * beams)
                next_tokens.append(cfg.pad_token_id)
                next_scores.append(float("-inf"))
                kept += 1
            if len(finished[b]) >= beams and (early_stopping or step == max_new_tokens):
                closed[b] = True
        prefix = torch.cat(
            [prefix[next_rows], torch.tensor(next_tokens, device=device)[:, None]], dim=1
        )
        scores = torch.tensor(next_scores, device=device).reshape(batch, beams)
        if all(closed):
            break
    best: list[list[int]] = []
    for b in range(batch):
        pool = list(finished[b])
        if not pool:  # nothing reached </s>: fall back to the live beams
            for k in range(beams):
                s = float(scores[b, k])
                if s > float("-inf"):
                    seq = prefix[b * beams + k].tolist()
                    pool.append((s / ((len(seq) - 1) ** length_penalty), seq))
        best.append(max(pool, key=lambda p: p[0])[1] if pool else [cfg.decoder_start_token_id])
    width = max(len(s) for s in best)
    out = torch.full((batch, width), cfg.pad_token_id, dtype=torch.long, device=device)
    for b, seq in enumerate(best):
        out[b, : len(seq)] = torch.tensor(seq, device=device)
    return out
