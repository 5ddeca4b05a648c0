"""Subword tokenizers trained on the run's own data (SentencePiece-style, with `tokenizers`).

Both models split on whitespace with the SentencePiece word marker (▁), so Hangul and
Latin text are handled alike and decoding restores the spaces. BPE is the default: on
small, repetitive corpora (like the generated grammar) unigram training keeps few whole
words and yields ~3x longer sequences (measured: 20 vs 8 tokens per English sentence),
which costs training time on a CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import runtime  # noqa: F401  (process settings before the frameworks load)
from .model_params import TrainTokenizer

PAD, EOS, UNK, BOS = "<pad>", "</s>", "<unk>", "<s>"
SPECIALS = [PAD, EOS, UNK, BOS]  # ids 0, 1, 2, 3


def train_tokenizer(texts: Iterable[str], params: TrainTokenizer) -> Any:
    """A ``PreTrainedTokenizerFast`` that appends </s> to every sequence."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    if params.model == "bpe":
        tok = Tokenizer(models.BPE(unk_token=UNK))
        trainer: Any = trainers.BpeTrainer(
            vocab_size=params.vocab_size,
            special_tokens=SPECIALS,
            min_frequency=params.min_frequency,
            show_progress=False,
        )
    else:
        tok = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(
            vocab_size=params.vocab_size,
            special_tokens=SPECIALS,
            unk_token=UNK,
            show_progress=False,
        )
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if params.lowercase else [])
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator((t for t in texts if t), trainer)
    eos_id = tok.token_to_id(EOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A $B {EOS}", special_tokens=[(EOS, eos_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK, bos_token=BOS
    )


def training_texts(frame: Any, source: str, target: str) -> list[str]:
    """Source and target texts of the train split: one vocabulary for both sides, so the
    encoder and decoder embeddings can be shared (as Marian does)."""
    return [str(t) for t in frame[source].to_list()] + [str(t) for t in frame[target].to_list()]
