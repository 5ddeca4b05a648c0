"""Training a tokenizer on the run's own texts (WordPiece, byte-level BPE, SentencePiece
unigram) and wrapping it as a transformers fast tokenizer with the right special tokens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Special tokens in the order their ids are given (pad first: id 0 keeps masks simple).
BERT_SPECIALS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}
ROBERTA_SPECIALS = {
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "cls_token": "<s>",
    "sep_token": "</s>",
    "mask_token": "<mask>",
    "bos_token": "<s>",
    "eos_token": "</s>",
}

# Which tokenizer a model family expects when it is built from a config.
DEFAULT_KIND = {
    "bert": "wordpiece",
    "roberta": "bpe",
    "xlm-roberta": "sentencepiece",
    "gpt2": "bpe",
    "distilbert": "wordpiece",
    "electra": "wordpiece",
}


def default_kind(model_type: str) -> str:
    return DEFAULT_KIND.get(model_type, "wordpiece")


def train_tokenizer(
    texts: Iterable[str], spec: Any, specials: dict[str, str], add_cls_sep: bool
) -> Any:
    """Train per ``spec`` (a TokenizerSpec) on ``texts``; returns a PreTrainedTokenizerFast.

    ``specials`` maps transformers' attribute names (pad_token ...) to token strings;
    ``add_cls_sep`` wraps every encoding as CLS text SEP (classifiers), else nothing is added
    (causal LMs add BOS/EOS themselves).
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers import trainers as tk_trainers
    from transformers import PreTrainedTokenizerFast

    ordered = list(dict.fromkeys(specials.values()))
    unk = specials.get("unk_token")
    norms = [normalizers.NFC()] + ([normalizers.Lowercase()] if spec.lowercase else [])
    trainer: Any = None
    if spec.kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token=unk or "[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
    elif spec.kind == "bpe":
        # Byte-level: every text is representable, so no unknown token ever appears.
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = tk_trainers.BpeTrainer(
            vocab_size=spec.vocab_size,
            special_tokens=ordered,
            min_frequency=spec.min_frequency,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    else:
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = tk_trainers.UnigramTrainer(
            vocab_size=spec.vocab_size, special_tokens=ordered, unk_token=unk
        )
    tok.normalizer = normalizers.Sequence(norms)
    if trainer is None:  # tokenizers' WordPieceTrainer differs from process to process
        from specrun_textkit import train_wordpiece

        train_wordpiece(
            tok,
            texts,
            spec.vocab_size,
            ordered,
            unk_token=unk or "[UNK]",
            min_frequency=spec.min_frequency,
            limit_alphabet=spec.limit_alphabet,
        )
    else:
        tok.train_from_iterator((str(t) for t in texts), trainer)
    if add_cls_sep:
        cls, sep = specials["cls_token"], specials["sep_token"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"{cls} $A {sep}",
            pair=f"{cls} $A {sep} $B {sep}",
            special_tokens=[(cls, tok.token_to_id(cls)), (sep, tok.token_to_id(sep))],
        )
    return PreTrainedTokenizerFast(tokenizer_object=tok, **specials)


def unk_rate(tokenizer: Any, texts: list[str]) -> float:
    """Share of produced tokens that are the unknown token (0 for byte-level tokenizers)."""
    unk_id = tokenizer.unk_token_id
    if unk_id is None or not texts:
        return 0.0
    total = unknown = 0
    for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        total += len(ids)
        unknown += sum(1 for i in ids if i == unk_id)
    return unknown / total if total else 0.0
