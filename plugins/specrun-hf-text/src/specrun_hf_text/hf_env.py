"""Setting up torch/transformers inside a run: offline, quiet, bounded threads, device."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from specrun import UserError

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
}


def offline() -> None:
    """Call before importing transformers: no hub, no telemetry, no progress bars."""
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)


def import_torch(ctx: Any, threads: int | None = None) -> Any:
    """torch with a bounded CPU thread count: runs share machines and Ray packs actors."""
    offline()
    import torch

    want = threads or max(1, int(float((ctx.resources or {}).get("cpus", 1)) if ctx else 1))
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)
    return torch


def quiet_transformers() -> None:
    offline()
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def device_of(ctx: Any) -> str:
    return "cuda" if getattr(ctx, "device", "cpu") == "cuda" else "cpu"


@contextlib.contextmanager
def autocast(torch: Any, device: str, precision: str) -> Iterator[None]:
    """bf16/fp16 autocast on a GPU; fp32 (no autocast) everywhere else."""
    if device != "cuda" or precision == "fp32":
        yield
        return
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    with torch.autocast("cuda", dtype=dtype):
        yield


def load_pretrained(loader: Any, checkpoint: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained`` with a user-facing error: offline, a hub id cannot load."""
    quiet_transformers()
    try:
        return loader.from_pretrained(checkpoint, **kwargs)
    except (OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(
            f"cannot load the {what} from checkpoint {checkpoint!r}: {first} "
            "(this machine is offline: give a local directory saved with save_pretrained)"
        ) from None


def resolve_store(path: str | None) -> str | None:
    """The store a component reads other runs from: its param, else SPECRUN_STORE/default."""
    return path or os.environ.get("SPECRUN_STORE") or None
