"""Tokenized pairs as a torch dataset, and the collator that pads them into batches.

The collator builds ``decoder_input_ids`` itself (labels shifted right behind the decoder
start token) so that every model, HF or from scratch, gets the same inputs and the HF
Trainer's label smoother can be used with any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORE_INDEX = -100  # label positions the loss skips (padding)


class TokenizedPairs:
    """Encoded (source, target) pairs: a map-style dataset for torch's DataLoader."""

    def __init__(self, features: list[dict[str, list[int]]]):
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return self.features[i]


def encode_pairs(
    tokenizer: Any,
    sources: list[str],
    targets: list[str] | None,
    max_source_length: int,
    max_target_length: int,
    source_prefix: str = "",
) -> TokenizedPairs:
    sources = [source_prefix + s for s in sources]
    enc = tokenizer(sources, truncation=True, max_length=max_source_length)
    features = [{"input_ids": ids} for ids in enc["input_ids"]]
    if targets is not None:
        labels = tokenizer(text_target=targets, truncation=True, max_length=max_target_length)
        for feat, ids in zip(features, labels["input_ids"], strict=True):
            feat["labels"] = ids
    return TokenizedPairs(features)


@dataclass
class Seq2SeqCollator:
    pad_token_id: int
    decoder_start_token_id: int

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        n = len(features)
        src_len = max(len(f["input_ids"]) for f in features)
        input_ids = torch.full((n, src_len), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((n, src_len), dtype=torch.long)
        for i, f in enumerate(features):
            ids = torch.tensor(f["input_ids"], dtype=torch.long)
            input_ids[i, : len(ids)] = ids
            attention_mask[i, : len(ids)] = 1
        batch = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "labels" in features[0]:
            tgt_len = max(len(f["labels"]) for f in features)
            labels = torch.full((n, tgt_len), IGNORE_INDEX, dtype=torch.long)
            for i, f in enumerate(features):
                labels[i, : len(f["labels"])] = torch.tensor(f["labels"], dtype=torch.long)
            decoder_input_ids = torch.full((n, tgt_len), self.pad_token_id, dtype=torch.long)
            decoder_input_ids[:, 0] = self.decoder_start_token_id
            shifted = labels[:, :-1].clone()
            decoder_input_ids[:, 1:] = shifted.masked_fill(
                shifted == IGNORE_INDEX, self.pad_token_id
            )
            batch["labels"] = labels
            batch["decoder_input_ids"] = decoder_input_ids
        return batch
