"""Hostile requests to `specrun serve` (issue 16, item 11), against the real server as a
subprocess on 127.0.0.1: bad input is a 4xx, never a 500, and a token guards the API."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
from click.testing import CliRunner
from retrieval_testkit import cli_env, free_port, wait_for


def start(run_id: str, store: str, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specrun.cli",
            "serve",
            run_id,
            "--store",
            store,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *extra,
        ],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}:\n{proc.stdout.read().decode()}")
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, 240, "specrun serve to answer /health")
    return proc, base


def stop(proc: subprocess.Popen) -> str:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out.decode("utf-8", "replace")


def test_hostile_requests_get_4xx_and_the_token_is_required(poly_run, store, tmp_path):
    db = f"sqlite:///{tmp_path / 'bot.sqlite'}"
    proc, base = start(poly_run.run_id, store, "--db", db, "--new-token")
    try:
        # the token is printed at start; read what the server said so far
        banner = b""
        while b"token: " not in banner:
            banner += proc.stdout.read1(4096)
        token = re.search(r"token: (\S+)", banner.decode()).group(1)
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/health").status_code == 200  # liveness stays open
        for method, path, body in (
            ("get", "/responses", None),
            ("get", "/conversations", None),
            ("post", "/responses", {"text": "몰래 넣은 답"}),
            ("delete", "/responses/1", None),
            ("post", "/respond", {"context": "안녕하세요"}),
        ):
            r = httpx.request(method, base + path, json=body, timeout=30)
            assert r.status_code == 401, (method, path, r.status_code)
            r = httpx.request(
                method,
                base + path,
                json=body,
                timeout=30,
                headers={"Authorization": "Bearer wrong-token-wrong-token"},
            )
            assert r.status_code == 401
        assert httpx.get(f"{base}/responses", headers=auth, timeout=30).status_code == 200
        raw = {"Content-Type": "application/json", **auth}
        for path, content in (
            ("/respond", b'{"context": "\\ud800abc"}'),
            ("/respond", b'{"context": "ok", "conversation_id": "\\udfff"}'),
            ("/responses", b'{"text": "\\ud800"}'),
            ("/respond", b'{"context": "\xff\xfe"}'),
            ("/respond", b'{"context": '),
        ):
            r = httpx.post(base + path, content=content, headers=raw, timeout=30)
            assert 400 <= r.status_code < 500, (path, content, r.status_code, r.text[:300])
        for path in ("/responses", "/conversations"):
            for offset in (
                "9223372036854775808",
                "9223372036854775807",
                "-1",
                "1e3",
                "99999999999999999999999999999",
            ):
                r = httpx.get(f"{base}{path}?offset={offset}", headers=auth, timeout=30)
                assert 400 <= r.status_code < 500, (path, offset, r.status_code)
            assert (
                httpx.get(
                    f"{base}{path}?offset=4611686018427387904", headers=auth, timeout=30
                ).status_code
                == 200
            )  # the largest offset taken
        r = httpx.put(
            f"{base}/responses/1", content=b'{"text": "\\ud800"}', headers=raw, timeout=30
        )
        assert r.status_code == 422
        assert httpx.get(f"{base}/health").json()["status"] == "ok"
    finally:
        out = stop(proc)
    assert "Traceback" not in out and " 500" not in out


def test_serving_beyond_loopback_needs_a_token():
    from specrun.cli import cli

    runner = CliRunner()
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        res = runner.invoke(cli, ["serve", "any-run", "--host", host])
        assert res.exit_code == 2, res.output
        assert f"refusing to serve on {host} without a token" in res.output
        assert "--new-token" in res.output
    res = runner.invoke(cli, ["serve", "any-run", "--host", "0.0.0.0", "--token", "short"])
    assert res.exit_code == 2 and "at least 16 characters" in res.output
    from specrun_retrieval.serving.commands import is_loopback, serving_token

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert serving_token("0.0.0.0", "a-long-enough-token", False) == "a-long-enough-token"
    assert serving_token("127.0.0.1", None, False) is None
    assert len(serving_token("0.0.0.0", None, True)) >= 16
