"""A content-addressed cache of augmented data: Parquet files under a key made of the kind,
its params, the input rows, the seed and the fingerprints of any files it reads.

Root: ``$SPECRUN_AUGMENT_CACHE``, else ``$SPECRUN_CACHE/augment``, else
``~/.cache/specrun/augment``. Entries are written to a temp dir and renamed into place, so
two runs filling the same entry at once never see half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import __version__

FORMAT = 1  # bump when the layout of an entry changes


def cache_root() -> Path:
    explicit = os.environ.get("SPECRUN_AUGMENT_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("SPECRUN_CACHE")
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "specrun"
    return root / "augment"


def frames_fingerprint(frames: dict[str, Any]) -> str:
    """sha256 of each split's rows as Arrow IPC, one chunk per column so that the same rows
    give the same bytes however they were assembled."""
    import io

    h = hashlib.sha256()
    for name in sorted(frames):
        buf = io.BytesIO()
        frames[name].rechunk().write_ipc(buf, compression="uncompressed")
        h.update(name.encode())
        h.update(buf.getvalue())
    return h.hexdigest()


def path_fingerprint(path: str | os.PathLike[str] | None) -> str:
    """A file by its content; a directory by its files' names, sizes and mtimes (models are
    large, and a retrained model saved in place changes those)."""
    if path is None:
        return "-"
    p = Path(path)
    h = hashlib.sha256()
    if p.is_file():
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    for f in sorted(x for x in p.rglob("*") if x.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(p).as_posix()}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def cache_key(
    kind: str, params: dict[str, Any], frames: dict[str, Any], seed: int | None, extra: list[str]
) -> str:
    payload = {
        "format": FORMAT,
        "plugin": __version__,
        "kind": kind,
        "params": params,
        "data": frames_fingerprint(frames),
        "seed": seed,
        "extra": extra,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class AugmentCache:
    def __init__(self, root: Path | None = None):
        self.root = root or cache_root()

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> tuple[dict[str, Any], dict[str, Any], int] | None:
        """(frames, stats recorded when it was made, bytes on disk), or None on a miss."""
        import polars as pl

        entry = self.entry(key)
        meta_path = entry / "meta.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            frames = {s: pl.read_parquet(entry / f"{s}.parquet") for s in meta["splits"]}
        except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
            return None  # a damaged entry is a miss; put() replaces it
        return frames, meta.get("stats", {}), _size(entry)

    def put(self, key: str, frames: dict[str, Any], stats: dict[str, Any]) -> int:
        entry = self.entry(key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=entry.parent))
        try:
            for split, frame in frames.items():
                frame.write_parquet(tmp / f"{split}.parquet", compression="zstd")
            meta = {"splits": sorted(frames), "stats": stats, "plugin": __version__}
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)
            try:
                tmp.rename(entry)
            except OSError:  # another run put the same entry first: theirs is as good
                shutil.rmtree(tmp, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return _size(entry)


def _size(entry: Path) -> int:
    return sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
