"""Shared library of specrun's text plugins (no entry point): deterministic tokenizer training."""

from .wordpiece import train_wordpiece

__all__ = ["train_wordpiece"]
