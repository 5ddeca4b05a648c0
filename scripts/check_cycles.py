"""Fail (exit 1) when the project's modules import each other in a cycle.

Runs ../shared/tools/cycles.py (the team's tool) when it is beside the clone, and prints
what it found; a project without it beside skips the check with a note.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT.parent / "shared" / "tools" / "cycles.py"


def main() -> int:
    if not TOOL.is_file():
        print(f"import cycles: not checked ({TOOL} is not there)")
        return 0
    out = subprocess.run(
        [sys.executable, str(TOOL), str(ROOT)], capture_output=True, text=True, check=True
    ).stdout
    lines = out.strip().splitlines()
    last = lines[-1] if lines else ""
    if not last.startswith("0 import cycles"):
        print(out, end="")
        print("error: import cycles among the project's modules (above); break them before merging")
        return 1
    print("import cycles: none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
