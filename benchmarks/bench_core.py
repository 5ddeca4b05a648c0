"""Core benchmarks: CLI cold start and the fixed overhead of `specrun run`.

Targets: `specrun --help` and `specrun validate specs/*.yaml` under 0.5 s.
Run: nox -s bench -- core   (or python benchmarks/bench_core.py [--smoke] [--json FILE])

Records (benchmarks/results/core.json): "specrun --help", "specrun validate specs",
"specrun run trivial --local", "specrun run trivial (embedded Ray)"; each the median of the
repeats, with the best one as ``best``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, Results, parser

SPECRUN = [sys.executable, "-m", "specrun.cli"]


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    args = parser(__doc__).parse_args()
    res = Results("core", args)
    cli_repeat, run_repeat = (1, 1) if args.smoke else (7, 3)
    specs = sorted(str(p) for p in (ROOT / "specs").glob("*.yaml"))
    rows = []

    def measure(
        record: str, label: str, cmd: list[str], repeat: int, target: str, **sizes: object
    ) -> None:
        med, best = timed(cmd, repeat)
        res.add(record, med, sizes={"repeat": repeat, **sizes}, best=best, target=target or None)
        rows.append((label, med, best, target))

    measure("specrun --help", "specrun --help", [*SPECRUN, "--help"], cli_repeat, "< 0.5 s")
    measure(
        "specrun validate specs",
        f"specrun validate specs/*.yaml ({len(specs)} specs)",
        [*SPECRUN, "validate", *specs],
        cli_repeat,
        "< 0.5 s",
        specs=len(specs),
    )
    with tempfile.TemporaryDirectory() as tmp:
        trivial = [
            str(ROOT / "specs/quickstart_topics.yaml"),
            "-o",
            "data.rows=50",
            "-o",
            "model.epochs=1",
            "--store",
            f"{tmp}/s.duckdb",
            "-q",
        ]
        measure(
            "specrun run trivial --local",
            "specrun run trivial spec --local",
            [*SPECRUN, "run", *trivial, "--local"],
            run_repeat,
            "",
        )
        if args.smoke:  # a Ray start costs CI seconds; bench_repro's smoke runs this very command
            res.skip(
                "specrun run trivial (embedded Ray)",
                "--smoke: bench_repro runs `specrun run` on Ray",
            )
        else:
            measure(
                "specrun run trivial (embedded Ray)",
                "specrun run trivial spec (embedded Ray)",
                [*SPECRUN, "run", *trivial],
                run_repeat,
                "",
            )
    res.uses("ray")
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark'.ljust(width)}  median_s  best_s  target")
    for name, med, best, target in rows:
        print(f"{name.ljust(width)}  {med:8.3f}  {best:6.3f}  {target}")
    res.finish(table=False)


if __name__ == "__main__":
    main()
