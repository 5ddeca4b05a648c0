"""The GPU benchmarks in one prepared run, for a lent GPU machine: a few minutes in all.

  1. hf: training throughput of specs/nmt_marian.yaml, specrun against plain Hugging Face,
     both with bf16 on the GPU (bench_hf.py --device cuda --precision bf16);
  2. retrieval: poly-encoder scoring throughput, m in {1, 4, 16, 64}, over a million
     candidates on the GPU (bench_retrieval.py --skip-serve --device cuda);
  3. yolo: train-loop images/s of yolov8n at 320 and 640 px with AMP
     (bench_yolo.py --device 0 --amp).

Each part runs as its own process (a part that fails does not hide the others' figures,
and the run exits 1 at the end) and writes its own JSON; this script gathers them into one
file, benchmarks/results/gpu.json (or --json FILE), whose records carry ``part`` (the
benchmark they come from). Without a GPU it writes a skip record and exits 0.

  python benchmarks/bench_gpu.py                       # on the GPU machine (nvidia-smi sees one)
  python benchmarks/bench_gpu.py --smoke --device cpu  # the CI check: the hf part on the CPU,
                                                       # the others' command lines parsed
  python benchmarks/bench_gpu.py --parts hf,yolo       # some parts only

Records: those of hf.json, retrieval.json and yolo.json (see each script), with ``part``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import PARSE_ONLY, Results, gpu_missing, gpus, parser

HERE = Path(__file__).resolve().parent
PARTS = ("hf", "retrieval", "yolo")


def commands(device: str, smoke: bool) -> dict[str, list[str]]:
    """Each part's command line; ``device`` is cuda or cpu (cpu: the CI check of this script)."""
    cuda = device == "cuda"
    size = ["--smoke"] if smoke else []
    hf = ["bench_hf.py", "--device", device, "--precision", "bf16", *size]
    if smoke and not cuda:
        # the CPU check: the plain side's bf16 path (bench_hf --smoke runs both sides already,
        # and a second transformers import each costs CI ~10 s of CPU)
        hf += ["--plain-only"]
    if not smoke:  # on a GPU the spec's 400 steps take about a minute; threads feed the loader
        hf += ["--threads", str(min(8, os.cpu_count() or 1))]
    retrieval = ["bench_retrieval.py", "--skip-serve", "--device", device, *size]
    if not smoke:
        retrieval += ["--poly-candidates", "1000000", "--poly-batch", "16"]
    yolo = ["bench_yolo.py", "--device", "0" if cuda else "cpu", *size]
    if cuda:
        yolo += ["--amp"]
    if not smoke:
        yolo += [
            "--imgsz",
            "320",
            "640",
            "--images",
            "512",
            "--epochs",
            "4",
            "--batch",
            "32",
            "--threads",
            str(min(8, os.cpu_count() or 1)),
        ]
    return {"hf": hf, "retrieval": retrieval, "yolo": yolo}


def run_part(
    name: str, cmd: list[str], out: Path, timeout: float, parse_only: bool = False
) -> tuple[dict[str, Any] | None, str]:
    """Run one part; its results file, or None and why."""
    start = time.perf_counter()
    env = {**os.environ, PARSE_ONLY: "1"} if parse_only else None
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / cmd[0]), *cmd[1:], "--json", str(out)],
            cwd=HERE.parent,
            timeout=timeout,
            text=True,
            capture_output=True,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    took = time.perf_counter() - start
    print(f"[{name}] {' '.join(cmd)}: exit {proc.returncode} in {took:.1f} s", flush=True)
    print(proc.stdout.rstrip(), flush=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-15:]
        print("\n".join(tail), file=sys.stderr, flush=True)
        return None, f"exit {proc.returncode}: {tail[-1] if tail else ''}"
    if parse_only:
        return None, ""
    return json.loads(out.read_text(encoding="utf-8")), ""


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__)
    ap.add_argument(
        "--device",
        choices=["cuda", "cpu"],
        default="cuda",
        help="cpu runs every part on the CPU (to check this script without a GPU)",
    )
    ap.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}"
    )
    ap.add_argument(
        "--part-timeout",
        type=float,
        default=None,
        help="seconds per part before it is stopped (default 240; --smoke 300: a loaded CPU)",
    )
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"--parts: unknown {', '.join(unknown)} (choose from {', '.join(PARTS)})")
    found = gpus()
    if args.device == "cuda" and not found:
        return gpu_missing(
            "gpu",
            args,
            "no GPU on this machine (nvidia-smi found none); "
            "--device cpu checks the script on the CPU",
        )
    res = Results("gpu", args)
    res.uses("torch", "transformers", "ultralytics")
    timeout = args.part_timeout or (300 if args.smoke else 240)
    failed = []
    with tempfile.TemporaryDirectory(prefix="bench-gpu-") as tmp:
        for name, cmd in commands(args.device, args.smoke).items():
            if name not in parts:
                continue
            # the CPU smoke runs the hf part (its plain side in bf16) and checks the others'
            # command lines only: bench_retrieval and bench_yolo --smoke run their every step
            parse_only = args.smoke and args.device == "cpu" and name != "hf"
            doc, why = run_part(name, cmd, Path(tmp) / f"{name}.json", timeout, parse_only)
            if parse_only and not why:
                res.skip(
                    f"{name} (part)",
                    f"--smoke --device cpu: command line checked; bench_{name} --smoke runs it",
                    part=name,
                    command=cmd,
                )
                continue
            if doc is None:
                failed.append(name)
                res.skip(f"{name} (part)", f"failed: {why}", part=name, command=cmd)
                continue
            res.peers.update(doc.get("versions", {}))
            for rec in doc["records"]:
                res.records.append(
                    {**rec, "part": rec["bench"], "bench": "gpu", "device": args.device}
                )
    res.finish()
    if failed:
        print(f"error: parts failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
