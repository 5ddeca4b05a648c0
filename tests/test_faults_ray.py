"""Ray faults seen by a user: a cluster that wants a token says so in one line."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from core_helpers import ROOT, write_spec

pytestmark = pytest.mark.ray


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def token_cluster():
    """A one-node Ray head on 127.0.0.1 with token auth on; stopped by pid (never `ray stop`,
    which would stop every Ray of the machine)."""
    import tempfile

    import psutil

    temp = tempfile.mkdtemp(prefix="sr-ray-")  # short: Ray's socket paths must fit in 107 bytes
    port = _free_port()
    env = dict(
        os.environ,
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN=secrets.token_hex(16),
        RAY_USAGE_STATS_ENABLED="0",
    )
    ray_bin = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [
            str(ray_bin),
            "start",
            "--head",
            "--block",
            "--node-ip-address",
            "127.0.0.1",
            "--port",
            str(port),
            "--num-cpus",
            "1",
            "--include-dashboard",
            "false",
            "--disable-usage-stats",
            "--temp-dir",
            temp,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if head.poll() is not None:
                pytest.skip(
                    f"`ray start --head` with token auth did not start: {head.stderr.read()[-500:]}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the Ray head never listened"
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        family = []
        try:
            family = psutil.Process(head.pid).children(recursive=True)
        except psutil.Error:
            pass
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            head.kill()
        for proc in family:
            try:
                proc.kill()
            except psutil.Error:
                pass


def test_a_cluster_that_wants_a_token_says_so_and_how_to_give_it(tmp_path, token_cluster):
    spec = write_spec(
        tmp_path, "name: q\ndata: {kind: generated_topics, rows: 50}\nmodel: {kind: bow_softmax}\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RAY_AUTH_TOKEN", "RAY_AUTH_MODE", "RAY_ADDRESS")
    }
    env["RAY_AUTH_TOKEN_PATH"] = str(tmp_path / "no-token-here")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "specrun.cli",
            "run",
            str(spec),
            "--address",
            token_cluster,
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert f"the Ray cluster at {token_cluster} wants an authentication token" in out.stderr
    assert "RAY_AUTH_TOKEN" in out.stderr and "ray get-auth-token" in out.stderr
    assert "gcs_client.cc" not in out.stderr and len(out.stderr.strip().splitlines()) <= 2, (
        out.stderr
    )
