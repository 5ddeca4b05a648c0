"""Reproducibility: for each shipped spec, the wall time of a run and of its `rerun --check`
(two fresh processes, Ray actor then --local) and whether they matched; and what the
`deterministic: true` switch costs on the main job (time with vs without).

Run: nox -s bench -- repro   (or python benchmarks/bench_repro.py [--smoke] [--specs a,b])
The specs and their small overrides are the ones tests/test_reproducible.py checks; --smoke
takes quickstart_topics alone, for the pair and for the deterministic switch.

Records (benchmarks/results/repro.json): "<spec>: run + rerun --check" (with matched and
first_difference), "main job, deterministic: true vs false (--local)".
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, Results, parser

sys.path.insert(0, str(ROOT / "tests"))
from specrun.history.repro_check import compare_runs  # noqa: E402
from specrun.store.query import Store  # noqa: E402
from specrun.testing import newest_run, run_cli  # noqa: E402
from test_reproducible import SPECS  # noqa: E402  (the table the tests check)

# --smoke: one tiny spec (numpy only), one pair, and the deterministic switch on the same
# spec: the code paths of the full run in a few seconds
SMOKE_SPECS = ["specs/quickstart_topics.yaml"]
SMOKE_MAIN_JOB = "specs/quickstart_topics.yaml"
MAIN_JOB = "specs/nmt_marian.yaml"


def pair(spec: str, overrides: list[str], store: Path) -> tuple[float, float, bool, str | None]:
    args = [
        str(ROOT / spec),
        *(a for o in overrides for a in ("-o", o)),
        "--store",
        str(store),
        "-q",
    ]
    start = time.perf_counter()
    first = run_cli("run", *args)
    t_first = time.perf_counter() - start
    if first.returncode != 0:
        return t_first, 0.0, False, f"run failed: {first.stderr.strip().splitlines()[-1:]}"
    original = newest_run(store)
    start = time.perf_counter()
    run_cli("rerun", original, "--check", "--local", "--store", str(store), "-q")
    t_second = time.perf_counter() - start
    check = compare_runs(Store(store), original, newest_run(store, parent=original))
    return t_first, t_second, check.matched, check.first_difference()


def timed_run(spec: str, overrides: list[str], store: Path) -> float:
    args = [
        str(ROOT / spec),
        *(a for o in overrides for a in ("-o", o)),
        "--store",
        str(store),
        "-q",
    ]
    start = time.perf_counter()
    proc = run_cli("run", *args, "--local")
    if proc.returncode != 0:
        raise SystemExit(f"{spec} failed: {proc.stderr[-1000:]}")
    return time.perf_counter() - start


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--specs", default=None, help="comma-separated spec paths (default: all)")
    args = ap.parse_args()
    res = Results("repro", args)
    chosen = args.specs.split(",") if args.specs else (SMOKE_SPECS if args.smoke else sorted(SPECS))
    with tempfile.TemporaryDirectory() as tmp:
        for i, spec in enumerate(chosen):
            t1, t2, matched, diff = pair(spec, SPECS[spec], Path(tmp) / f"{i}.duckdb")
            res.add(
                f"{spec}: run + rerun --check",
                t1 + t2,
                unit="s",
                sizes={"overrides": SPECS[spec]},
                matched=matched,
                first_difference=diff,
                run_s=round(t1, 2),
                rerun_s=round(t2, 2),
            )
            print(
                f"{spec}: {'matched' if matched else 'DIFFERS: ' + str(diff)} ({t1:.1f} s + {t2:.1f} s)",
                flush=True,
            )
        job = SMOKE_MAIN_JOB if args.smoke else MAIN_JOB
        main_job = SPECS[job] if args.smoke else []
        sizes = {"spec": job, "overrides": main_job or "the spec as shipped"}
        plain = timed_run(job, main_job, Path(tmp) / "plain.duckdb")
        strict = timed_run(job, [*main_job, "deterministic=true"], Path(tmp) / "strict.duckdb")
        res.add(
            "main job, deterministic: true vs false (--local)",
            strict,
            peer=plain,
            peer_name="deterministic: false",
            sizes=sizes,
        )
    if not all(r.get("matched", True) for r in res.records):
        res.finish()
        raise SystemExit("a rerun --check found a difference")
    res.finish()


if __name__ == "__main__":
    main()
