"""Developer sessions. They reuse the project's cached environment (scripts/bootstrap.sh)
instead of building new ones: the ML stack is 8.5 GB."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["tests", "lint"]


def _venv_bin() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/bootstrap.sh")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1]) / "bin"


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Core and plugin tests (the same command CI runs)."""
    session.run("bash", "scripts/test", *session.posargs, external=True)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff over core, plugins, tests and benchmarks."""
    session.run(
        str(_venv_bin() / "ruff"), "check", "src", "plugins", "tests", "benchmarks", external=True
    )


@nox.session(python=False)
def typecheck(session: nox.Session) -> None:
    """mypy over core."""
    session.run(str(_venv_bin() / "mypy"), external=True)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Every benchmark script; names pick some, other arguments go to each script:
    nox -s bench -- --smoke (CI: small, seconds each), nox -s bench -- core store (full size)."""
    py = str(_venv_bin() / "python")
    session.run(py, str(ROOT / "benchmarks" / "run_benchmarks.py"), *session.posargs, external=True)
