"""Helpers of the retrieval tests (a module with a unique name: the whole repository's tests
run in one pytest session, where `conftest` means core's)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "specs"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PLUGINS = "retrieval"  # SPECRUN_PLUGINS for these tests: the built-ins always load too

# Small enough to train in seconds on one core, large enough to show learning.
POLY_OVERRIDES = [
    "data.pairs=1500",
    "data.split.eval=0.15",
    "data.split.test=0.1",
    "trainer.epochs=3",
    "trainer.eval_contexts=150",
    "trainer.threads=1",
    "model.vocab_size=1000",
    "model.codes=8",
]
RERANK_OVERRIDES = [
    "data.pairs=1200",
    "data.split.eval=0.15",
    "data.split.test=0.0",
    "trainer.epochs=2",
    "trainer.eval_contexts=100",
    "trainer.eval_candidates=[10]",
    "trainer.threads=1",
    "model.retriever.vocab_size=1000",
    "model.reranker.vocab_size=1000",
    "model.reranker.negatives=3",
    "model.rerank_top_k=5",
    "trainer.reranker_epochs=6",
    "trainer.reranker_lr=3e-3",
]


def run_spec(spec: str, overrides: list[str], store: str):
    """A finished local run of one of the repository's specs, with only this plugin loaded."""
    import specrun
    from specrun import plugins

    before = os.environ.get("SPECRUN_PLUGINS")
    os.environ["SPECRUN_PLUGINS"] = PLUGINS
    plugins.reset()
    try:
        result = specrun.run(str(SPECS / spec), overrides=overrides, store=store, local=True)
    finally:
        if before is None:
            os.environ.pop("SPECRUN_PLUGINS", None)
        else:
            os.environ["SPECRUN_PLUGINS"] = before
        plugins.reset()
    assert result.status == "finished", result.error
    return result


def require(what: str, how: str) -> None:
    """Skip here, fail under CI: CI must not pass by skipping what it was asked to check."""
    message = f"{what} ({how})"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


# -- PostgreSQL --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


# -- MariaDB / MySQL ---------------------------------------------------------------------------


def mariadb_bins() -> tuple[Path, Path] | None:
    """(install-db script, server binary) of a MariaDB (or MySQL-compatible) install: Debian
    puts the server in /usr/sbin, which is not on every user's PATH."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    install = shutil.which("mariadb-install-db", path=search) or shutil.which(
        "mysql_install_db", path=search
    )
    server = shutil.which("mariadbd", path=search) or shutil.which("mysqld", path=search)
    if install is None or server is None:
        return None
    return Path(install), Path(server)


def reset_database(url: str) -> None:
    """Drop the chatbot tables so that each test starts from an empty database."""
    from sqlalchemy import create_engine

    from specrun_retrieval.serving.db import Base

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()


# -- processes ---------------------------------------------------------------------------------


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "OMP_NUM_THREADS": "1",
            "HF_HUB_OFFLINE": "1",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "SPECRUN_PLUGINS": PLUGINS,
        }
    )
    return env


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
