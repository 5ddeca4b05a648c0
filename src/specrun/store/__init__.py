"""The DuckDB run store: schema (numbered migrations), the single writer, the read API."""

from .connection import artifact_root, connect, store_path
from .query import Store, open_store
from .writer import StoreWriter, flatten_params

__all__ = ["Store", "StoreWriter", "open_store", "connect", "store_path", "artifact_root", "flatten_params"]
