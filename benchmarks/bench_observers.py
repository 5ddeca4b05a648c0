"""What the W&B and TensorBoard observers cost a run (issue 19; target: under 2 % of the
main job's wall time).

Two measurements:

1. On the run's path: the time the observers' hooks take per metrics step on the driver
   (``metrics_logged`` with the main job's points per step, the real W&B mirror offline and
   the real TensorBoard writer), against the main job's seconds per step.
2. End to end: the same spec run with the observers off and on, side by side in fresh
   processes (``--local``: the W&B worker thread shares the run's process and GIL, the worst
   case; in Ray mode the run trains in another process), alternating, median of the runs'
   recorded durations.

  python benchmarks/bench_observers.py                       # nmt_marian (the main job), reduced
  python benchmarks/bench_observers.py --steps 400 --repeat 3
  python benchmarks/bench_observers.py --smoke               # quickstart, seconds
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from benchlib import ROOT, Results, parser

SPECRUN = [sys.executable, "-m", "specrun.cli"]


def hook_cost(points_per_step: int, steps: int, folder: Path) -> dict[str, float]:
    """Seconds per step spent in each observer's metrics hook (what the run waits for)."""
    from specrun.hooks_api import MetricPoint

    from specrun_tensorboard.observer import LiveWriter
    from specrun_wandb.mirror import WandbMirror
    from specrun_wandb.plugin import WandbSection

    run = SimpleNamespace(
        run_id="benchrun0001",
        name="bench",
        spec={"name": "bench", "tags": []},
        store=str(folder / "s.duckdb"),
        parent_id=None,
        sweep_id=None,
        role="run",
        index=None,
    )
    batches = [
        [MetricPoint("train", f"m{i}", step, 1.0 / (step + i + 1)) for i in range(points_per_step)]
        for step in range(steps)
    ]
    out = {}
    mirror = WandbMirror()
    mirror.start(run, WandbSection(mode="offline", dir=str(folder)))
    mirror.flush(120)
    start = time.perf_counter()
    for batch in batches:
        mirror.metrics(run, batch)
    out["wandb"] = (time.perf_counter() - start) / steps
    mirror.finish(run, "finished", None)
    mirror.flush(120)
    tb = LiveWriter()
    tb.start(run, str(folder / "tb"))
    tb.metrics(run, batches[0])  # the first call imports the scalar plugin's protos: once a process
    start = time.perf_counter()
    for batch in batches:
        tb.metrics(run, batch)
    out["tensorboard"] = (time.perf_counter() - start) / steps
    tb.finish(run)
    return out


def run_once(
    spec: str, overrides: list[str], store: Path, observers: bool, workdir: Path
) -> tuple[float, int]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SPECRUN_WANDB", "SPECRUN_TENSORBOARD_DIR", "WANDB_MODE")
    }
    env.update(
        {
            "SPECRUN_QUIET": "1",
            "WANDB_BASE_URL": "http://127.0.0.1:9",
            "WANDB_DATA_DIR": str(workdir / "wandb-data"),
            "WANDB_CACHE_DIR": str(workdir / "wandb-cache"),
        }
    )
    if observers:
        env.update(
            {
                "SPECRUN_WANDB": "1",
                "SPECRUN_WANDB_DIR": str(workdir / "wb"),
                "SPECRUN_TENSORBOARD_DIR": str(workdir / "tb"),
            }
        )
    args = [
        *SPECRUN,
        "run",
        spec,
        "--local",
        "-q",
        "--store",
        str(store),
        *(a for o in overrides for a in ("-o", o)),
    ]
    subprocess.run(args, check=True, capture_output=True, env=env, cwd=workdir, timeout=3600)
    import specrun

    st = specrun.open_store(str(store))
    run_id = st.runs(last=1)["run_id"][0]
    steps = int(
        st.query("SELECT count(DISTINCT step) AS n FROM metrics WHERE run_id = ?", [run_id])["n"][0]
    )
    return float(st.run(run_id)["duration_s"]), steps


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--spec", default=str(ROOT / "specs" / "nmt_marian.yaml"))
    ap.add_argument("--steps", type=int, default=100, help="trainer.max_steps of the main job")
    ap.add_argument("--repeat", type=int, default=1, help="runs with and without, alternating")
    ap.add_argument(
        "--eval-rows",
        type=int,
        default=300,
        help="data.eval_rows (greedy decoding is slow on a CPU)",
    )
    args = ap.parse_args()
    if args.smoke:
        spec, overrides = (
            str(ROOT / "specs" / "quickstart_topics.yaml"),
            ["data.rows=200", "model.epochs=3"],
        )
    else:
        spec = args.spec
        overrides = [
            f"trainer.max_steps={args.steps}",
            f"trainer.eval_steps={max(args.steps // 2, 1)}",
            "trainer.logging_steps=5",
            f"data.eval_rows={args.eval_rows}",
            "trainer.eval_on_start=false",
        ]
    results = Results("observers", args)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        per_step = hook_cost(
            points_per_step=4, steps=200 if args.smoke else 2000, folder=work / "hooks"
        )
        times: dict[bool, list[float]] = {False: [], True: []}
        steps = 0
        for i in range(args.repeat):
            for on in (False, True):
                took, steps = run_once(spec, overrides, work / f"s{i}{int(on)}.duckdb", on, work)
                times[on].append(took)
        off, on = statistics.median(times[False]), statistics.median(times[True])
        sizes = {
            "spec": Path(spec).name,
            "overrides": overrides,
            "metric_steps": steps,
            "repeat": args.repeat,
        }
        for name, cost in per_step.items():
            share = cost * steps / off * 100
            results.add(
                f"{name} hook per metrics step",
                cost * 1e6,
                unit="us",
                sizes=sizes,
                share_of_run_percent=share,
            )
        results.add("run, observers off", off, sizes=sizes, all=times[False])
        results.add(
            "run, W&B + TensorBoard on",
            on,
            sizes=sizes,
            all=times[True],
            overhead_percent=(on - off) / off * 100,
        )
        print(
            f"end to end: {off:.2f}s off, {on:.2f}s on ({(on - off) / off * 100:+.1f}%), "
            f"{steps} metric steps; hooks per step: "
            + ", ".join(
                f"{k} {v * 1e6:.0f} us ({v * steps / off * 100:.3f}% of the run)"
                for k, v in per_step.items()
            ),
            flush=True,
        )
    results.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
