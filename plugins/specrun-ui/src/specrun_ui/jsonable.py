"""Polars frames and stored values as plain JSON: timestamps as ISO text, NaN as null."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any


def plain(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def rows(frame: Any) -> list[dict[str, Any]]:
    return [plain(r) for r in frame.iter_rows(named=True)]


def loads(text: Any) -> Any:
    if text is None or not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def dumps(data: Any) -> bytes:
    return json.dumps(plain(data), ensure_ascii=False, default=str, allow_nan=False).encode()
