"""Korean particles chosen by the final consonant (받침) of the word they attach to, and the
character checks the text plugins share (no heavy import).

Hangul syllables U+AC00..U+D7A3 are composed as (initial * 21 + medial) * 28 + final;
final == 0 means the syllable ends in a vowel.
"""

from __future__ import annotations

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
RIEUL = 8  # index of ㄹ among final consonants: ㄹ takes 로, not 으로
# particle after a final consonant -> after a vowel
JOSA = {"은": "는", "이": "가", "을": "를", "과": "와", "으로": "로", "이라면": "라면"}
# grammatical role -> (after a consonant, after a vowel)
PARTICLES = {
    "topic": ("은", "는"),
    "subject": ("이", "가"),
    "object": ("을", "를"),
    "and": ("과", "와"),
}
_DIGITS_WITH_FINAL = "0136781"  # read as 영/일/삼/육/칠/팔/일


def final_consonant(word: str) -> int | None:
    """The final-consonant index (0: a vowel) of the last syllable, None when ``word``
    (trailing spaces aside) does not end in a Hangul syllable."""
    last = word.rstrip()[-1:]
    if not last or not HANGUL_FIRST <= ord(last) <= HANGUL_LAST:
        return None
    return (ord(last) - HANGUL_FIRST) % 28


def has_final_consonant(word: str, strict: bool = False) -> bool:
    """True when the last syllable has a 받침 (학생 -> True, 사과 -> False). A final digit is
    read aloud (3 -> 삼: True); anything else is False, or a ValueError when ``strict``."""
    final = final_consonant(word)
    if final is not None:
        return final != 0
    if strict:
        raise ValueError(f"{word!r} does not end in a Hangul syllable" if word else "empty word")
    return bool(word) and word[-1] in _DIGITS_WITH_FINAL


def particle(word: str, pair: tuple[str, str]) -> str:
    """``word`` and ``pair[0]`` after a consonant, else ``pair[1]`` (e.g. ('은', '는'))."""
    return word + (pair[0] if has_final_consonant(word) else pair[1])


def attach_particle(word: str, form: str) -> str:
    """The word with the form of particle ``form`` (given in its after-a-consonant form)
    its last syllable takes: 서울+은 -> 서울은, 제주+은 -> 제주는, 지하철+으로 -> 지하철로.
    A form not in :data:`JOSA` is appended as is; a word not ending in Hangul takes the
    after-a-vowel form."""
    if form not in JOSA:
        return word + form
    final = final_consonant(word) or 0
    if form == "으로" and final == RIEUL:
        return word + "로"
    return word + (form if final else JOSA[form])


def is_known_char(ch: str) -> bool:
    """A character a Korean BERT-style vocabulary without Hanja would know."""
    code = ord(ch)
    return (
        HANGUL_FIRST <= code <= HANGUL_LAST
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
