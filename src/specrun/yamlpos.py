"""YAML loading that remembers where every value came from.

``load_yaml`` returns the plain Python data and a map from each value's path (a tuple of
keys and list indexes) to its (line, column), both 1-based, so that errors found later by
pydantic can point at the exact place in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError, SpecIssue

Position = tuple[str, int, int]  # file, line, column
PathKey = tuple[Any, ...]


def _loader_class() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _positions(node: yaml.Node, file: str, prefix: PathKey, out: dict[PathKey, Position]) -> None:
    out[prefix] = (file, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            # Point a key's path at the key itself: "unknown key" errors read best there.
            _positions(value_node, file, prefix + (key,), out)
            out[prefix + (key,)] = (file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
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
                    SpecIssue(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                              path, "duplicate key (YAML would silently keep only the last one)")
                )
            seen.add(key)
            _duplicate_keys(value_node, file, path, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicate_keys(item, file, f"{prefix}[{i}]", issues)


def load_yaml_text(text: str, file: str) -> tuple[Any, dict[PathKey, Position]]:
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
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
        raise SpecError([SpecIssue(file, line, col, "", f"malformed YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(file, None, None, "", f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()
    positions: dict[PathKey, Position] = {}
    _positions(node, file, (), positions)
    return data, positions


def load_yaml_file(path: str | Path) -> tuple[Any, dict[PathKey, Position]]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([SpecIssue(str(path), None, None, "", "spec file does not exist")]) from None
    except IsADirectoryError:
        raise SpecError([SpecIssue(str(path), None, None, "", "is a directory, not a spec file")]) from None
    except UnicodeDecodeError as exc:
        raise SpecError([SpecIssue(str(path), None, None, "", f"not UTF-8 text: {exc}")]) from None
    return load_yaml_text(text, str(path))


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
