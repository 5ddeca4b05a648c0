"""Helpers for core's tests (a uniquely named module: plugin test dirs have conftests too).
The helpers themselves are specrun.testing's; here they run from the repository root."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from specrun import testing
from specrun.testing import write_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"

__all__ = ["ROOT", "SPECS", "run_cli", "write_spec"]


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """``specrun.testing.run_cli`` with the repository root as the default cwd."""
    return testing.run_cli(*args, cwd=cwd or ROOT, timeout=timeout, **kwargs)
