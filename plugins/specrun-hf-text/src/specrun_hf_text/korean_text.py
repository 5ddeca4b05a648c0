"""Small Korean text helpers shared by the generators and augmenters."""

from __future__ import annotations

HANGUL_START, HANGUL_END = 0xAC00, 0xD7A3


def has_final_consonant(word: str) -> bool:
    """True when the last syllable ends in a consonant (batchim): picks 은/는, 이/가 ..."""
    if not word:
        return False
    code = ord(word[-1])
    if HANGUL_START <= code <= HANGUL_END:
        return (code - HANGUL_START) % 28 != 0
    return word[-1].isdigit() and word[-1] in "0136781"  # read as 영/일/삼/육/칠/팔/일


def particle(word: str, pair: tuple[str, str]) -> str:
    """``pair`` is (after a consonant, after a vowel), e.g. ('은', '는')."""
    return word + (pair[0] if has_final_consonant(word) else pair[1])


def is_known_char(ch: str) -> bool:
    """A character a Korean BERT-style vocabulary without Hanja would know."""
    code = ord(ch)
    return (
        HANGUL_START <= code <= HANGUL_END
        or 0x3131 <= code <= 0x318E  # compatibility jamo (ㅋㅋ)
        or code < 0x80  # ASCII letters, digits, punctuation
        or ch in "·…‘’“”、。「」『』《》〈〉【】~"
    )


def unknown_char_rate(texts: list[str]) -> float:
    """Share of non-space characters outside that vocabulary: the default unknown rate."""
    total = unknown = 0
    for t in texts:
        for ch in str(t):
            if ch.isspace():
                continue
            total += 1
            unknown += not is_known_char(ch)
    return unknown / total if total else 0.0
