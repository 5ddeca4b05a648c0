"""Word or character vocabularies built from a run's own training text (numpy only).

Ids 0..3 are the specials: padding must be 0 (Keras's ``mask_zero``), and decoding stops at
``</s>``. Sources may be reversed before padding, so padding always stays at the end.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")


# Words (with an inner apostrophe: don't) or single punctuation marks; \w covers Hangul.
_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
# Marks written without a space before them when a translation is turned back into text.
_NO_SPACE_BEFORE = set(".,!?;:%)]}")


def split_units(text: str, tokens: str, lowercase: bool) -> list[str]:
    text = str(text).strip()
    if lowercase:
        text = text.lower()
    if tokens == "char":
        return list(" ".join(text.split()))  # runs of whitespace become one space unit
    return _WORD.findall(text)


def join_units(units: Iterable[str], tokens: str) -> str:
    if tokens == "char":
        return "".join(units)
    out = ""
    for u in units:
        out += u if (not out or u in _NO_SPACE_BEFORE or out[-1] in "([{") else " " + u
    return out


@dataclass
class Vocab:
    itos: list[str]

    def __post_init__(self) -> None:
        self.stoi = {u: i for i, u in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, texts: Iterable[list[str]], min_count: int, max_size: int) -> Vocab:
        counts = Counter(u for units in texts for u in units)
        # Most frequent first, ties alphabetical: the same data always gives the same ids.
        ranked = sorted(
            (u for u, n in counts.items() if n >= min_count), key=lambda u: (-counts[u], u)
        )
        return cls(list(SPECIALS) + ranked[: max(0, max_size - len(SPECIALS))])

    def ids(self, units: list[str]) -> list[int]:
        return [self.stoi.get(u, UNK) for u in units]

    def units(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            out.append(self.itos[i] if i < len(self.itos) else SPECIALS[UNK])
        return out

    def to_json(self) -> dict[str, Any]:
        return {"itos": self.itos}


def _width(units: list[list[str]], max_len: int) -> int:
    # Pad to the longest sequence present, not to max_len: masked LSTM steps still cost
    # compute, and short sentences padded to 40 make training several times slower.
    return max(1, min(max_len, max((len(u) for u in units), default=1)))


def encode_sources(
    units: list[list[str]], vocab: Vocab, max_len: int, reverse: bool
) -> tuple[Any, int]:
    """(N, width) int32 ids, padded at the end; and how many were truncated to max_len."""
    import numpy as np

    out = np.full((len(units), _width(units, max_len)), PAD, dtype=np.int32)
    truncated = 0
    for row, u in enumerate(units):
        ids = vocab.ids(u)
        if len(ids) > max_len:
            truncated += 1
            ids = ids[:max_len]
        if reverse:
            ids = ids[::-1]
        out[row, : len(ids)] = ids
    return out, truncated


def encode_targets(units: list[list[str]], vocab: Vocab, max_len: int) -> tuple[Any, Any, int]:
    """Teacher forcing: decoder input ``<s> y`` and output ``y </s>``, both (N, width + 1)."""
    import numpy as np

    width = _width(units, max_len) + 1
    dec_in = np.full((len(units), width), PAD, dtype=np.int32)
    dec_out = np.full((len(units), width), PAD, dtype=np.int32)
    truncated = 0
    for row, u in enumerate(units):
        ids = vocab.ids(u)
        if len(ids) > max_len:
            truncated += 1
            ids = ids[:max_len]
        dec_in[row, : len(ids) + 1] = [BOS, *ids]
        dec_out[row, : len(ids) + 1] = [*ids, EOS]
    return dec_in, dec_out, truncated
