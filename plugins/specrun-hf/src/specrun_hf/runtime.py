"""Process settings a run needs before torch and transformers are imported.

Imported first by every heavy module of the plugin. OpenMP threads that spin while they
wait make training ~10x slower when the CPU is shared with other processes (measured on a
loaded 2-core machine: 6 s vs 0.5 s per step), so waiting threads sleep instead.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def quiet_frameworks() -> None:
    """Only errors from transformers/datasets: the run's console is specrun's, unless
    ``specrun run -v`` (SPECRUN_VERBOSE=1) asked for the frameworks' own logs."""
    if os.environ.get("SPECRUN_VERBOSE") == "1":
        return
    import logging
    import warnings

    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    logging.getLogger("datasets").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="transformers")
    warnings.filterwarnings("ignore", module="peft")
    warnings.filterwarnings("ignore", module="torch.utils.data")


def set_threads(ctx: Any, requested: int | None = None) -> int:
    """torch CPU threads by the run context's rule (``ctx.cpu_threads``)."""
    import torch

    n = int(ctx.cpu_threads(requested))
    torch.set_num_threads(n)
    return n
