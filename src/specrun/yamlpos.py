"""YAML loading that remembers where every value came from.

``load_yaml`` returns the plain Python data and a map from each value's path (a tuple of
keys and list indexes) to its (line, column), both 1-based, so that errors found later by
pydantic can point at the exact place in the file.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError, SpecIssue

Position = tuple[str, int, int]  # file, line, column
PathKey = tuple[Any, ...]

# Bounds on what one YAML text may cost (issue 16: a 1 KB alias bomb took 1.7 GB and 8 s,
# 10,000-deep nesting overflowed the stack, /dev/zero was read until MemoryError). The
# largest shipped spec is a few KB with a depth of 6; these leave two orders of magnitude.
MAX_SPEC_BYTES = 1 << 20  # one file, or one -o value
MAX_DEPTH = 64  # nesting of mappings and lists, aliases counted as what they expand to
MAX_NODES = 100_000  # values once every alias is expanded
MAX_INT_DIGITS = 100  # Python refuses int() past 4,300 digits; no spec needs 100
MAX_ECHO = 200  # characters of a YAML problem shown back


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


def _loader_class() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_INT_LIKE = re.compile(r"[-+]?(0[box])?[0-9a-fA-F_:]+")
_INT_TAG = "tag:yaml.org,2002:int"


def _too_many_digits(event: yaml.ScalarEvent) -> bool:
    value = event.value
    if len(value) <= MAX_INT_DIGITS:
        return False
    typed_int = event.tag == _INT_TAG or (event.implicit[0] and not event.style)
    return bool(typed_int and _INT_LIKE.fullmatch(value))


class _Budget:
    """What the document costs once expanded, from its event stream, before anything is
    built: the stream itself is linear in the text, the expansion of aliases is not."""

    def __init__(self, file: str):
        self.file = file
        self.nodes = 0
        self.stack: list[list[Any]] = []  # [anchor, size, height] of each open collection
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor -> (expanded size, height)

    def fail(self, event: yaml.Event, message: str) -> None:
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise SpecError([SpecIssue(self.file, line, col, "", message)])

    def _add(self, event: yaml.Event, size: int, height: int) -> None:
        self.nodes += size
        if self.nodes > MAX_NODES:
            self.fail(
                event,
                f"the YAML expands to more than {MAX_NODES:,} values (aliases included): "
                "not a spec, or an alias bomb",
            )
        if len(self.stack) + height > MAX_DEPTH:
            self.fail(event, f"the YAML nests deeper than {MAX_DEPTH} levels (aliases included)")
        if self.stack:
            top = self.stack[-1]
            top[1] += size
            top[2] = max(top[2], height)

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            if _too_many_digits(event):
                self.fail(
                    event, f"an integer of {len(event.value):,} digits (at most {MAX_INT_DIGITS})"
                )
            self._add(event, 1, 1)
            if event.anchor:
                self.anchors[event.anchor] = (1, 1)
        elif isinstance(event, yaml.AliasEvent):
            size, height = self.anchors.get(event.anchor or "", (1, 1))
            self._add(event, size, height)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(self.stack) >= MAX_DEPTH:
                self.fail(event, f"the YAML nests deeper than {MAX_DEPTH} levels")
            self.stack.append([event.anchor, 1, 0])
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, size, height = self.stack.pop()
            # The collection's own node was not counted at its start: count it, with its
            # children, into the parent now (and into the total once).
            self.nodes -= size - 1
            self._add(event, size, height + 1)
            if anchor:
                self.anchors[anchor] = (size, height + 1)


def _check_budget(text: str, file: str) -> None:
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(
            [SpecIssue(file, None, None, "", f"larger than {_mib(MAX_SPEC_BYTES)}: not a spec")]
        )
    budget = _Budget(file)
    loader = _loader_class()(text)
    try:
        while loader.check_event():
            budget.feed(loader.get_event())
    finally:
        loader.dispose()


def _positions(node: yaml.Node, file: str, prefix: PathKey, out: dict[PathKey, Position]) -> None:
    out[prefix] = (file, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # Point a key's path at the key itself: "unknown key" errors read best there.
            _positions(value_node, file, prefix + (key,), out)
            out[prefix + (key,)] = (
                file,
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, file, prefix + (i,), out)


def _duplicate_keys(node: yaml.Node, file: str, prefix: str, issues: list[SpecIssue]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            path = f"{prefix}.{key}" if prefix else key
            if key in seen:
                issues.append(
                    SpecIssue(
                        file,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        path,
                        "duplicate key (YAML would silently keep only the last one)",
                    )
                )
            seen.add(key)
            _duplicate_keys(value_node, file, path, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicate_keys(item, file, f"{prefix}[{i}]", issues)


def _not_a_spec(file: str, node: yaml.Node, sections: Collection[str]) -> None:
    """A file that holds no spec section is named and refused, and nothing of it is echoed
    (``extends: /etc/shadow`` used to print its lines as unknown sections)."""
    if isinstance(node, yaml.MappingNode):
        if any(isinstance(k.value, str) and k.value in sections for k, _v in node.value):
            return
        why = "none of its top-level keys is a spec section"
    else:
        why = "it is not a YAML mapping of sections"
    raise SpecError([SpecIssue(file, None, None, "", f"not a spec: {why} ({', '.join(sections)})")])


def load_yaml_text(
    text: str, file: str, sections: Collection[str] | None = None
) -> tuple[Any, dict[PathKey, Position]]:
    """Parse YAML within the bounds above. With ``sections``, a document with none of them
    at its top level is refused as "not a spec" before anything of it is reported."""
    loader = _loader_class()(text)
    try:
        _check_budget(text, file)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if sections is not None:
            _not_a_spec(file, node, sections)
        issues: list[SpecIssue] = []
        _duplicate_keys(node, file, "", issues)
        if issues:
            raise SpecError(issues)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}; {problem}"
        raise SpecError(
            [SpecIssue(file, line, col, "", f"malformed YAML: {_clip(problem)}")]
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(
            [SpecIssue(file, None, None, "", f"malformed YAML: {_clip(str(exc))}")]
        ) from None
    except RecursionError:  # a bound above should have stopped it: say so rather than crash
        raise SpecError([SpecIssue(file, None, None, "", "the YAML nests too deeply")]) from None
    finally:
        loader.dispose()
    positions: dict[PathKey, Position] = {}
    _positions(node, file, (), positions)
    return data, positions


def _clip(text: str, limit: int = MAX_ECHO) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_bounded(path: str | Path, limit: int = MAX_SPEC_BYTES) -> bytes:
    """At most ``limit`` bytes of a regular file or a pipe; a device (``/dev/zero``), a
    directory or anything longer is refused without reading it all."""
    p = Path(path)

    def fail(message: str) -> SpecError:
        return SpecError([SpecIssue(str(path), None, None, "", message)])

    try:
        mode = os.stat(p).st_mode
        if stat.S_ISDIR(mode):
            raise fail("is a directory, not a spec file")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
            raise fail("is a device, not a spec file")
        if stat.S_ISREG(mode) and os.stat(p).st_size > limit:
            raise fail(f"larger than {_mib(limit)}: not a spec")
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise fail("spec file does not exist") from None
    except PermissionError:
        raise fail("cannot be read (permission denied)") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > limit:
        raise fail(f"larger than {_mib(limit)}: not a spec")
    return data


def load_yaml_file(
    path: str | Path, sections: Collection[str] | None = None
) -> tuple[Any, dict[PathKey, Position]]:
    data = read_bounded(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SpecError(
            [SpecIssue(str(path), line, None, "", f"not UTF-8 text (byte {exc.start})")]
        ) from None
    return load_yaml_text(text, str(path), sections)


def dotted(path: PathKey) -> str:
    """('augment', 0, 'alpha') -> 'augment[0].alpha'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_dotted(text: str) -> PathKey:
    """'augment[0].alpha' or 'augment.0.alpha' -> ('augment', 0, 'alpha')."""
    parts: list[Any] = []
    for chunk in text.replace("]", "").split("."):
        if not chunk:
            raise ValueError(f"empty component in path {text!r}")
        for j, piece in enumerate(chunk.split("[")):
            if j > 0 or piece.isdigit():
                if not piece.isdigit():
                    raise ValueError(f"bad list index {piece!r} in path {text!r}")
                parts.append(int(piece))
            elif piece:
                parts.append(piece)
    return tuple(parts)
