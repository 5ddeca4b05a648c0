"""Fixtures: tiny real retrieval runs (trained once per session) and throwaway PostgreSQL and
MariaDB servers. No mocks: every model here is trained for real."""

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
    mariadb_bins,
    postgres_bin,
    require,
    run_spec,
    wait_for,
)


@pytest.fixture
def specrun_plugins():
    return PLUGINS


@pytest.fixture
def specrun_store(tmp_path):
    return tmp_path / "default-store" / "specrun.duckdb"


@pytest.fixture(autouse=True)
def _isolate(specrun_env, monkeypatch):
    """specrun.testing's isolated store and environment, offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


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


@pytest.fixture(scope="session")
def mysql_url():
    """A throwaway MariaDB server (the MySQL of Debian) in a temp dir on a free loopback port,
    stopped by its pid after. The server refuses to run as root without being told to, so as
    root it runs as the `mysql` user that the Debian package creates."""
    need = "the API tests need a real MariaDB server: apt-get install -y mariadb-server"
    bins = mariadb_bins()
    if bins is None:
        require("mariadb-install-db/mariadbd not found", need)
    try:
        import pymysql
    except ImportError:
        require("the PyMySQL driver is not installed", "pip install pymysql")
    install_db, server = bins
    data = Path(tempfile.mkdtemp(prefix="specrun-mariadb-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            shutil.chown(data, "mysql", "mysql")
        except LookupError:
            shutil.rmtree(data, ignore_errors=True)
            require("running as root and there is no `mysql` user to run the server as", need)
        as_user = ["--user=mysql"]
    sock, port = str(data / "mysqld.sock"), free_port()
    # --no-defaults: the machine's /etc/mysql/my.cnf must not leak into a throwaway server
    common = ["--no-defaults", f"--datadir={data / 'db'}", *as_user]
    proc = None
    try:
        subprocess.run(
            [
                str(install_db),
                *common,
                "--auth-root-authentication-method=normal",  # root, no password, socket only
                "--skip-test-db",
                "--skip-name-resolve",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        log = data / "server.log"
        proc = subprocess.Popen(
            [
                str(server),
                *common,
                f"--socket={sock}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={data / 'mysqld.pid'}",
                f"--log-error={log}",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
                "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=40",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"mariadbd exited with {proc.returncode}:\n{log.read_text()[-2000:]}"
                )
            try:
                pymysql.connect(unix_socket=sock, user="root", connect_timeout=2).close()
                return True
            except pymysql.err.OperationalError:
                return False

        wait_for(ready, 120, "mariadbd to accept connections")
        # a user of the chatbot database only, reached over TCP like a real deployment
        admin = pymysql.connect(unix_socket=sock, user="root", autocommit=True)
        with admin.cursor() as cur:
            cur.execute("CREATE DATABASE chatbot CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            cur.execute("CREATE USER 'specrun'@'127.0.0.1'")
            cur.execute("GRANT ALL ON chatbot.* TO 'specrun'@'127.0.0.1'")
        admin.close()
        yield f"mysql+pymysql://specrun@127.0.0.1:{port}/chatbot?charset=utf8mb4"
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: a clean shutdown
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(data, ignore_errors=True)
