"""Fixtures: tiny real retrieval runs (trained once per session) and a throwaway PostgreSQL
server. No mocks: every model here is trained for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # retrieval_testkit

from retrieval_testkit import (  # noqa: E402
    PLUGINS,
    POLY_OVERRIDES,
    RERANK_OVERRIDES,
    free_port,
    postgres_bin,
    require,
    run_spec,
)


@pytest.fixture(autouse=True)
def _isolate(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECRUN_STORE", str(tmp_path / "default-store" / "specrun.duckdb"))
    monkeypatch.setenv("SPECRUN_PLUGINS", PLUGINS)
    monkeypatch.setenv("SPECRUN_QUIET", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from specrun import plugins

    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> str:
    """One run store for the session's training runs."""
    return str(tmp_path_factory.mktemp("retrieval-runs") / "s.duckdb")


@pytest.fixture(scope="session")
def poly_run(store):
    return run_spec("chatbot_polyencoder.yaml", POLY_OVERRIDES, store)


@pytest.fixture(scope="session")
def rerank_run(store):
    return run_spec("retrieval_biencoder.yaml", RERANK_OVERRIDES, store)


@pytest.fixture(scope="session")
def poly_bot(poly_run, store):
    import specrun

    return specrun.load_model(poly_run.run_id, store)


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL cluster in a temp dir on a free loopback port, stopped after.
    PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user."""
    need = "the API tests need a real PostgreSQL server: apt-get install -y postgresql"
    bin_dir = postgres_bin()
    if bin_dir is None:
        require("initdb/pg_ctl not found", need)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        require("the psycopg2 driver is not installed", "pip install psycopg2-binary")
    as_user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="specrun-pg-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(data, "postgres", "postgres")
        except LookupError:
            shutil.rmtree(data, ignore_errors=True)
            require("running as root and there is no `postgres` user to run the server as", need)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def pg(tool: str, *args: str) -> None:
        subprocess.run(
            [*as_user, str(bin_dir / tool), *args], check=True, capture_output=True, timeout=120
        )

    db = str(data / "db")
    try:
        pg(
            "initdb",
            "-D",
            db,
            "-A",
            "trust",
            "-U",
            "specrun",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pg(
            "pg_ctl",
            "-D",
            db,
            "-l",
            str(data / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40",
        )
        pg("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "specrun", "chatbot")
        yield f"postgresql+psycopg2://specrun@127.0.0.1:{port}/chatbot"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", db, "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(data, ignore_errors=True)
