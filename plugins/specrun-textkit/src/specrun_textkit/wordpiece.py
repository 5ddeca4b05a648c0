"""WordPiece training that gives the same vocabulary and ids in every process.

``tokenizers``' ``WordPieceTrainer`` is a BPE trainer with a ``##`` prefix for the pieces
that continue a word. It gives those pieces ids in the iteration order of a Rust
``HashMap``, whose hash keys are random per process, and breaks ties between merges of
equal count by those ids: a fresh process learns another vocabulary. Its ``limit_alphabet``
also cuts ties between characters of equal count in hash order.

The BPE trainer itself is deterministic when every symbol of every word is in the initial
alphabet (characters are numbered in sorted order, merges are ordered by count, then ids).
So the words are rewritten before training: every character after the first of a word is
replaced by its own private-use code point, which stands for the ``##`` piece of that
character. BPE then learns over single characters only, and its tokens are mapped back:
``가`` + PUA(나) is ``가나``, PUA(나) + PUA(다) is ``##나다``. The alphabet limit is applied
here, by count and then by character, so ties are cut the same way everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

PREFIX = "##"
_PUA = 0xF0000  # supplementary private use areas A and B: 131,068 code points


def _words(tok: Any, texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        s = tok.normalizer.normalize_str(str(text)) if tok.normalizer is not None else str(text)
        pieces = (
            tok.pre_tokenizer.pre_tokenize_str(s) if tok.pre_tokenizer is not None else [(s, None)]
        )
        counts.update(word for word, _ in pieces if word)
    return counts


def train_wordpiece(
    tok: Any,
    texts: Iterable[str],
    vocab_size: int,
    special_tokens: list[str],
    unk_token: str = "[UNK]",
    min_frequency: int = 0,
    limit_alphabet: int | None = None,
) -> Any:
    """Train a WordPiece model on ``texts`` into ``tok`` (a ``tokenizers.Tokenizer`` whose
    normalizer and pre-tokenizer are set) and return ``tok``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    words = _words(tok, texts)
    chars: Counter[str] = Counter()
    for word, n in words.items():
        for c in word:
            chars[c] += n
    kept = sorted(chars, key=lambda c: (-chars[c], c))
    if limit_alphabet:
        kept = kept[:limit_alphabet]
    if len(kept) > 0x1FFFC:
        raise ValueError(
            f"{len(kept)} distinct characters: more than WordPiece training here can take"
        )
    keep = set(kept)
    cont = {c: chr(_PUA + i) for i, c in enumerate(sorted(keep))}
    back = {v: k for k, v in cont.items()}

    def rewrite(word: str) -> str:
        word = "".join(c for c in word if c in keep)
        return word[:1] + "".join(cont[c] for c in word[1:])

    lines = [rewrite(w) for w in sorted(words) for _ in range(words[w])]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    alphabet = sorted(keep) + [cont[c] for c in sorted(keep)]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        min_frequency=min_frequency,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    bpe.train_from_iterator((w for w in lines if w), trainer)

    def restore(token: str) -> str:
        if token in special_tokens:
            return token
        if token[0] in back:
            return PREFIX + "".join(back.get(c, c) for c in token)
        return token[0] + "".join(back.get(c, c) for c in token[1:])

    vocab: dict[str, int] = {}
    for token, _id in sorted(bpe.get_vocab().items(), key=lambda kv: kv[1]):
        vocab.setdefault(restore(token), len(vocab))
    if unk_token not in vocab:
        vocab[unk_token] = len(vocab)
    tok.model = models.WordPiece(vocab=vocab, unk_token=unk_token, continuing_subword_prefix=PREFIX)
    return tok
