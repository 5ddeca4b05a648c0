"""Deterministic WordPiece: the same vocabulary in fresh processes, and a working tokenizer."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import hashlib, json, random
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
from specrun_textkit import train_wordpiece
rng = random.Random(0)
chars = [chr(0xAC00 + i) for i in range(400)]
texts = [" ".join("".join(rng.choice(chars) for _ in range(rng.randint(2, 6))) for _ in range(3))
         for _ in range(1500)]
tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
tok.normalizer = normalizers.NFC()
tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
train_wordpiece(tok, texts, 1200, ["[PAD]", "[UNK]", "[CLS]"], limit_alphabet=300)
print(hashlib.sha256(tok.to_str().encode()).hexdigest(), tok.get_vocab_size())
"""


def test_same_vocabulary_in_fresh_processes():
    outs = {
        subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(3)
    }
    assert len(outs) == 1, outs
    assert int(next(iter(outs)).split()[1]) == 1200


def _train(vocab_size: int):
    from tokenizers import Tokenizer, models, pre_tokenizers

    from specrun_textkit import train_wordpiece

    texts = ["low lower lowest", "new newer newest", "wide wider widest"] * 50
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return train_wordpiece(tok, texts, vocab_size, ["[PAD]", "[UNK]"])


def test_trained_wordpiece_splits_words_into_known_pieces():
    small = _train(28)
    vocab = small.get_vocab()
    assert vocab["[PAD]"] == 0 and vocab["[UNK]"] == 1 and len(vocab) == 28
    pieces = small.encode("lowest").tokens
    assert len(pieces) > 1 and all(p.startswith("##") for p in pieces[1:]) and "[UNK]" not in pieces
    assert small.encode("zzz").tokens == ["[UNK]"]  # never seen: unknown, as WordPiece does
    # With room enough, the frequent words become whole tokens.
    assert _train(60).encode("lowest newer wider").tokens == ["lowest", "newer", "wider"]
