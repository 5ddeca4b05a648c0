"""Tokenizers: a pretrained one from a checkpoint, or a WordPiece trained on the run's data.

Trained tokenizers normalize with NFKC, not BERT's NFD + accent stripping: NFD splits a
Hangul syllable into jamo and would make Korean text three times longer.
Checkpoints load with ``local_files_only``: the torch plugins' one offline policy
(``specrun_torchkit.env``; the worker's HF_HUB_OFFLINE is declared on the components).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from specrun import UserError

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_wordpiece(texts: Iterable[str], vocab_size: int, lowercase: bool = True) -> Any:
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    from specrun_textkit import train_wordpiece

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # Not tokenizers' WordPieceTrainer: it learns another vocabulary in every process.
    train_wordpiece(tok, texts, vocab_size, SPECIALS, unk_token="[UNK]", min_frequency=1)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def load_pretrained(checkpoint: str) -> Any:
    from transformers import AutoTokenizer

    from .params import checkpoint_path

    try:
        tok = AutoTokenizer.from_pretrained(checkpoint_path(checkpoint), local_files_only=True)
    except (OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(
            f"model.checkpoint {checkpoint!r}: cannot load its tokenizer offline "
            f"(a local directory or a model already in the Hugging Face cache): {first}"
        ) from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
    return tok
