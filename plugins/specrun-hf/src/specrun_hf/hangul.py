"""Korean particles by grammatical role (the shared rules: ``specrun_textkit.korean``)."""

from __future__ import annotations

from functools import partial

from specrun_textkit.korean import PARTICLES
from specrun_textkit.korean import has_final_consonant as _has_final

# Strict here: the generated grammar's words all end in Hangul, anything else is a bug.
has_final_consonant = partial(_has_final, strict=True)


def with_particle(word: str, role: str) -> str:
    """``word`` followed by the form of the ``role`` particle its last syllable needs."""
    after_consonant, after_vowel = PARTICLES[role]
    return word + (after_consonant if has_final_consonant(word) else after_vowel)
