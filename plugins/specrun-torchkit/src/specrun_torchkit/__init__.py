"""Shared library of specrun's torch plugins (no entry point; importing it imports no torch).

- :mod:`specrun_torchkit.env`: the worker environment the torch plugins declare (offline hub,
  quiet frameworks), a bounded-thread torch import, autocast, offline checkpoint loading.
- :mod:`specrun_torchkit.loop`: one minibatch training loop (AdamW without decay on biases
  and norms, linear warmup/decay, clipping, autocast, eval cadence) with data parallelism.
- :mod:`specrun_torchkit.distributed`: rank/world helpers, per-rank shards of the train
  order, loss all-reduce, gathering with gradients (in-batch negatives across workers).
"""

from .env import HF_WORKER_ENV, HF_WORKER_ENV_PREFIXES

__all__ = ["HF_WORKER_ENV", "HF_WORKER_ENV_PREFIXES"]
