"""Field types for plugin parameter models.

``ExistingFile``/``ExistingDir``/``ExistingPath`` resolve a relative path against the
directory of the spec, then the working directory, and fail validation (with the places
tried) when nothing is there. The resolved absolute path is what the run records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo


def _resolve(value: str | Path, info: ValidationInfo) -> list[Path]:
    p = Path(value).expanduser()
    if p.is_absolute():
        return [p]
    ctx = info.context or {}
    bases = [Path(b) for b in ctx.get("base_dirs", [])] or [Path.cwd()]
    return [(b / p) for b in bases]


def _existing(kind: str):
    def check(value: str | Path, info: ValidationInfo) -> Path:
        tried = _resolve(value, info)
        for cand in tried:
            if kind == "file" and cand.is_file():
                return cand.resolve()
            if kind == "dir" and cand.is_dir():
                return cand.resolve()
            if kind == "path" and cand.exists():
                return cand.resolve()
        where = ", ".join(str(t) for t in dict.fromkeys(tried))
        if kind == "file" and any(t.is_dir() for t in tried):
            raise ValueError(f"{value} is a directory, expected a file")
        raise ValueError(f"{kind} does not exist: {value} (looked in {where})")

    return check


ExistingFile = Annotated[Path, AfterValidator(_existing("file"))]
ExistingDir = Annotated[Path, AfterValidator(_existing("dir"))]
ExistingPath = Annotated[Path, AfterValidator(_existing("path"))]
