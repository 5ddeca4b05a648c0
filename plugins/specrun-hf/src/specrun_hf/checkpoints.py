"""Resolving a `checkpoint:` (or `hf_dataset:`) reference: a local directory or a hub id.

Many machines that run specrun reach package registries but not the Hugging Face hub.
Rather than letting huggingface_hub retry for minutes, we probe the hub once with a short
TCP connect; when it is unreachable the process goes offline (cache only) and a missing
model is one clear sentence.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from specrun import UserError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[A-Za-z0-9][\w.\-]*)?$")
OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
_probe_result: bool | None = None


@dataclass(frozen=True)
class CheckpointRef:
    ref: str  # as written in the spec
    location: str  # what from_pretrained / load_dataset receives
    is_local_dir: bool
    cache_only: bool  # a hub id while the hub is unreachable


def offline_by_env() -> bool:
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes") for v in OFFLINE_VARS)


def go_offline() -> None:
    """Every later hub lookup of this process (and its children) fails fast."""
    for var in OFFLINE_VARS:
        os.environ[var] = "1"


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """One TCP connect to the hub endpoint, bounded even when DNS hangs; cached."""
    global _probe_result
    if offline_by_env():
        return False
    if _probe_result is not None:
        return _probe_result
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = (
        url.hostname or "huggingface.co",
        url.port or (443 if url.scheme == "https" else 80),
    )
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s + 1.0)
    _probe_result = bool(result and result[0])
    return _probe_result


def resolve(ref: str, where: str, marker: str | None = "config.json") -> CheckpointRef:
    """Decide what ``ref`` is. A directory must hold ``marker`` (None: any content)."""
    path = Path(ref).expanduser()
    if path.is_dir():
        if marker and not (path / marker).is_file():
            raise UserError(
                f"{where}: the directory {path} holds no model (no {marker}); save one "
                "there with model.save_pretrained(dir) and tokenizer.save_pretrained(dir)"
            )
        return CheckpointRef(ref, str(path), True, False)
    if path.exists():
        raise UserError(f"{where}: {path} is a file; expected a model directory or a hub id")
    if path.is_absolute() or ref.startswith((".", "~")) or not HUB_ID.match(ref):
        raise UserError(f"{where}: the directory {ref} does not exist")
    if hub_reachable():
        return CheckpointRef(ref, ref, False, False)
    go_offline()
    return CheckpointRef(ref, ref, False, True)


def load_from(ref: CheckpointRef, loader: Callable[..., Any], where: str, what: str) -> Any:
    """``loader(location, local_files_only=...)`` with failures turned into one sentence."""
    try:
        return loader(ref.location, local_files_only=ref.is_local_dir or ref.cache_only)
    except (OSError, ValueError, KeyError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if ref.cache_only:
            local = "save_to_disk or data files" if what == "dataset" else "save_pretrained"
            raise UserError(
                f"{where}: {ref.ref!r} is not a local directory, and as a Hugging Face hub id it "
                "cannot be fetched: the hub is not reachable from here (offline) and the "
                f"{what} is not in the local cache. Give a directory ({local}), or run where "
                "huggingface.co is reachable."
            ) from None
        if not ref.is_local_dir:
            raise UserError(
                f"{where}: cannot load the {what} {ref.ref!r} from the hub: {first}"
            ) from None
        raise UserError(f"{where}: cannot load the {what} from {ref.location}: {first}") from None
