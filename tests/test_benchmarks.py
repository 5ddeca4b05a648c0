"""Every benchmark script takes the flags CI runs it with (``--smoke``, ``--json``) and no
longer the old ways to run small. The benchmarks themselves run in CI after the tests
(``nox -s bench -- --smoke``), not here: this only parses their command lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_benchmark_takes_smoke_and_json(script: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        cwd=BENCHMARKS.parent,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for flag in ("--smoke", "--json"):
        assert flag in proc.stdout, f"{script.name} --help has no {flag}"
    for old in ("--quick", "--reduced"):
        assert old not in proc.stdout, (
            f"{script.name} still takes {old}: --smoke is the one small run"
        )


def test_runner_knows_every_benchmark() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_benchmarks.py"), "--list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [p.stem.removeprefix("bench_") for p in SCRIPTS]
