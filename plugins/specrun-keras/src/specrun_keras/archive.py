"""Byte-identical ``.keras`` files for identical models, so a rerun's artifacts match.

Keras writes three things into the archive that change from process to process although
the model does not: ``date_saved`` in metadata.json, the zip time stamp of the weights
file, and ``shared_object_id`` in config.json, which is the Python ``id()`` (a memory
address) of each object shared between layers. Loading only needs the ids to be equal
where the objects are shared, so they are renumbered in order of first appearance.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _renumber(node: Any, ids: dict[Any, int]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "shared_object_id":
                value = ids.setdefault(value, len(ids) + 1)
            else:
                value = _renumber(value, ids)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_renumber(v, ids) for v in node]
    return node


def make_reproducible(path: Path) -> None:
    """Rewrite the ``.keras`` archive at ``path`` in place, canonically."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, info.compress_type, src.read(info)) for info in src.infolist()]
    tmp = path.with_suffix(".keras.tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for name, compress_type, data in entries:
            if name == "metadata.json":
                meta = json.loads(data)
                meta.pop("date_saved", None)
                data = json.dumps(meta).encode()
            elif name == "config.json":
                data = json.dumps(_renumber(json.loads(data), {})).encode()
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = compress_type
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    tmp.replace(path)
