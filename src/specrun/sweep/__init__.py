"""Hyperparameter sweeps: ``specrun sweep``.

``driver.run_sweep`` plans the trials (``space``), records the sweep in the ``sweeps`` table
(``store``), runs them as Tune trials (``tune`` on the driver, ``trial`` in the workers) while
``record`` writes their runs, and ends with the best trial. ``commands`` holds the CLI's
``sweep`` and ``cv`` commands. Importing this package imports nothing heavy; ``run_sweep``
is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .driver import run_sweep

__all__ = ["run_sweep"]


def __getattr__(name: str) -> Any:
    if name == "run_sweep":
        from .driver import run_sweep

        return run_sweep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
