"""The torch plugins' one offline/checkpoint policy and their torch setup.

Policy: a run never reaches the model hub. The plugins declare :data:`HF_WORKER_ENV` on
their components (``Component(worker_env=HF_WORKER_ENV, ...)``), so core sets it in the run's
worker process only (``specrun.worker_env``), and every checkpoint load here passes
``local_files_only=True``, so the rule holds in-process too. Nothing writes ``os.environ``
for the whole process at import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from specrun import UserError

# Set in a torch plugin's worker unless the user's environment sets them.
HF_WORKER_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    # OpenMP threads that spin while they wait make training ~10x slower on a shared CPU.
    "OMP_WAIT_POLICY": "PASSIVE",
}
# The user's variables a torch plugin's worker reads.
HF_WORKER_ENV_PREFIXES: tuple[str, ...] = ("HF_", "TRANSFORMERS_", "TOKENIZERS_")


def import_torch(ctx: Any, threads: int | None = None) -> Any:
    """torch with the run context's CPU-thread rule (``ctx.cpu_threads``)."""
    import torch

    want = ctx.cpu_threads(threads) if ctx is not None else max(1, threads or 1)
    if torch.get_num_threads() != want:
        torch.set_num_threads(want)
    return torch


def quiet_transformers() -> None:
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


def from_pretrained(loader: Any, checkpoint: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(checkpoint, local_files_only=True)`` with a user-facing
    error: a local directory, or a model already in the Hugging Face cache."""
    quiet_transformers()
    try:
        return loader.from_pretrained(checkpoint, local_files_only=True, **kwargs)
    except (OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(
            f"cannot load the {what} from checkpoint {checkpoint!r}: {first} "
            "(this machine is offline: give a local directory saved with save_pretrained)"
        ) from None
