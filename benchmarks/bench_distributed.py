"""Data-parallel runs (``resources.workers``, Ray Train) against today's single actor.

The main job's spec (specs/nmt_marian.yaml, shrunk) at the same global batch and seed:

  1 worker   the single-actor path (``resources.workers: 1``, what every run did before)
  2 workers  Ray Train's TorchTrainer, 2 CPU workers with gloo, each ``resources.cpus``

Each side is one ``specrun run`` subprocess. Reported: training throughput (samples/s of
the Trainer's own train runtime, evals included), the scaling efficiency of 2 workers
(throughput_2 / (2 x throughput_1)), and the fixed cost of starting the worker group
(wall time not spent training, 2 workers minus 1 worker: Ray Train's controller, the
workers' processes, the process group).

  python benchmarks/bench_distributed.py           # 200 steps of the spec's Marian (minutes)
  python benchmarks/bench_distributed.py --smoke   # a tiny Marian, 4 steps (CI)

On a 2-core machine 2 workers of 1 CPU each compete with the driver and Ray's daemons for
the same 2 cores that the 1-worker run uses with 2 threads: expect no speed-up there; the
figure that means something on such a machine is the fixed start cost.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ROOT, Results, parser  # noqa: E402

SPEC = ROOT / "specs" / "nmt_marian.yaml"
SMOKE = [
    "data.train_rows=128",
    "data.eval_rows=8",
    "trainer.max_steps=4",
    "trainer.eval_steps=4",
    "trainer.eval_on_start=false",
    "trainer.logging_steps=2",
    "trainer.samples=1",
    "trainer.batch_size=16",
    "trainer.decoding.max_new_tokens=4",
    "model.config.d_model=32",
    "model.config.encoder_layers=1",
    "model.config.decoder_layers=1",
    "model.config.encoder_ffn_dim=64",
    "model.config.decoder_ffn_dim=64",
    "model.config.encoder_attention_heads=2",
    "model.config.decoder_attention_heads=2",
    "model.tokenizer.train.vocab_size=300",
]
FULL = [
    "data.train_rows=4000",
    "data.eval_rows=64",
    "trainer.max_steps=200",
    "trainer.eval_steps=100",
    "trainer.eval_on_start=false",
    "trainer.batch_size=64",
]


def run(overrides: list[str], store: Path) -> dict[str, Any]:
    args = [sys.executable, "-m", "specrun.cli", "run", str(SPEC), "--store", str(store), "-q"]
    args += [a for o in overrides for a in ("-o", o)]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"specrun run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    from specrun.store.query import Store

    st = Store(store)
    run_id = st._q("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")["run_id"][0]
    rows = st._q(
        "SELECT name, value FROM metrics_final WHERE run_id = ? AND split = 'train'", [run_id]
    )
    final = dict(zip(rows["name"].to_list(), rows["value"].to_list(), strict=True))
    return {
        "wall_s": wall,
        "train_s": float(final["runtime_s"]),
        "loss": float(final.get("loss", 0)),
    }


def main() -> None:
    args = parser(__doc__).parse_args()
    res = Results("distributed", args)
    res.uses("ray", "torch", "transformers")
    base = SMOKE if args.smoke else FULL
    steps = int(next(o for o in base if o.startswith("trainer.max_steps=")).split("=")[1])
    batch = int(next(o for o in base if o.startswith("trainer.batch_size=")).split("=")[1])
    sizes = {"steps": steps, "global_batch": batch}
    with tempfile.TemporaryDirectory() as tmp:
        one = run([*base, "resources.cpus=2"], Path(tmp) / "store")
        two = run([*base, "resources.cpus=1", "resources.workers=2"], Path(tmp) / "store")
    tput1, tput2 = steps * batch / one["train_s"], steps * batch / two["train_s"]
    res.add(
        "samples/s, 1 worker (2 threads)", tput1, unit="samples/s", better="higher", sizes=sizes
    )
    res.add(
        "samples/s, 2 workers (1 thread each)",
        tput2,
        unit="samples/s",
        better="higher",
        peer=tput1,
        peer_name="1 worker",
        sizes=sizes,
    )
    res.add(
        "scaling efficiency, 2 workers", tput2 / (2 * tput1), unit="x", better="higher", sizes=sizes
    )
    start_cost = (two["wall_s"] - two["train_s"]) - (one["wall_s"] - one["train_s"])
    res.add(
        "worker group start cost",
        start_cost,
        unit="s",
        sizes=sizes,
        wall_1=one["wall_s"],
        wall_2=two["wall_s"],
    )
    res.add(
        "final train loss, 2 workers",
        two["loss"],
        unit="loss",
        peer=one["loss"],
        peer_name="1 worker",
        sizes=sizes,
    )
    res.finish()


if __name__ == "__main__":
    main()
