"""K-fold cross-validation: ``specrun cv``.

``driver.run_cv`` runs the folds (as Ray actors, or in this process) and writes the parent
run; ``folds`` assigns rows to folds and gives each fold its data. Importing this package
imports nothing heavy; ``run_cv`` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .driver import run_cv

__all__ = ["run_cv"]


def __getattr__(name: str) -> Any:
    if name == "run_cv":
        from .driver import run_cv

        return run_cv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
