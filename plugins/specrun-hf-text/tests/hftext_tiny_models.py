"""Tiny real models saved with save_pretrained, for the checkpoint code paths (no hub)."""

from __future__ import annotations

from pathlib import Path

from specrun_hf_text.params_common import TokenizerSpec
from specrun_hf_text.tokenizer_training import BERT_SPECIALS, train_tokenizer

SPECIALS = {"pad_token": "<pad>", "unk_token": "<unk>", "eos_token": "</s>"}


def save_tiny_marian(path: Path, texts: list[str], seed: int = 0) -> Path:
    """A 1-layer Marian with a WordPiece tokenizer trained on ``texts``: random weights,
    so it "translates" into gibberish of varied length, which is what the filters need."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    torch.manual_seed(seed)
    tok = train_tokenizer(
        texts,
        TokenizerSpec(kind="wordpiece", vocab_size=300, min_frequency=1),
        SPECIALS,
        add_cls_sep=False,
    )
    config = MarianConfig(
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
    model = MarianMTModel(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def save_tiny_masked_lm(path: Path, texts: list[str], seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(seed)
    tok = train_tokenizer(
        texts,
        TokenizerSpec(kind="wordpiece", vocab_size=400, min_frequency=1),
        BERT_SPECIALS,
        add_cls_sep=True,
    )
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=tok.pad_token_id,
    )
    BertForMaskedLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def save_tiny_bert_classifier(path: Path, texts: list[str], seed: int = 0) -> Path:
    """A BERT with a 2-class head, saved: loading it for 6 classes re-initialises the head."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    tok = train_tokenizer(
        texts,
        TokenizerSpec(kind="wordpiece", vocab_size=600, min_frequency=1),
        BERT_SPECIALS,
        add_cls_sep=True,
    )
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=80,
        pad_token_id=tok.pad_token_id,
        num_labels=2,
    )
    BertForSequenceClassification(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def save_tiny_gpt2(path: Path, texts: list[str], seed: int = 0) -> Path:
    """A GPT-2 whose tokenizer has only <|endoftext|> (as the real one): no PAD, BOS = EOS."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    tok = train_tokenizer(
        texts,
        TokenizerSpec(kind="bpe", vocab_size=400),
        {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
        add_cls_sep=False,
    )
    config = GPT2Config(
        vocab_size=len(tok),
        n_embd=32,
        n_layer=1,
        n_head=2,
        n_positions=128,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path
