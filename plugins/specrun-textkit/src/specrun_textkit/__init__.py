"""Shared library of specrun's text plugins (no entry point): deterministic tokenizer
training, Korean particles and character checks (``specrun_textkit.korean``)."""

from .wordpiece import train_wordpiece

__all__ = ["train_wordpiece"]
