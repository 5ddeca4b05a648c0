"""Tiny real models saved with save_pretrained, for the checkpoint code paths (no hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specrun_hf_text.params_common import TokenizerSpec
from specrun_hf_text.tokenizer_training import BERT_SPECIALS, train_tokenizer

SPECIALS = {"pad_token": "<pad>", "unk_token": "<unk>", "eos_token": "</s>"}
GPT2_SPECIALS = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}


def _save_tiny(
    path: Path,
    texts: list[str],
    seed: int,
    tokenizer: TokenizerSpec,
    specials: dict[str, str],
    add_cls_sep: bool,
    build: Any,
) -> Path:
    """Seed torch, train the tokenizer on ``texts``, build the model from it
    (``build(tokenizer)``) and save both under ``path``."""
    import torch

    torch.manual_seed(seed)
    tok = train_tokenizer(texts, tokenizer, specials, add_cls_sep=add_cls_sep)
    build(tok).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def save_tiny_marian(path: Path, texts: list[str], seed: int = 0) -> Path:
    """A 1-layer Marian with a WordPiece tokenizer trained on ``texts``: random weights,
    so it "translates" into gibberish of varied length, which is what the filters need."""
    from transformers import MarianConfig, MarianMTModel

    def build(tok: Any) -> Any:
        return MarianMTModel(
            MarianConfig(
                vocab_size=len(tok),
                d_model=32,
                encoder_layers=1,
                decoder_layers=1,
                encoder_attention_heads=2,
                decoder_attention_heads=2,
                encoder_ffn_dim=64,
                decoder_ffn_dim=64,
                max_position_embeddings=128,
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
                decoder_start_token_id=tok.pad_token_id,
                forced_eos_token_id=tok.eos_token_id,
            )
        )

    spec = TokenizerSpec(kind="wordpiece", vocab_size=300, min_frequency=1)
    return _save_tiny(path, texts, seed, spec, SPECIALS, False, build)


def _save_tiny_bert(
    path: Path,
    texts: list[str],
    seed: int,
    model_class: Any,
    vocab_size: int,
    max_positions: int,
    **config: Any,
) -> Path:
    from transformers import BertConfig

    def build(tok: Any) -> Any:
        return model_class(
            BertConfig(
                vocab_size=len(tok),
                hidden_size=32,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=64,
                max_position_embeddings=max_positions,
                pad_token_id=tok.pad_token_id,
                **config,
            )
        )

    spec = TokenizerSpec(kind="wordpiece", vocab_size=vocab_size, min_frequency=1)
    return _save_tiny(path, texts, seed, spec, BERT_SPECIALS, True, build)


def save_tiny_masked_lm(path: Path, texts: list[str], seed: int = 0) -> Path:
    from transformers import BertForMaskedLM

    return _save_tiny_bert(path, texts, seed, BertForMaskedLM, vocab_size=400, max_positions=64)


def save_tiny_bert_classifier(path: Path, texts: list[str], seed: int = 0) -> Path:
    """A BERT with a 2-class head, saved: loading it for 6 classes re-initialises the head."""
    from transformers import BertForSequenceClassification

    return _save_tiny_bert(
        path,
        texts,
        seed,
        BertForSequenceClassification,
        vocab_size=600,
        max_positions=80,
        num_labels=2,
    )


def save_tiny_gpt2(path: Path, texts: list[str], seed: int = 0) -> Path:
    """A GPT-2 whose tokenizer has only <|endoftext|> (as the real one): no PAD, BOS = EOS."""
    from transformers import GPT2Config, GPT2LMHeadModel

    def build(tok: Any) -> Any:
        return GPT2LMHeadModel(
            GPT2Config(
                vocab_size=len(tok),
                n_embd=32,
                n_layer=1,
                n_head=2,
                n_positions=128,
                bos_token_id=tok.bos_token_id,
                eos_token_id=tok.eos_token_id,
            )
        )

    spec = TokenizerSpec(kind="bpe", vocab_size=400)
    return _save_tiny(path, texts, seed, spec, GPT2_SPECIALS, False, build)
