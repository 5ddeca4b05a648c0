"""The DuckDB run store: schema (numbered migrations), the single writer, the read API."""

from typing import Any

from .connection import artifact_root, connect, store_path
from .query import Store, open_store

__all__ = [
    "Store",
    "StoreWriter",
    "open_store",
    "connect",
    "store_path",
    "artifact_root",
    "flatten_params",
]


def __getattr__(name: str) -> Any:
    # The writer (and pyarrow with it) loads only where something writes: readers skip it.
    if name in ("StoreWriter", "flatten_params"):
        from . import writer

        return getattr(writer, name)
    raise AttributeError(name)
