"""Byte-identical training files for identical trainings, so a rerun's artifacts match.

Ultralytics writes the wall-clock into what it saves: ``date`` and the epoch ``time`` in
``best.pt``, the ``time`` column of ``results.csv``, and the run's temporary folder in
``train_args``, the model's ``args`` and ``args.yaml``. ``torch.save`` adds a random
``.data/serialization_id`` (read back only as load-time metadata). Copies without them are
what the store keeps; the weights, the losses and every other argument are untouched.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

FIXED_DATE = "1970-01-01T00:00:00+00:00"


def _strip_dir(value: Any, work_dir: str) -> Any:
    if isinstance(value, str) and work_dir in value:
        return value.replace(work_dir, ".")
    if isinstance(value, dict):
        return {k: _strip_dir(v, work_dir) for k, v in value.items()}
    return value


def checkpoint(src: Path, dst: Path, work_dir: Path) -> Path:
    import torch

    ckpt = torch.load(src, map_location="cpu", weights_only=False)
    ckpt["date"] = FIXED_DATE
    if isinstance(ckpt.get("train_args"), dict):
        ckpt["train_args"] = _strip_dir(ckpt["train_args"], str(work_dir))
    if isinstance(ckpt.get("train_results"), dict):
        ckpt["train_results"].pop("time", None)
    for key in ("model", "ema"):
        net = ckpt.get(key)
        if isinstance(getattr(net, "args", None), dict):
            net.args = _strip_dir(net.args, str(work_dir))
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, dst)
    _fix_serialization_id(dst)
    return dst


def _fix_serialization_id(path: Path) -> None:
    """Overwrite torch.save's random serialization id in place with zeros, and its CRC in
    the local header and the central directory (the archive's layout and alignment stay)."""
    with zipfile.ZipFile(path) as z:
        found = [i for i in z.infolist() if i.filename.endswith(".data/serialization_id")]
    info = found[0] if found else None
    if info is None or info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x08:
        return
    raw = bytearray(path.read_bytes())
    new = b"0" * info.file_size
    crc = zlib.crc32(new)
    local = info.header_offset
    name_len, extra_len = struct.unpack_from("<HH", raw, local + 26)
    start = local + 30 + name_len + extra_len
    raw[start : start + info.file_size] = new
    struct.pack_into("<I", raw, local + 14, crc)
    name = info.filename.encode()
    at = 0
    while (at := raw.find(b"PK\x01\x02", at)) != -1:
        if raw[at + 46 : at + 46 + len(name)] == name:
            struct.pack_into("<I", raw, at + 16, crc)
            break
        at += 4
    path.write_bytes(bytes(raw))


def results_csv(src: Path, dst: Path) -> Path:
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    keep = [i for i, name in enumerate(rows[0] if rows else []) if name.strip() != "time"]
    out = io.StringIO()
    kept_rows = [[r[i] for i in keep if i < len(r)] for r in rows]
    csv.writer(out, lineterminator="\n").writerows(kept_rows)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(out.getvalue(), encoding="utf-8")
    return dst


def text_without_dir(src: Path, dst: Path, work_dir: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(src.read_text(encoding="utf-8").replace(str(work_dir), "."), encoding="utf-8")
    return dst
