"""Sweep benchmarks on the builtin bow_softmax model (standalone; CPU only).

1. Parallel efficiency: the same N short trials as a sweep with every core busy, as a sweep
   one trial at a time (max_concurrent: 1), and one by one in-process (no Ray) — trials/min.
2. ASHA and PBT vs FIFO on the same space and budget (num_samples, epochs): compute used
   (epochs trained, summed over trials), wall time, and the best eval accuracy reached.

    python benchmarks/bench_sweep.py            # the measured sizes: about 2 minutes on 2 idle cores
    python benchmarks/bench_sweep.py --full     # more trials and epochs
    python benchmarks/bench_sweep.py --smoke    # 2 trials of 4 epochs per case: the code paths (CI)

Ray starts once (not counted; an existing cluster in RAY_ADDRESS is joined instead); results
go to a temporary store; a JSON summary ends the output.

Records (benchmarks/results/sweep.json): "trials/min one at a time", "trials/min parallel",
"trials/min in-process", and "<scheduler> epochs trained" for asha and pbt against fifo (with
wall_s and best_eval_accuracy of both sides).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, Results, parser

SPEC = """
name: bench-sweep
seed: 11
data: {{kind: generated_topics, rows: {rows}, noise: 0.35, split: {{eval: 0.2, stratify: label}}}}
model: {{kind: bow_softmax, epochs: {epochs}, features: 1024, samples: 0}}
metrics: [{{kind: accuracy}}]
resources: {{cpus: 1}}
sweep:
  metric: accuracy
  num_samples: {samples}
{extra}
  space:
    model.lr: {{loguniform: [0.003, 3.0]}}
    model.l2: {{choice: [0.0, 0.0001, 0.001]}}
"""


def write(tmp: Path, name: str, **fmt: object) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(SPEC.format(**fmt), encoding="utf-8")
    return path


def sweep(path: Path, store: Path) -> tuple[float, object]:
    from specrun.spec import load_spec
    from specrun.sweep.driver import run_sweep

    start = time.perf_counter()
    result = run_sweep(load_spec(path), store=str(store), quiet=True, print_result=False)
    return time.perf_counter() - start, result


def epochs_trained(store: Path, sweep_id: str) -> int:
    import specrun

    df = specrun.open_store(str(store)).query(
        # one train/loss row per epoch trained: under pbt a trial is a chain of runs, each
        # training only the epochs after the checkpoint it continued
        """SELECT count(*) AS n FROM metrics m JOIN runs r USING (run_id)
           WHERE r.sweep_id = ? AND m.split = 'train' AND m.name = 'loss'""",
        [sweep_id],
    )
    return int(df["n"][0])


def _runs(store: Path, sweep_id: str) -> int:
    import specrun

    q = "SELECT count(*) AS n FROM runs WHERE sweep_id = ?"
    return int(specrun.open_store(str(store)).query(q, [sweep_id])["n"][0])


def parallel_efficiency(
    tmp: Path, trials: int, epochs: int, rows: int, smoke: bool = False
) -> dict:
    from specrun.runner.driver import run_spec
    from specrun.spec import load_spec
    from specrun.sweep.space import build_plan

    out: dict = {"trials": trials, "epochs": epochs, "cores": os.cpu_count()}
    if not smoke:  # warm-up only: no code path of its own
        sweep(write(tmp, "warmup", rows=200, epochs=1, samples=2, extra=""), tmp / "warmup.duckdb")
    for label, extra in (("one_at_a_time", "  max_concurrent: 1"), ("parallel", "")):
        if smoke and label == "parallel":  # the same FIFO sweep as asha_vs_fifo's fifo case
            out[label] = None
            continue
        path = write(tmp, label, rows=rows, epochs=epochs, samples=trials, extra=extra)
        wall, result = sweep(path, tmp / f"{label}.duckdb")
        assert result.status == "finished", result.error
        out[label] = {
            "wall_s": round(wall, 1),
            "trials_per_min": round(trials / wall * 60, 1),
            "peak_running": result.peak_running,
        }
    plan = build_plan(
        load_spec(write(tmp, "inproc", rows=rows, epochs=epochs, samples=trials, extra=""))
    )
    start = time.perf_counter()
    for values in plan.trials:  # the same trials, in-process, no Ray
        result = run_spec(
            plan.trial_spec(values), store=str(tmp / "inproc.duckdb"), mode="local", quiet=True
        )
        assert result.status == "finished", result.error
    wall = time.perf_counter() - start
    out["in_process_sequential"] = {
        "wall_s": round(wall, 1),
        "trials_per_min": round(trials / wall * 60, 1),
    }
    if out["parallel"]:
        out["speedup_parallel_vs_one_at_a_time"] = round(
            out["one_at_a_time"]["wall_s"] / out["parallel"]["wall_s"], 2
        )
    return out


def asha_vs_fifo(tmp: Path, samples: int, epochs: int, rows: int) -> dict:
    out: dict = {"num_samples": samples, "epochs": epochs}
    interval = min(3, max(1, epochs // 2))
    for label, extra in (
        ("fifo", "  scheduler: fifo"),
        ("asha", "  scheduler: {asha: {grace_period: 2, reduction_factor: 2}}"),
        (
            "pbt",
            f"  scheduler: {{pbt: {{perturbation_interval: {interval}, quantile_fraction: 0.25}}}}",
        ),
    ):
        path = write(tmp, label, rows=rows, epochs=epochs, samples=samples, extra=extra)
        store = tmp / f"{label}.duckdb"
        wall, result = sweep(path, store)
        statuses = [t["status"] for t in result.trials]
        out[label] = {
            "wall_s": round(wall, 1),
            "epochs_trained": epochs_trained(store, result.sweep_id),
            "epochs_budget": samples * epochs,
            "best_eval_accuracy": round(result.best["value"], 4),
            "stopped": statuses.count("stopped"),
            "runs": len(result.trials) if label != "pbt" else _runs(store, result.sweep_id),
            "finished": statuses.count("finished"),
        }
    return out


def record(res: Results, summary: dict, sizes: dict) -> None:
    eff = summary["parallel_efficiency"]
    size = {"trials": eff["trials"], "epochs": eff["epochs"], **sizes}
    for key, name in (
        ("one_at_a_time", "trials/min one at a time"),
        ("parallel", "trials/min parallel"),
        ("in_process_sequential", "trials/min in-process"),
    ):
        if eff[key] is None:
            res.skip(name, "--smoke: the same FIFO sweep as the fifo case below", sizes=size)
            continue
        res.add(
            name,
            eff[key]["trials_per_min"],
            unit="trials/min",
            better="higher",
            sizes=size,
            wall_s=eff[key]["wall_s"],
        )
    sched = summary["asha_vs_fifo"]
    fifo = sched["fifo"]
    size = {"num_samples": sched["num_samples"], "epochs": sched["epochs"], **sizes}
    for label in ("asha", "pbt"):
        r = sched[label]
        res.add(
            f"{label} epochs trained",
            r["epochs_trained"],
            unit="epochs",
            peer=fifo["epochs_trained"],
            peer_name="fifo",
            sizes=size,
            wall_s=r["wall_s"],
            peer_wall_s=fifo["wall_s"],
            best_eval_accuracy=r["best_eval_accuracy"],
            peer_best_eval_accuracy=fifo["best_eval_accuracy"],
            runs=r["runs"],
            stopped=r["stopped"],
        )


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="more trials and epochs")
    args = ap.parse_args()
    res = Results("sweep", args)
    res.uses("ray")
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("SPECRUN_QUIET", "1")
    from specrun.runner.driver import quiet_ray_env

    quiet_ray_env()
    import ray

    if os.environ.get("RAY_ADDRESS"):  # a cluster already up (the smoke pass shares one)
        ray.init(
            address=os.environ["RAY_ADDRESS"], logging_level=logging.ERROR, log_to_driver=False
        )
    else:
        ray.init(
            address="local",  # our own, not a cluster another `ray start` left on this machine
            num_cpus=os.cpu_count(),
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as d:
            tmp = Path(d)
            # trials of ~2 s (measured sizes) on an idle core: long enough that starting a
            # trial's actor (~1-2 s) does not hide the parallelism
            if args.smoke:
                (n, ep, rows), (s, ep2, rows2) = (2, 4, 300), (2, 4, 300)
            elif args.full:
                (n, ep, rows), (s, ep2, rows2) = (16, 40, 4000), (24, 24, 2000)
            else:
                (n, ep, rows), (s, ep2, rows2) = (6, 25, 4000), (8, 12, 2000)
            summary = {"parallel_efficiency": parallel_efficiency(tmp, n, ep, rows, args.smoke)}
            print(json.dumps(summary["parallel_efficiency"], indent=1), flush=True)
            summary["asha_vs_fifo"] = asha_vs_fifo(tmp, s, ep2, rows2)
            print(json.dumps(summary["asha_vs_fifo"], indent=1), flush=True)
            summary["load_average"] = os.getloadavg()
            print(json.dumps(summary))
            record(res, summary, {"rows": rows})
    finally:
        ray.shutdown()
    res.finish()


if __name__ == "__main__":
    main()
