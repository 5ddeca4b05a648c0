"""Driver benchmark: how many worker events per second the driver turns into store rows.

A worker sends ``metrics`` events (one per step) and, with samples on, a ``samples`` event
of a few rows as often; the driver's ``EventRecorder`` writes them through the store's
single writer and calls the plugins' hooks. If the driver is slower than the worker, the
store falls behind (a kill loses the queue). Measured: events/s sustained, from the first
event to everything being in the file, with and without samples, on a real store file.

  python benchmarks/bench_driver.py            # 40,000 events per case
  python benchmarks/bench_driver.py --smoke    # a few seconds
  PYTHONPATH=/other/checkout/src python benchmarks/bench_driver.py   # an older driver
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import Results, parser
from specrun.plugins import get_manager
from specrun.runner.driver import EventRecorder, RunInfo
from specrun.spec import ResolvedSpec, spec_hash
from specrun.store.connection import release_writes
from specrun.store.query import Store
from specrun.store.writer import StoreWriter


class _NoDisplay:
    def update(self, *args: Any) -> None: ...

    def log(self, message: str) -> None: ...


def _spec() -> ResolvedSpec:
    data = {
        "name": "bench-driver",
        "seed": 1,
        "data": {"kind": "generated_topics"},
        "model": {"kind": "counting"},
    }
    return ResolvedSpec(path="<bench>", text="", data=data, hash=spec_hash(data))


def _events(n: int, samples: bool) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    step = 0
    while len(out) < n:
        step += 1
        out.append(("metrics", "train", {"loss": 1.0 / step, "lr": 1e-3, "grad_norm": 0.5}, step))
        if samples and len(out) < n:
            rows = [
                {
                    "input": f"문장 {step} {i} " * 4,
                    "reference": f"sentence {i}",
                    "output": f"out {step}",
                }
                for i in range(4)
            ]
            out.append(("samples", "eval", step, rows))
    return out


def measure(store: Path, n: int, samples: bool) -> tuple[float, float, int]:
    """Seconds from the first event to every row in the file (wall, and this process's CPU:
    steadier on a shared machine), and the rows written."""
    spec = _spec()
    writer = StoreWriter(store)
    run_id = f"bench{int(samples)}{time.monotonic_ns() % 10**6}"
    info = RunInfo(run_id, spec.name, spec.data, str(store))
    writer.create_run(run_id, spec, "local")
    writer.flush()
    recorder = EventRecorder(writer, info, _NoDisplay(), get_manager().hook)
    events = _events(n, samples)
    started, cpu = time.perf_counter(), time.process_time()
    for event in events:
        recorder(event)
    writer.finish_run(run_id, "finished")
    release_writes()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    st = Store(store)
    rows = int(st._q("SELECT count(*) AS n FROM metrics WHERE run_id = ?", [run_id])["n"][0])
    rows += int(st._q("SELECT count(*) AS n FROM samples WHERE run_id = ?", [run_id])["n"][0])
    return seconds, cpu, rows


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument(
        "--events", type=int, default=None, help="events per case (default 40,000; smoke 2,000)"
    )
    args = ap.parse_args()
    n = args.events or (2_000 if args.smoke else 40_000)
    res = Results("driver", args)
    with tempfile.TemporaryDirectory() as tmp:
        for samples in (False, True):
            store = Path(tmp) / f"s{int(samples)}.duckdb"
            seconds, cpu, rows = measure(store, n, samples)
            expected = sum(3 if e[0] == "metrics" else 4 for e in _events(n, samples))
            if rows != expected:
                sys.exit(f"the store holds {rows} rows, {expected} were sent")
            label = "metrics and samples" if samples else "metrics only"
            res.add(
                f"driver events/s, {label}",
                n / seconds,
                unit="events/s",
                better="higher",
                sizes={"events": n, "rows": rows, "seconds": round(seconds, 3)},
            )
            res.add(
                f"driver events per CPU second, {label}",
                n / cpu,
                unit="events/s",
                better="higher",
                sizes={"events": n, "rows": rows, "cpu_seconds": round(cpu, 3)},
            )
    res.finish()


if __name__ == "__main__":
    main()
