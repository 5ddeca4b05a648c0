"""Seeding: every framework a run uses is seeded before any component builds anything.

Seeding only the frameworks that happen to be imported already is a trap: a plugin that
imports torch inside its factory gets an unseeded generator, and a rerun in a fresh process
starts from other weights. So components *declare* the frameworks they draw random numbers
from (``Component(..., seeds=("torch",))``), and core imports and seeds each of them at
every ``ctx.seed_everything()``, whether or not it was imported yet.

A framework is named by one of :data:`SEEDERS` (``torch``, ``tensorflow``, ``keras``,
``jax``...), or by a ``"module:function"`` string / a callable ``fn(seed, deterministic)``
for a framework core does not know, so a third-party plugin needs no core change.

For randomness of its own a component asks the run for a generator by purpose,
``ctx.rng("dropout-mask")`` (numpy) or ``ctx.random("shuffle")`` (``random.Random``): the
stream depends only on the run's seed and that name, never on what ran before it.

``deterministic: true`` in a spec also switches on the frameworks' deterministic kernels
(``torch.use_deterministic_algorithms``, cuDNN determinism, TensorFlow op determinism). On a
CPU the default kernels are deterministic already; on a GPU they cost speed, which is why
the switch is off by default.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import random
import sys
from collections.abc import Callable, Iterable
from typing import Any

Seeder = Callable[[int, bool], None]


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit seed from the run's seed and a name: stable across processes and machines
    (Python's ``hash`` of a string is not)."""
    digest = hashlib.sha256(f"{int(seed)}\x00{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def numpy_generator(seed: int, purpose: str) -> Any:
    import numpy as np

    return np.random.default_rng(derive_seed(seed, purpose))


def python_random(seed: int, purpose: str) -> random.Random:
    return random.Random(derive_seed(seed, purpose))


# ----------------------------------------------------------------------------- seeders


def _seed_python(seed: int, deterministic: bool) -> None:
    random.seed(seed)


def _seed_numpy(seed: int, deterministic: bool) -> None:
    import numpy as np

    np.random.seed(seed % (2**32))


def _seed_torch(seed: int, deterministic: bool) -> None:
    if deterministic:
        # Read by cuBLAS when CUDA starts: must be in the environment before that.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def _seed_tensorflow(seed: int, deterministic: bool) -> None:
    import tensorflow as tf

    tf.random.set_seed(seed % (2**32))
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def _seed_keras(seed: int, deterministic: bool) -> None:
    import keras

    keras.utils.set_random_seed(seed % (2**32))  # python, numpy and the backend's generator
    if deterministic and keras.backend.backend() == "tensorflow":
        _seed_tensorflow(seed, deterministic)


def _seed_jax(seed: int, deterministic: bool) -> None:
    # jax has no global generator: keys come from ctx.rng / the seed; the flag is for XLA.
    if deterministic:
        os.environ.setdefault("XLA_FLAGS", "--xla_gpu_deterministic_ops=true")


SEEDERS: dict[str, Seeder] = {
    "python": _seed_python,
    "numpy": _seed_numpy,
    "torch": _seed_torch,
    "tensorflow": _seed_tensorflow,
    "keras": _seed_keras,
    "jax": _seed_jax,
}
# Module names under which an already-imported framework is seeded even if undeclared.
_MODULES = {"torch": "torch", "tensorflow": "tensorflow", "keras": "keras"}


def resolve_seeder(framework: str | Seeder) -> Seeder:
    """A seeder for a declared framework; an unknown name is an error for the plugin author."""
    if callable(framework):
        return framework
    if framework in SEEDERS:
        return SEEDERS[framework]
    if ":" in framework:
        module, _, attr = framework.partition(":")
        fn = getattr(importlib.import_module(module), attr)
        if not callable(fn):
            raise TypeError(f"seeder {framework!r} is not callable")
        return fn  # type: ignore[no-any-return]
    raise ValueError(
        f"unknown framework {framework!r} to seed; known: {', '.join(sorted(SEEDERS))}, "
        "or give 'module:function' (called with seed and deterministic)"
    )


def check_frameworks(frameworks: Iterable[str | Seeder]) -> None:
    """Raise ValueError for a declared name core cannot seed (checked at registration)."""
    for fw in frameworks:
        if isinstance(fw, str) and fw not in SEEDERS and ":" not in fw:
            resolve_seeder(fw)


def seed_frameworks(
    seed: int, frameworks: Iterable[str | Seeder] = (), deterministic: bool = False
) -> list[str]:
    """Seed python, numpy, every declared framework (importing it) and every known framework
    already imported. Returns the names seeded, in order."""
    seed = int(seed)
    done: list[str] = []
    wanted: list[str | Seeder] = ["python", "numpy", *frameworks]
    wanted += [
        name for name, module in _MODULES.items() if module in sys.modules and name not in wanted
    ]
    seen: set[Any] = set()
    for fw in wanted:
        key = fw if isinstance(fw, str) else id(fw)
        if key in seen:
            continue
        seen.add(key)
        resolve_seeder(fw)(seed, deterministic)
        done.append(fw if isinstance(fw, str) else getattr(fw, "__qualname__", repr(fw)))
    return done
