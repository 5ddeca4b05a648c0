"""What every benchmark script shares: the ``--smoke`` and ``--json`` flags and the record format.

A benchmark builds its parser with :func:`parser`, measures, and hands its measurements to a
:class:`Results`, which prints them as a table and writes them as JSON (``--json FILE``, by
default ``benchmarks/results/<bench>.json``, which git ignores). One record per measurement::

    {"bench": "store", "name": "log 1M points", "unit": "s",
     "specrun": 2.53, "peer": 100.6, "peer_name": "mlflow", "ratio": 39.8,
     "better": "lower", "sizes": {...}, "smoke": false}

plus, once per file, the machine (cores, memory, load, GPU) and the versions of specrun and
of every peer named (``peer_name`` when it is a distribution, and what :meth:`Results.uses`
names). A measurement that could not be made is a record with ``"skipped": "why"`` and no
figures (:meth:`Results.skip`); a GPU benchmark on a machine without one writes such a
record and exits 0 (:func:`gpu_missing`). ``--smoke`` runs the same code paths at sizes that
finish in seconds; CI runs every benchmark that way (``nox -s bench -- --smoke``) so none
can rot, and asserts nothing about the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


PARSE_ONLY = "SPECRUN_BENCH_PARSE_ONLY"


class _BenchParser(argparse.ArgumentParser):
    """With SPECRUN_BENCH_PARSE_ONLY=1 a script checks its command line and exits 0 there:
    how bench_gpu's CPU smoke checks the GPU command lines of parts whose every step the
    parts' own smoke runs already."""

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed = super().parse_args(args, namespace)
        if os.environ.get(PARSE_ONLY) == "1":
            print("arguments ok", flush=True)
            raise SystemExit(0)
        return parsed


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An ArgumentParser that already has ``--smoke`` and ``--json``."""
    ap = _BenchParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="the same code paths at sizes that finish in seconds (CI runs this)",
    )
    ap.add_argument(
        "--json",
        metavar="FILE",
        default=None,
        help="write the results here (default: benchmarks/results/<bench>.json)",
    )
    return ap


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def gpus() -> list[str]:
    """``name, memory`` of each NVIDIA GPU, from nvidia-smi (no torch import); [] if none."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    return [line.strip() for line in out.stdout.strip().splitlines() if line.strip()]


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)  # a loaded machine's figures say so
    except OSError:
        pass
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages * size / 2**30, 1)
    except (ValueError, OSError):
        pass
    found = gpus()
    if found:
        info["gpus"] = found
    return info


@dataclass
class Results:
    """The measurements of one benchmark run; ``finish()`` prints and writes them."""

    bench: str
    args: argparse.Namespace
    records: list[dict[str, Any]] = field(default_factory=list)
    peers: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.time)

    def uses(self, *dists: str) -> None:
        """Record these distributions' versions too (the frameworks both sides ran on)."""
        self.peers.update(dists)

    def skip(
        self, name: str, reason: str, *, sizes: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A measurement that was not made here (no GPU, a tagger not installed): no figures."""
        rec = self.add(name, None, sizes=sizes, skipped=reason, **extra)
        print(f"skipped: {name}: {reason}", flush=True)
        return rec

    def add(
        self,
        name: str,
        specrun: float | None,
        *,
        unit: str = "s",
        peer: float | None = None,
        peer_name: str | None = None,
        better: str = "lower",
        sizes: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """One measurement. ``ratio`` is how many times better specrun is than the peer."""
        ratio = None
        if specrun is not None and peer is not None and specrun > 0 and peer > 0:
            ratio = peer / specrun if better == "lower" else specrun / peer
        rec: dict[str, Any] = {
            "bench": self.bench,
            "name": name,
            "unit": unit,
            "specrun": specrun,
            "peer": peer,
            "peer_name": peer_name,
            "ratio": ratio,
            "better": better,
            "sizes": sizes or {},
            "smoke": bool(self.args.smoke),
            **extra,
        }
        if peer_name:
            self.peers.add(peer_name)
        self.records.append(rec)
        return rec

    def table(self) -> str:
        def fmt(v: Any) -> str:
            if v is None:
                return ""
            if isinstance(v, float):
                return f"{v:.4g}"
            return str(v)

        rows = [("measurement", "unit", "specrun", "peer", "ratio")]
        for r in self.records:
            peer = f"{fmt(r['peer'])} ({r['peer_name']})" if r["peer"] is not None else ""
            ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
            if r.get("skipped"):
                peer = f"skipped: {r['skipped']}"
            rows.append((r["name"], r["unit"], fmt(r["specrun"]), peer, ratio))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def finish(self, table: bool = True) -> Path:
        """Print the table (``table=False`` where the script prints its own) and write the JSON."""
        if table:
            print(self.table(), flush=True)
        path = Path(self.args.json) if self.args.json else RESULTS / f"{self.bench}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        versions = {"specrun": version("specrun")}
        # a peer_name that is no distribution ("plain HF", "deterministic: false") has none
        versions.update({p: v for p in sorted(self.peers) if (v := version(p)) is not None})
        doc = {
            "bench": self.bench,
            "smoke": bool(self.args.smoke),
            "date": time.strftime("%Y-%m-%d", time.gmtime(self.started)),
            "seconds": round(time.time() - self.started, 2),
            "argv": sys.argv[1:],
            "machine": machine(),
            "versions": versions,
            "records": self.records,
        }
        path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"results: {path}", flush=True)
        return path


def gpu_missing(
    bench: str, args: argparse.Namespace, reason: str = "no GPU on this machine"
) -> int:
    """Write a results file holding one skip record, say why, and return 0 (the exit code):
    a GPU benchmark on a CPU machine is not a failure."""
    res = Results(bench, args)
    res.skip(f"{bench} (GPU benchmarks)", reason)
    res.finish(table=False)
    return 0
