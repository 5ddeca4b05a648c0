"""Korean tokenizing with KoNLPy: regex cleaning, tagging, user dictionary, part-of-speech
filter and stopwords. One ``KoreanTokenizer`` turns one text into a list of tokens.

User dictionaries: Komoran reads one natively (its analyzer then weighs the entries in
context). The other taggers have no user-dictionary API in KoNLPy (Mecab needs a compiled
dictionary), so their text is cut around dictionary terms (longest first) and only the
pieces between are tagged: the entries always come out whole, with their tag. A particle
glued to an entry (지방공무원법을) is split off as a particle first: tagged alone, a lone
"을" or "의" may come out as a noun.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from typing import Any

from specrun import UserError

from .jvm import ensure_jvm
from .lexicon import UserEntry, read_stopwords, read_user_dict
from .tagsets import JAVA_TAGGERS, PROPER_NOUN, hannanum_ntags, tag_kept, tag_matcher

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# Particles (josa) that attach to a noun, longest first; a closed class, so a list will do.
_PARTICLES = sorted(
    "이 가 은 는 을 를 의 에 에서 에게 께 께서 와 과 도 만 로 으로 나 이나 이다 이며 이고 이라 라 "
    "란 이란 에는 에서는 으로는 로는 과의 와의 에서의 으로의 까지 부터 처럼 보다 마다 조차 "
    "이라고 라고 과는 와는 이랑 랑 에도 으로도 로도".split(),
    key=len,
    reverse=True,
)
_PARTICLE_AFTER_ENTRY = re.compile("(?:" + "|".join(_PARTICLES) + r")(?=[\s.,!?;:)\]}'\"]|$)")
PARTICLE_TAG = {"okt": "Josa", "kkma": "JX", "hannanum": "J", "mecab": "JX", "komoran": "JX"}
# Taggers are slow to build (Komoran loads its model, Kkma its dictionaries): one per
# process and configuration, reused by later runs in the same process.
_TAGGERS: dict[tuple[str, str], Any] = {}

MECAB_HINT = (
    "the mecab tagger needs MeCab-ko and its dictionary: pip install python-mecab-ko "
    "(or specrun-textmining[mecab]); or use tagger: komoran"
)


def _user_dict_key(entries: list[UserEntry], tagger: str) -> tuple[str, str]:
    body = "".join(f"{e.term}\t{e.tag or PROPER_NOUN[tagger]}\n" for e in entries)
    return body, hashlib.sha256(body.encode()).hexdigest()[:16]


def _build_komoran(entries: list[UserEntry] | None) -> Any:
    from konlpy.tag import Komoran

    if not entries:
        return Komoran()
    body, _ = _user_dict_key(entries, "komoran")
    # Komoran wants a path; it reads the file while being built, so a temporary copy with
    # every tag written out (and comments gone) is enough.
    fd, path = tempfile.mkstemp(prefix="komoran-userdic-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        return Komoran(userdic=path)
    finally:
        os.remove(path)


def _build_mecab() -> Any:
    try:
        import mecab  # python-mecab-ko: MeCab-ko and its dictionary as wheels

        return mecab.MeCab()
    except ImportError:
        pass
    try:
        from konlpy.tag import Mecab  # a system-wide mecab-ko + mecab-ko-dic

        return Mecab()
    except Exception:  # noqa: BLE001 - ImportError, or konlpy's "dictionary not found"
        raise UserError(MECAB_HINT) from None


def get_tagger(name: str, entries: list[UserEntry] | None, max_heap_mb: int = 1024) -> Any:
    """A (cached) KoNLPy tagger; Komoran gets the user dictionary built in."""
    native = entries if name == "komoran" else None
    key = (name, _user_dict_key(native, name)[1] if native else "")
    if key in _TAGGERS:
        return _TAGGERS[key]
    if name in JAVA_TAGGERS:
        ensure_jvm(name, max_heap_mb)
    if name == "mecab":
        tagger = _build_mecab()
    elif name == "komoran":
        tagger = _build_komoran(native)
    else:
        from konlpy import tag

        tagger = {"okt": tag.Okt, "kkma": tag.Kkma, "hannanum": tag.Hannanum}[name]()
    _TAGGERS[key] = tagger
    return tagger


class KoreanTokenizer:
    """Built from the tokenize params (see ``params.TokenizeParams``)."""

    def __init__(self, p: Any):
        self.tagger_name: str = p.tagger
        self.keep = tag_matcher(p.keep_pos)
        self.rules = [(re.compile(r.pattern, r.compiled_flags()), r.replace) for r in p.regex]
        self.entries = read_user_dict(p.user_dict) if p.user_dict else []
        stop = list(p.stopwords_inline)
        if p.stopwords:
            stop += read_stopwords(p.stopwords)
        self.stopwords = frozenset(stop)
        self.min_length: int = p.min_length
        self.join_pos: bool = p.join_pos
        self.okt_stem: bool = p.okt_stem
        self.ntags = hannanum_ntags(p.keep_pos + [e.tag for e in self.entries if e.tag])
        self.max_heap_mb: int = p.jvm_max_heap_mb
        self._tagger: Any = None
        self._segmenter: re.Pattern[str] | None = None
        self._entry_tag: dict[str, str] = {}
        if self.entries and self.tagger_name != "komoran":
            terms = sorted((e.term for e in self.entries), key=len, reverse=True)
            self._segmenter = re.compile("|".join(re.escape(t) for t in terms))
            self._entry_tag = {e.term: e.tag or PROPER_NOUN[self.tagger_name] for e in self.entries}

    @property
    def tagger(self) -> Any:
        if self._tagger is None:
            self._tagger = get_tagger(self.tagger_name, self.entries or None, self.max_heap_mb)
        return self._tagger

    def clean(self, text: str) -> str:
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text)
        return _SPACES.sub(" ", text).strip()

    def _tag(self, text: str) -> list[tuple[str, str]]:
        if not text.strip():
            return []
        if self.tagger_name == "hannanum":
            return self.tagger.pos(text, ntags=self.ntags)
        if self.tagger_name == "okt":
            return self.tagger.pos(text, norm=self.okt_stem, stem=self.okt_stem)
        return self.tagger.pos(text)

    def pos(self, text: str) -> list[tuple[str, str]]:
        """(morpheme, tag) pairs of a cleaned text, user-dictionary terms kept whole."""
        if self._segmenter is None:
            return self._tag(text)
        out: list[tuple[str, str]] = []
        start = 0
        particle_tag = (
            "JX"
            if self.tagger_name == "hannanum" and self.ntags == 22
            else PARTICLE_TAG[self.tagger_name]
        )
        for match in self._segmenter.finditer(text):
            if match.start() < start:
                continue  # inside the particle split off the previous entry
            out.extend(self._tag(text[start : match.start()]))
            out.append((match.group(0), self._entry_tag[match.group(0)]))
            start = match.end()
            particle = _PARTICLE_AFTER_ENTRY.match(text, start)
            if particle:
                out.append((particle.group(0), particle_tag))
                start = particle.end()
        out.extend(self._tag(text[start:]))
        return out

    def tokens(self, text: str) -> list[str]:
        exact, prefixes = self.keep
        out = []
        for morph, tag in self.pos(self.clean(text)):
            morph = morph.strip()
            if len(morph) < self.min_length or not tag_kept(tag, exact, prefixes):
                continue
            if morph in self.stopwords:
                continue
            token = f"{morph}/{tag}" if self.join_pos else morph
            if token in self.stopwords:
                continue
            out.append(token)
        return out

    def tokenize_all(self, texts: Iterable[Any], progress: Any = None) -> list[list[str]]:
        docs = []
        for text in texts:
            docs.append(self.tokens("" if text is None else str(text)))
            if progress is not None:
                progress.update()
        return docs
