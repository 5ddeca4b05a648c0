"""The hook: before a run starts, the DVC provenance of every DVC-tracked file its spec names.

Loaded by every `specrun` command, so it imports nothing heavy: the spec is scanned for
existing file paths with os.path only, and DVC is imported only when one of them lies in a
DVC repository and is tracked by a `.dvc` file.
"""

from __future__ import annotations

import os
from typing import Any

from specrun import hookimpl

# DVC's Python API sends no analytics, but a `dvc` subprocess started from a run would:
# nothing that specrun starts phones home.
os.environ.setdefault("DVC_NO_ANALYTICS", "1")


def spec_files(spec: Any) -> list[str]:
    """Absolute paths of existing files and directories named anywhere in a resolved spec
    (file params resolve to absolute paths), in the order they appear, each once."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and os.path.isabs(value) and len(value) < 4096:
            if os.path.exists(value) and value not in found:
                found.append(value)

    walk(spec)
    return found


def dvc_root(path: str) -> str | None:
    """The nearest directory above ``path`` that holds a `.dvc` directory."""
    here = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.isdir(os.path.join(here, ".dvc")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


@hookimpl
def collect_provenance(run: Any) -> dict[str, Any] | None:
    tracked = [(f, root) for f in spec_files(run.spec) if (root := dvc_root(f)) is not None]
    if not tracked:
        return None
    from .provenance import dvc_provenance

    return {"dvc": dvc_provenance(tracked)}
