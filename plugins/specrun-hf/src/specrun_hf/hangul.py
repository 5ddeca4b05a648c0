"""Korean particles chosen by the final consonant (받침) of the word they attach to.

Hangul syllables U+AC00..U+D7A3 are composed as (initial * 21 + medial) * 28 + final;
final == 0 means the syllable ends in a vowel.
"""

from __future__ import annotations

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3

# particle -> (after a consonant, after a vowel)
PARTICLES = {
    "topic": ("은", "는"),
    "subject": ("이", "가"),
    "object": ("을", "를"),
    "and": ("과", "와"),
}


def has_final_consonant(word: str) -> bool:
    """True when the last syllable of ``word`` has a 받침 (학생 -> True, 사과 -> False)."""
    if not word:
        raise ValueError("empty word")
    code = ord(word[-1])
    if not HANGUL_FIRST <= code <= HANGUL_LAST:
        raise ValueError(f"{word!r} does not end in a Hangul syllable")
    return (code - HANGUL_FIRST) % 28 != 0


def with_particle(word: str, role: str) -> str:
    """``word`` followed by the form of the ``role`` particle its last syllable needs."""
    after_consonant, after_vowel = PARTICLES[role]
    return word + (after_consonant if has_final_consonant(word) else after_vowel)
