"""User dictionaries and stopword lists: the two word files a spec may name.

Both are read at spec validation (so a malformed file is reported with the spec's file,
line and dotted path before anything starts) and again where the run executes. Only the
standard library is used here.

Formats (UTF-8; blank lines and lines starting with ``#`` are ignored):

- user dictionary: ``term<TAB>TAG`` per line, or just ``term`` (tagged as the tagger's
  proper noun). A term may contain spaces (``바람과 함께 사라지다``).
- stopword list: one word per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UserEntry:
    term: str
    tag: str | None  # None: the tagger's proper-noun tag
    line: int


def _lines(path: Path, what: str) -> list[tuple[int, str]]:
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{what} {path} is not UTF-8 text (byte {exc.start} cannot be decoded)"
        ) from None
    except OSError as exc:
        raise ValueError(f"{what} {path} cannot be read: {exc.strerror}") from None
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.append((number, line))
    return out


def read_user_dict(path: Path) -> list[UserEntry]:
    """Parse a user dictionary; ``ValueError`` names the file and line of a bad entry."""
    entries: list[UserEntry] = []
    seen: dict[str, int] = {}
    for number, line in _lines(path, "user dictionary"):
        fields = line.split("\t")
        if len(fields) > 2:
            raise ValueError(
                f"user dictionary {path}, line {number}: expected 'term<TAB>TAG' or 'term', "
                f"got {len(fields)} tab-separated fields: {line!r}"
            )
        term = fields[0].strip()
        tag = fields[1].strip() if len(fields) == 2 else None
        if not term:
            raise ValueError(
                f"user dictionary {path}, line {number}: the term before the tab is empty"
            )
        if len(fields) == 2 and not tag:
            raise ValueError(
                f"user dictionary {path}, line {number}: the tag after the tab is empty"
            )
        if tag is not None and not (tag.isascii() and tag.isalpha()):
            raise ValueError(
                f"user dictionary {path}, line {number}: {tag!r} is not a part-of-speech tag"
            )
        if term in seen:
            raise ValueError(
                f"user dictionary {path}, line {number}: {term!r} is already defined on line "
                f"{seen[term]}"
            )
        seen[term] = number
        entries.append(UserEntry(term, tag, number))
    if not entries:
        raise ValueError(f"user dictionary {path} has no entries (only blank or # comment lines)")
    return entries


def read_stopwords(path: Path) -> list[str]:
    """Parse a stopword list; ``ValueError`` names the file and line of a bad entry."""
    words: list[str] = []
    for number, line in _lines(path, "stopword list"):
        if "\t" in line:
            raise ValueError(
                f"stopword list {path}, line {number}: has a tab; a stopword list has one word per "
                f"line (is this a user dictionary?): {line!r}"
            )
        words.append(line.strip())
    if not words:
        raise ValueError(f"stopword list {path} has no words (only blank or # comment lines)")
    return list(dict.fromkeys(words))
