"""`specrun serve` as a real server process on loopback, and `specrun chat` in a pseudo
terminal, typed into as a person would."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import httpx
import pytest
import specrun
from click.testing import CliRunner
from retrieval_testkit import SPECS, cli_env, free_port, reset_database, wait_for


class Terminal:
    """A process on a pseudo terminal: ``expect`` reads until a text shows, ``type`` types."""

    def __init__(self, argv: list[str]):
        self.fd, child = pty.openpty()
        self.proc = subprocess.Popen(
            argv, stdin=child, stdout=child, stderr=child, env=cli_env(), start_new_session=True
        )
        os.close(child)
        self.screen = ""

    def expect(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {text!r}; the terminal shows:\n{self.screen[-2000:]}"
                )
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and self.proc.poll() is not None:
                    raise AssertionError(
                        f"process ended before {text!r} showed:\n{self.screen[-2000:]}"
                    )
                self.screen += chunk.decode("utf-8", errors="replace")
        shown, _, self.screen = self.screen.partition(text)
        return shown

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode("utf-8"))

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            os.close(self.fd)


def test_chat_in_a_terminal(poly_run, store):
    term = Terminal(
        [sys.executable, "-m", "specrun.cli", "chat", poly_run.run_id, "--store", store]
    )
    try:
        banner = term.expect("you> ", timeout=180)
        assert f"chatting with run {poly_run.run_id}" in banner
        term.type("내일 제주 날씨 어때요?")
        answer = term.expect("you> ")
        assert "bot> " in answer and "[" in answer  # an answer with its score
        term.type("/k 3")
        assert "showing 3 answers" in term.expect("you> ")
        term.type("배고파요. 냉면 먹을까요?")
        three = term.expect("you> ")
        assert "bot> " in three and "  2. " in three and "  3. " in three
        term.type("/nonsense")
        assert "unknown command" in term.expect("you> ")
        term.type("/quit")
        term.expect("bye")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            os.killpg(term.proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("dialect,server", [("postgresql", "postgres_url"), ("mysql", "mysql_url")])
def test_serve_answers_over_http(poly_run, store, dialect, server, request):
    db_url = request.getfixturevalue(server)
    reset_database(db_url)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specrun.cli",
            "serve",
            poly_run.run_id,
            "--store",
            store,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db_url,
        ],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(
                f"serve exited with {proc.returncode}:\n{proc.stdout.read().decode()}"
            )
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, 180, "specrun serve to answer /health")
        health = httpx.get(f"{base}/health").json()
        assert health["run_id"] == poly_run.run_id and health["database"] == dialect
        reply = httpx.post(
            f"{base}/respond", json={"context": "요즘 기침이 멈추질 않아요.", "k": 2}, timeout=30
        )
        assert reply.status_code == 200 and len(reply.json()["responses"]) == 2
        added = httpx.post(f"{base}/responses", json={"text": "새로 추가한 답이에요."}, timeout=30)
        assert added.status_code == 201
        assert httpx.get(f"{base}/health").json()["candidates"] == health["candidates"] + 1
        assert httpx.post(f"{base}/respond", json={"context": ""}).status_code == 422
        assert "/respond" in httpx.get(f"{base}/openapi.json").json()["paths"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_serve_and_chat_refuse_runs_they_cannot_use(store, tmp_path):
    from specrun.cli import cli

    other = specrun.run(
        str(SPECS / "quickstart_topics.yaml"), overrides=["model.epochs=1"], store=store, local=True
    )
    runner = CliRunner()
    for command in ("serve", "chat"):
        result = runner.invoke(cli, [command, other.run_id, "--store", store])
        assert result.exit_code == 2, result.output
        assert "is not a retrieval model" in result.output and "bow_softmax" in result.output
        assert "Traceback" not in result.output
    missing = runner.invoke(cli, ["serve", "no-such-run", "--store", store])
    assert missing.exit_code == 2 and "no run 'no-such-run'" in missing.output


def test_default_database_is_sqlite_beside_the_store(tmp_path):
    from specrun_retrieval.serving.commands import default_db_url

    url = default_db_url(str(tmp_path / "runs" / "s.duckdb"), "abc123")
    assert url == f"sqlite:///{tmp_path / 'runs' / 'chatbot-abc123.sqlite'}"


@pytest.mark.parametrize(
    "url,message",
    [
        ("nonsense-url", "is not a database URL"),
        ("sqlite:////no/such/dir/x.sqlite", "cannot open the database"),
    ],
)
def test_serve_rejects_a_bad_database_url(poly_run, store, url, message):
    from specrun.cli import cli

    result = CliRunner().invoke(
        cli, ["serve", poly_run.run_id, "--store", store, "--db", url, "--port", "1"]
    )
    assert result.exit_code == 2 and message in result.output, result.output
