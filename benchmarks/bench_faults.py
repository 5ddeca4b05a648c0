"""Hostile spec input: time and peak memory of `specrun validate` on YAML bombs.

Each case runs `specrun validate` in a fresh interpreter, under a memory ceiling (RLIMIT_AS)
and a time limit, so that a bomb that is not bounded costs the benchmark at most those;
the peak resident memory comes from the child's own rusage (os.wait4). The target (issue
16) is an exit 2 with one line in under 0.5 s and 100 MB for every case.

    python benchmarks/bench_faults.py            # full sizes
    python benchmarks/bench_faults.py --smoke    # the same cases, a few seconds
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchlib import Results, parser

HEAD = "name: bomb\ndata: {kind: table, path: data.csv}\nmodel: {kind: bow_softmax}\n"


def alias_bomb(depth: int, width: int = 9) -> str:
    """The billion-laughs shape: each anchor a list of `width` aliases of the one before."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "description: x\nbomb:\n" + "".join(f"  {line}\n" for line in lines)


def alias_flow(depth: int, width: int = 9) -> str:
    """The same bomb on one line (flow style), as an override value."""
    items = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    items += [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth + 1)
    ]
    return "{" + ", ".join(items) + "}"


def cases(tmp: Path, smoke: bool) -> list[tuple[str, list[str]]]:
    """(name, argv of `specrun validate ...`) for every hostile input."""
    (tmp / "data.csv").write_text("text,label\na,x\nb,y\n", encoding="utf-8")
    out: list[tuple[str, list[str]]] = []

    def spec(name: str, text: str) -> Path:
        path = tmp / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    depth = 6 if smoke else 9
    out.append((f"alias bomb depth {depth}", [str(spec("alias", HEAD + alias_bomb(depth)))]))
    nest = 2_000 if smoke else 10_000
    out.append(
        (
            f"{nest}-deep nesting",
            [str(spec("deep", HEAD + "description: " + "[" * nest + "]" * nest + "\n"))],
        )
    )
    out.append(("5,000-digit integer", [str(spec("bigint", HEAD + "seed: " + "7" * 5_000 + "\n"))]))
    out.append(("4,000-digit seed", [str(spec("seed", HEAD + "seed: " + "7" * 4_000 + "\n"))]))
    big = 5 if smoke else 50
    out.append(
        (
            f"{big} MB description",
            [str(spec("bigdesc", HEAD + "description: " + "x" * (big << 20) + "\n"))],
        )
    )
    base = spec("base_bomb", alias_bomb(depth))
    out.append(
        (
            f"alias bomb in extends (depth {depth})",
            [str(spec("ext", HEAD + f"extends: {base.name}\n"))],
        )
    )
    plain = spec("plain", HEAD)
    out.append(("deep nesting in -o", [str(plain), "-o", "description=" + "[" * nest + "]" * nest]))
    out.append(("alias bomb in -o", [str(plain), "-o", "description=" + alias_flow(depth)]))
    if Path("/dev/zero").exists():
        out.append(("/dev/zero", ["/dev/zero"]))
    return out


def measure(argv: list[str], cwd: Path, limit_s: float, limit_mb: int) -> dict[str, Any]:
    """Wall and CPU time, peak RSS (MB), exit code and output of one `specrun validate`."""

    def ceiling() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    cmd = [sys.executable, "-m", "specrun.cli", "validate", *argv]
    env = dict(os.environ, SPECRUN_QUIET="1")
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=ceiling
        )
        timer = threading.Timer(limit_s, proc.kill)
        timer.start()
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - t0
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": proc.returncode,
        "timed_out": wall >= limit_s,
        "lines": len(text.splitlines()),
        "chars": len(text),
        "first": text.strip().splitlines()[0][:200] if text.strip() else "",
    }


def in_process(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """Seconds and peak traced MB of load_spec alone (no interpreter start-up), and its error."""
    import tracemalloc

    from specrun.errors import UserError
    from specrun.spec import load_spec

    path, overrides = argv[0], [a for a in argv[2::2]]
    old = Path.cwd()
    os.chdir(cwd)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        load_spec(path, overrides)
        message = "ok"
    except UserError as exc:
        message = str(exc).splitlines()[0]
    finally:
        took = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        os.chdir(old)
    return took, peak, message


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument(
        "--no-in-process",
        action="store_true",
        help="only the subprocess measurements (for a specrun without the bounds)",
    )
    args = ap.parse_args()
    results = Results("faults", args)
    limit_s = 10.0 if args.smoke else 60.0
    limit_mb = 2048 if args.smoke else 4096
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, argv in cases(tmp, args.smoke):
            rec = measure(argv, tmp, limit_s, limit_mb)
            extra = {
                "rc": rec["rc"],
                "timed_out": rec["timed_out"],
                "output_lines": rec["lines"],
                "output_chars": rec["chars"],
                "message": rec["first"],
            }
            results.add(
                f"validate: {name} (wall)",
                rec["wall_s"],
                unit="s",
                sizes={"limit_s": limit_s},
                **extra,
            )
            results.add(f"validate: {name} (cpu)", rec["cpu_s"], unit="s", **extra)
            results.add(
                f"validate: {name} (peak RSS)",
                rec["rss_mb"],
                unit="MB",
                sizes={"limit_mb": limit_mb},
                **extra,
            )
            if not args.no_in_process:
                took, peak, _msg = in_process(argv, tmp)
                results.add(f"load_spec: {name} (in process)", took, unit="s")
                results.add(f"load_spec: {name} (traced peak)", peak, unit="MB")
            print(
                f"{name}: rc={rec['rc']} wall {rec['wall_s']:.2f}s cpu {rec['cpu_s']:.2f}s "
                f"{rec['rss_mb']:.0f}MB lines={rec['lines']} {rec['first'][:100]!r}",
                flush=True,
            )
    results.finish()


if __name__ == "__main__":
    main()
