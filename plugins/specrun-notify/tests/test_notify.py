"""Alerts through the real Apprise, to its JSON webhook (``json://``) posting to an HTTP
server that the tests run on loopback. Runs go through the `specrun` CLI in a fresh process:
alerts sent from a background thread must all leave before the process ends."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import specrun
from specrun.testing import run_cli

pytest.importorskip("apprise")

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "specs" / "quickstart_topics.yaml"
SMALL = ["-o", "data.rows=200", "-o", "model.epochs=2"]


class Webhook:
    """A loopback HTTP server that keeps every JSON body posted to it."""

    def __init__(self, status: int = 200, delay_s: float = 0.0):
        posts: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                posts.append({"path": self.path.split("?")[0], **json.loads(body)})
                time.sleep(delay_s)  # then answer late
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.posts = posts
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(monkeypatch):
    for key in ("SPECRUN_NOTIFY_URLS", "SPECRUN_NOTIFY_ON"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SPECRUN_PLUGINS", "notify")
    server = Webhook()
    yield server
    server.close()


def run(tmp_path, *args, env=None):
    store = tmp_path / "s.duckdb"
    out = run_cli(
        "run", str(QUICKSTART), "--local", *SMALL, *args, "--store", str(store), "-q", env=env
    )
    return out, specrun.open_store(str(store))


def test_a_finished_run_and_a_crossed_threshold_send_one_alert_each(tmp_path, hook):
    section = json.dumps(
        {
            "urls": [hook.url],
            "thresholds": [
                {"metric": "eval/accuracy", "above": 0.3},
                {"metric": "eval/accuracy", "above": 0.99},
            ],
        }
    )
    out, store = run(tmp_path, "-o", f"notify={section}")
    assert out.returncode == 0, out.stderr
    run_id = store.runs()["run_id"][0]
    metrics = store.metrics(run_id, "accuracy").filter(split="eval")
    first = next((s, v) for s, v in zip(metrics["step"], metrics["value"], strict=True) if v > 0.3)
    assert [p["type"] for p in hook.posts] == [
        "info",
        "success",
    ]  # the 0.99 bound was never crossed
    crossed, done = hook.posts
    assert crossed["title"] == f"specrun: quickstart-topics run {run_id}: eval/accuracy > 0.3"
    assert crossed["message"].startswith(
        f"eval/accuracy = {first[1]:.6g} at step {first[0]} crossed"
    )
    assert done["title"] == f"specrun: quickstart-topics run {run_id} finished"
    final = store.run(run_id)
    assert f"eval/accuracy = {metrics['value'][-1]:.6g}" in done["message"]
    assert final["status"] == "finished" and done["path"] == "/hook" and done["version"] == "1.0"
    assert "specrun-notify" not in out.stderr


def test_a_failed_run_sends_its_error_from_the_environment_setting(tmp_path, hook):
    out, store = run(
        tmp_path,
        "-o",
        "model.label=nope",
        env={"SPECRUN_NOTIFY_URLS": f"{hook.url}, {hook.url}?x=2", "SPECRUN_NOTIFY_ON": "failed"},
    )
    assert out.returncode == 2
    row = store.run(store.runs()["run_id"][0])
    assert len(hook.posts) == 2 and {p["type"] for p in hook.posts} == {"failure"}
    assert f"error: {row['error'].splitlines()[0]}" in hook.posts[0]["message"]


def test_only_the_states_asked_for_send(tmp_path, hook):
    out, _ = run(tmp_path, "-o", f"notify.urls=[{hook.url}]", "-o", "notify.on=[failed]")
    assert out.returncode == 0, out.stderr
    assert hook.posts == []


def test_a_failing_or_slow_notifier_never_fails_or_holds_up_the_run(tmp_path, hook):
    broken = Webhook(status=500)
    slow = Webhook(delay_s=8)
    try:
        out, store = run(tmp_path, "-o", f"notify.urls=[{broken.url}]", "-o", "model.epochs=1")
        assert out.returncode == 0, out.stderr
        assert out.stderr.count("warning: specrun-notify") == 1 and len(broken.posts) == 1
        # The bound is crossed at the first eval, mid-run: that alert waits 8 s for its answer.
        out, store = run(
            tmp_path / "slow",
            "-o",
            f"notify.urls=['{slow.url}?rto=30']",  # Apprise waits 30 s
            "-o",
            "notify.thresholds=[{metric: eval/accuracy, above: 0.0}]",
            env={"SPECRUN_NOTIFY_TIMEOUT": "90"},
        )
        assert out.returncode == 0, out.stderr
        row = store.run(store.runs()["run_id"][0])
        assert row["duration_s"] < 8  # the webhook's 8 s went by beside the run
        assert [p["type"] for p in slow.posts] == ["info", "success"], (
            out.stderr
        )  # both alerts left
    finally:
        broken.close()
        slow.close()


def test_a_bad_apprise_url_is_one_clear_error(tmp_path, hook):
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        QUICKSTART.read_text() + f"notify:\n  urls:\n    - {hook.url}\n    - jsn://127.0.0.1/x\n"
    )
    out = run_cli("validate", str(spec))
    line = len(QUICKSTART.read_text().splitlines()) + 4
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert (
        f"{spec}:{line}:" in out.stderr and "notify.urls[1]" in out.stderr and "'jsn'" in out.stderr
    )
    bad = tmp_path / "bad2.yaml"
    bad.write_text(
        QUICKSTART.read_text() + "notify:\n  thresholds: [{metric: accuracy, above: 1, below: 0}]\n"
    )
    out = run_cli("validate", str(bad))
    assert out.returncode == 2 and "notify.thresholds[0]" in out.stderr


def test_a_sweep_sends_one_alert_at_its_end_not_one_per_trial(tmp_path, hook):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(
        f"extends: {QUICKSTART}\nname: alert-sweep\ndata: {{rows: 200}}\nmodel: {{epochs: 2}}\n"
        f"notify: {{urls: ['{hook.url}']}}\n"
        "sweep: {metric: eval/accuracy, mode: max, search: grid, space: {model.lr: {grid: [0.3, 0.6]}}}\n"
    )
    store_path = tmp_path / "s.duckdb"
    out = run_cli("sweep", str(spec), "--store", str(store_path), "-q", timeout=900)
    assert out.returncode == 0, out.stderr + out.stdout
    store = specrun.open_store(str(store_path))
    trials = store.runs()
    sweep_id = trials["sweep_id"][0]
    assert [p["title"] for p in hook.posts] == [f"specrun: alert-sweep sweep {sweep_id} finished"]
    best = store.query("SELECT best_run_id FROM sweeps WHERE sweep_id = ?", [sweep_id])[
        "best_run_id"
    ][0]
    assert f"best run {best}: eval/accuracy = " in hook.posts[0]["message"]
