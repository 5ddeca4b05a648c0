"""Importing TensorFlow/Keras quietly, once, with the run's threads and seed.

Every heavy module of this plugin gets keras from ``keras_module()`` instead of a top-level
``import keras``, so that three things hold for every run:

- Keras uses the TensorFlow backend even if ``KERAS_BACKEND`` says otherwise: another
  backend would import torch or jax into a Keras run.
- TensorFlow's console noise stays out of specrun's output. TF 2.21 reads
  ``TF_CPP_MIN_LOG_LEVEL`` from the process's *initial* environment, so setting it here is
  too late for the import-time oneDNN/CPU-feature lines; those are written straight to file
  descriptor 2, which is why the import runs with fd 2 pointed at a temp file (shown only
  if the import fails). ``SPECRUN_VERBOSE=1`` turns all of this off.
- TensorFlow uses the CPUs the spec asked for, not every core of a shared machine.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any

from specrun import UserError
from specrun.fd_capture import stderr_to_tempfile


def verbose() -> bool:
    """Framework logs and Keras progress bars are shown only when asked for."""
    return os.environ.get("SPECRUN_VERBOSE", "") not in ("", "0")


def keras_module() -> Any:
    """Import keras with the TensorFlow backend, quietly (see the module docstring)."""
    if "keras" in sys.modules:
        keras = sys.modules["keras"]
        if keras.backend.backend() != "tensorflow":
            raise UserError(
                f"keras was already imported with the {keras.backend.backend()!r} backend; "
                "specrun-keras needs the tensorflow backend (unset KERAS_BACKEND)"
            )
        return keras
    os.environ["KERAS_BACKEND"] = "tensorflow"
    if verbose():
        import keras
        import tensorflow as tf
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with stderr_to_tempfile() as captured:
            try:
                import keras
                import tensorflow as tf
            except Exception as exc:
                captured.seek(0)
                detail = captured.read().decode(errors="replace").strip()
                raise ImportError(f"importing tensorflow failed: {exc}\n{detail}") from exc
        tf.get_logger().setLevel(logging.ERROR)
        logging.getLogger("absl").setLevel(logging.ERROR)
        # Keras warns about things a spec cannot change (e.g. input_shape style); keep the
        # run's output to what the user can act on.
        warnings.filterwarnings("ignore", module=r"keras(\.|$)")
    return keras


def configure_threads(cpus: float | int | None) -> None:
    """Size TensorFlow's thread pools to the spec's ``resources.cpus``: by default TF takes
    every core, which on a shared machine slows everyone (this run included)."""
    import tensorflow as tf

    n = max(1, int(cpus or 1))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(min(n, 2))
    except RuntimeError:
        pass  # the runtime already started (a second run in one process): keep its pools


def seed_keras(keras: Any, seed: int) -> None:
    """Python, numpy and TensorFlow generators from the spec's seed."""
    keras.utils.set_random_seed(int(seed) % (2**32))


def seed_run(seed: int, deterministic: bool) -> None:
    """The seeder the plugin's components declare (``seeds=``): core calls it before a
    component builds anything, with Keras imported the plugin's way (quiet, TF backend)."""
    keras = keras_module()
    seed_keras(keras, seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def fit_verbosity() -> int:
    """Keras's own progress bars only in verbose mode; specrun draws its own."""
    return 2 if verbose() else 0
