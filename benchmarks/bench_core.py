"""Core benchmarks: CLI cold start and the fixed overhead of `specrun run`.

Targets: `specrun --help` and `specrun validate specs/*.yaml` under 0.5 s.
Run: nox -s bench -- core   (or python benchmarks/bench_core.py)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECRUN = [sys.executable, "-m", "specrun.cli"]


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    specs = sorted(str(p) for p in (ROOT / "specs").glob("*.yaml"))
    rows = []
    rows.append(("specrun --help", *timed([*SPECRUN, "--help"], 7), "< 0.5 s"))
    rows.append((f"specrun validate specs/*.yaml ({len(specs)} specs)", *timed([*SPECRUN, "validate", *specs], 7), "< 0.5 s"))
    with tempfile.TemporaryDirectory() as tmp:
        trivial = [str(ROOT / "specs/quickstart_topics.yaml"), "-o", "data.rows=50", "-o", "model.epochs=1",
                   "--store", f"{tmp}/s.duckdb", "-q"]
        rows.append(("specrun run trivial spec --local", *timed([*SPECRUN, "run", *trivial, "--local"], 3), ""))
        rows.append(("specrun run trivial spec (embedded Ray)", *timed([*SPECRUN, "run", *trivial], 3), ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark'.ljust(width)}  median_s  best_s  target")
    for name, med, best, target in rows:
        print(f"{name.ljust(width)}  {med:8.3f}  {best:6.3f}  {target}")


if __name__ == "__main__":
    main()
