"""Reading a notebook's `parameters` cell without Jupyter (json and ast only): what spec
validation needs to say "no parameters cell" or "unknown parameter" before any run."""

from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

PARAMETERS_TAG = "parameters"  # Papermill's tag: injected values go in a cell right after it


def parameters_cell(nb: dict) -> tuple[int, str] | None:
    """(index, source) of the first code cell tagged `parameters`, or None."""
    for i, cell in enumerate(nb.get("cells", [])):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in tags:
            source = cell.get("source", "")
            return i, "".join(source) if isinstance(source, list) else str(source)
    return None


def parameter_names(path: str | Path) -> list[str]:
    p = Path(path)
    return list(_names(str(p), p.stat().st_mtime_ns))


@lru_cache(maxsize=64)
def _names(path: str, _mtime: int) -> tuple[str, ...]:
    name = Path(path).name
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{name} is not a Jupyter notebook (invalid JSON: {exc})") from None
    if not isinstance(nb, dict) or "cells" not in nb:
        raise ValueError(f"{name} is not a Jupyter notebook (no cells)")
    found = parameters_cell(nb)
    if found is None:
        raise ValueError(
            f"{name} has no parameters cell: tag the code cell that sets the defaults with "
            f"'{PARAMETERS_TAG}' (Jupyter: View > Cell Toolbar > Tags) so specrun can set them"
        )
    index, source = found
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(
            f"{name}: the parameters cell (cell {index}) is not Python: {exc}"
        ) from None
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for t in targets:
            if isinstance(t, ast.Name) and t.id not in names:
                names.append(t.id)
    return tuple(names)
