"""Setting up torch/transformers inside a run: the torch plugins' shared policy
(``specrun_torchkit.env``: offline, quiet, bounded threads, device) and this plugin's store."""

from __future__ import annotations

import os
from typing import Any

from specrun_torchkit.env import (
    autocast,
    device_of,
    from_pretrained,
    import_torch,
    quiet_transformers,
)

__all__ = [
    "autocast",
    "device_of",
    "import_torch",
    "load_pretrained",
    "quiet_transformers",
    "resolve_store",
]


def load_pretrained(loader: Any, checkpoint: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained`` offline, with a user-facing error."""
    return from_pretrained(loader, checkpoint, what, **kwargs)


def resolve_store(path: str | None) -> str | None:
    """The store a component reads other runs from: its param, else SPECRUN_STORE/default."""
    return path or os.environ.get("SPECRUN_STORE") or None
