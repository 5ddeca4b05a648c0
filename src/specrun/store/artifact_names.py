"""What an artifact may be called: a relative path inside its run's folder of the artifact
root, whatever a (third-party) plugin passes. Light: the worker checks names too."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

_RUN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_DRIVE = re.compile(r"^[A-Za-z]:")


def clean_artifact_name(name: object) -> str:
    """``name`` as a normal relative POSIX path ('a//b/./c' -> 'a/b/c', 'a\\\\b' -> 'a/b'); a
    ``ValueError`` saying why for an absolute path, a '..' part, a NUL or nothing at all."""
    if not isinstance(name, str):
        raise ValueError(f"artifact name {name!r}: expected a str, got {type(name).__name__}")
    shown = name if len(name) <= 200 else name[:200] + "..."
    text = name.replace("\\", "/")
    if "\x00" in text:
        raise ValueError(f"artifact name {shown!r} contains a NUL character")
    if text.startswith("/") or _DRIVE.match(text):
        raise ValueError(
            f"artifact name {shown!r} is an absolute path: give a path relative to the run's folder"
        )
    parts = [p for p in PurePosixPath(text).parts if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(
            f"artifact name {shown!r} climbs out of the run's folder ('..'): give a path inside it"
        )
    if not parts:
        raise ValueError(f"artifact name {shown!r} names no file")
    if parts[-1].endswith(".partial"):
        raise ValueError(f"artifact name {shown!r}: '.partial' is kept for files being written")
    return "/".join(parts)


def artifact_destination(root: Path, run_id: str, name: str) -> tuple[str, Path]:
    """The cleaned name and the file it goes to under ``root/run_id``; refused when a link
    already in the store would take it elsewhere."""
    if not _RUN_ID.match(run_id) or run_id in (".", ".."):
        raise ValueError(f"run id {run_id!r} cannot name a folder of the artifact root")
    clean = clean_artifact_name(name)
    folder = (root / run_id).resolve()
    dest = (root / run_id / clean).resolve()
    if dest != folder and folder not in dest.parents:
        raise ValueError(
            f"artifact name {name!r} leads out of the run's folder {folder} (through a link)"
        )
    return clean, root / run_id / clean
