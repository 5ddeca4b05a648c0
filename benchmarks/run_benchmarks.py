"""Run every benchmarks/bench_*.py (or the ones named), each in its own process: what
``nox -s bench`` calls, and through it CI (``nox -s bench -- --smoke``).

  python benchmarks/run_benchmarks.py --smoke            # all, small, 3 at a time (CI)
  python benchmarks/run_benchmarks.py core store         # full size, one after another
  python benchmarks/run_benchmarks.py --smoke --jobs 1 hf yolo

Arguments that are not benchmark names go to every script (``--smoke``, ``--scale 0.1``).
With --smoke the scripts run ``--jobs`` at a time (default 3: much of a smoke run waits on
process and Ray start-up, not on the CPU); full-size runs measure time, so they run one after
another unless told otherwise. Each script's output is kept in benchmarks/results/<name>.log
and printed when it ends; bench_gpu gets ``--device cpu`` with --smoke (no GPU in CI: its
every step on the CPU). Exit 1 if any script failed, after all have run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# The longest smoke runs first, so that the short ones fill the gaps at the end.
FIRST = ("hf", "gpu", "retrieval", "hf_text", "sweep", "keras", "store", "repro", "textmining")


def scripts() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def run_one(
    name: str, script: Path, extra: list[str], timeout: float | None
) -> tuple[str, int, float, float, str]:
    """Run one script; its name, exit code, wall seconds, CPU seconds (its own and its
    subprocesses', user + system; not Ray's daemons) and output."""
    args = [*extra]
    if name == "gpu" and "--smoke" in extra and "--device" not in extra:
        args += ["--device", "cpu"]
    log = RESULTS / f"{name}.log"
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, str(script), *args],
            cwd=HERE.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        timer = threading.Timer(timeout, _stop, (proc, out, name, timeout)) if timeout else None
        if timer:
            timer.start()
        # wait4, not wait: the child's resource usage, which is what a loaded machine does not skew
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer:
            timer.cancel()
    rc = 124 if proc.returncode < 0 and getattr(proc, "timed_out", False) else proc.returncode
    cpu = usage.ru_utime + usage.ru_stime
    return (
        name,
        rc,
        time.perf_counter() - start,
        cpu,
        log.read_text(encoding="utf-8", errors="replace"),
    )


def _stop(proc: subprocess.Popen, out: Any, name: str, timeout: float) -> None:
    proc.timed_out = True  # type: ignore[attr-defined]
    out.write(f"\nbench_{name}: stopped after {timeout:.0f} s\n")
    out.flush()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the script and what it started
    except ProcessLookupError:
        pass


def main(argv: list[str] | None = None) -> int:
    known = scripts()
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--jobs", type=int, default=None, help="scripts at a time (default: 3 with --smoke, else 1)"
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per script (default 600 with --smoke, else none)",
    )
    ap.add_argument("--list", action="store_true", help="print the benchmark names and exit")
    args, rest = ap.parse_known_args(argv)
    if args.list:
        print("\n".join(known))
        return 0
    names = [a for a in rest if a in known]
    extra = [a for a in rest if a not in known]
    smoke = "--smoke" in extra
    chosen = names or sorted(known, key=lambda n: (FIRST.index(n) if n in FIRST else len(FIRST), n))
    jobs = args.jobs or (3 if smoke else 1)
    timeout = args.timeout or (600.0 if smoke else None)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(
        f"benchmarks: {', '.join(chosen)} ({' '.join(extra) or 'full size'}; {jobs} at a time)",
        flush=True,
    )
    start = time.perf_counter()
    done = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, n, known[n], extra, timeout) for n in chosen]
        for future in futures:
            name, rc, took, cpu, output = future.result()
            print(
                f"\n===== bench_{name}: exit {rc} in {took:.1f} s ({cpu:.1f} s CPU) =====\n"
                f"{output.rstrip()}",
                flush=True,
            )
            done.append((name, rc, took, cpu))
    total = time.perf_counter() - start
    print("\n===== summary =====")
    for name, rc, took, cpu in done:
        print(
            f"  bench_{name:<12} {'ok' if rc == 0 else f'FAILED (exit {rc})':<16} {took:6.1f} s wall "
            f"{cpu:6.1f} s CPU"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"  all: {total:.1f} s wall, {sum(d[3] for d in done):.1f} s CPU, {jobs} at a time, "
        f"{os.cpu_count()} cpus, load {load:.1f}"
    )
    failed = [n for n, rc, *_ in done if rc != 0]
    if failed:
        print(f"error: benchmarks failed: {', '.join(failed)} (logs in {RESULTS})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
