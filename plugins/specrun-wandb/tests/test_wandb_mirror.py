"""The W&B mirror with the real wandb package in offline mode, read back with wandb's own
reader of the run's transaction log (`wandb leet inspect --json`, wandb-core's parser of the
.wandb protobuf records). Runs go through the `specrun` CLI in a fresh process, as users run
them: the mirror's exit hook must finish every W&B run before the process ends."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
import specrun
from specrun.testing import run_cli

pytest.importorskip("wandb")
pytest.importorskip("specrun_wandb")

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART = ROOT / "specs" / "quickstart_topics.yaml"
CV = ROOT / "specs" / "cv_topics.yaml"
SMALL = ["-o", "data.rows=200", "-o", "model.epochs=2"]


class ClosedServer:
    """A loopback port that counts every connection made to it (W&B's base URL in tests)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    for key in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_DIR", "SPECRUN_WANDB", "SPECRUN_WANDB_MODE"):
        monkeypatch.delenv(key, raising=False)
    server = ClosedServer()
    values = {
        "WANDB_BASE_URL": f"http://127.0.0.1:{server.port}",
        "WANDB_DATA_DIR": str(tmp_path / "wandb-data"),  # W&B's staging area, not ~/.local
        "WANDB_CACHE_DIR": str(tmp_path / "wandb-cache"),
        "WANDB_CONFIG_DIR": str(tmp_path / "wandb-config"),
        "WANDB_ERROR_REPORTING": "false",
        "SPECRUN_PLUGINS": "wandb",
    }
    yield values, server
    server.close()


def records(run_dir: Path) -> list[dict]:
    """Every record of the run's .wandb log, parsed by wandb itself."""
    out = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", "--json", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def offline_runs(folder: Path) -> dict[str, Path]:
    """specrun run id -> its offline W&B run folder (W&B's run id is specrun's)."""
    return {p.name.rsplit("-", 1)[1]: p for p in sorted((folder / "wandb").glob("offline-run-*"))}


def one(recs: list[dict], kind: str) -> dict:
    found = [r[kind] for r in recs if r["type"] == kind]
    assert len(found) == 1, (kind, len(found))
    return found[0]


def history(recs: list[dict]) -> dict[tuple[str, int], float]:
    """(split/name, step) -> value, for every metric W&B recorded."""
    out = {}
    for r in recs:
        if r["type"] == "history":
            item, step = r["history"]["item"], int(r["history"]["step"].get("num", 0))
            for key, value in item.items():
                if "/" in key and "." not in key and not key.startswith(("_", "samples/")):
                    out[(key, step)] = value
    return out


def summary(recs: list[dict]) -> dict:
    merged: dict = {}
    for r in recs:
        if r["type"] == "summary":
            merged.update(r["summary"].get("update", {}))
    return merged


def test_a_run_is_mirrored_offline_with_exact_values_and_no_network(tmp_path, env):
    values, server = env
    store_path = tmp_path / "s.duckdb"
    out = run_cli(
        "run",
        str(QUICKSTART),
        "--local",
        *SMALL,
        "-o",
        "model.samples=5",
        "-o",
        f"wandb.dir={tmp_path / 'wb'}",
        "--store",
        str(store_path),
        "-q",
        env=values,
    )
    assert out.returncode == 0, out.stderr
    assert "specrun-wandb" not in out.stderr  # no warning: nothing failed
    store = specrun.open_store(str(store_path))
    run_id = store.runs()["run_id"][0]
    runs = offline_runs(tmp_path / "wb")
    assert list(runs) == [run_id]
    recs = records(runs[run_id])

    run = one(recs, "run")
    stored = store.run(run_id)
    config = run["config"]["update"]
    spec = json.loads(stored["spec_resolved"])
    assert {k: config[k] for k in spec if k != "wandb"} == {
        k: v for k, v in spec.items() if k != "wandb"
    }
    assert config["specrun"] == {
        "run_id": run_id,
        "parent_id": None,
        "sweep_id": None,
        "role": "run",
        "index": None,
        "store": str(store_path),
    }
    assert (run["project"], run["run_id"], run["job_type"]) == ("quickstart-topics", run_id, "run")
    assert run["tags"] == ["demo", "classification", "core", "run"]

    metrics = store.metrics(run_id)
    expected = {
        (f"{s}/{n}", st): v
        for s, n, st, v in metrics.select("split", "name", "step", "value").iter_rows()
    }
    assert history(recs) == expected  # every point at its step, the same floats

    table_item = [
        r["history"]["item"]
        for r in recs
        if r["type"] == "history" and "samples/eval.path" in r["history"]["item"]
    ][0]
    table = json.loads((runs[run_id] / "files" / table_item["samples/eval.path"]).read_text())
    samples = store.samples(run_id).filter(split="eval")
    assert table["columns"] == ["step", "idx", "input", "reference", "output", "extra"]
    assert [row[:5] for row in table["data"]] == [
        list(r) for r in samples.select("step", "idx", "input", "reference", "output").iter_rows()
    ]

    art = [
        r["artifact"]
        for r in recs
        if r["type"] == "artifact" and r["artifact"]["type"] == "specrun-run"
    ]
    assert len(art) == 1 and art[0]["name"] == f"specrun-{run_id}"
    files = {c["path"]: c["digest"] for c in art[0]["manifest"]["contents"]}
    assert sorted(files) == sorted(store.artifacts(run_id)["name"])
    for name, digest in files.items():
        data = store.artifact_path(run_id, name).read_bytes()
        assert digest == base64.b64encode(hashlib.md5(data).digest()).decode()

    assert summary(recs)["specrun/status"] == "finished"
    assert one(recs, "exit")["exit_code"] in (0, None)  # protobuf JSON leaves zero out
    assert server.connections == 0  # W&B's server was never contacted


def test_a_failed_run_is_failed_in_wandb_with_its_error(tmp_path, env):
    values, _ = env
    store_path = tmp_path / "s.duckdb"
    out = run_cli(
        "run",
        str(QUICKSTART),
        "--local",
        *SMALL,
        "-o",
        "model.label=nope",
        "-o",
        "wandb.project=specrun-tests",
        "--store",
        str(store_path),
        "-q",
        env=values,
    )
    assert out.returncode == 2, out.stderr
    store = specrun.open_store(str(store_path))
    row = store.run(store.runs()["run_id"][0])
    recs = records(offline_runs(tmp_path)[row["run_id"]])  # default dir: beside the store
    assert one(recs, "run")["project"] == "specrun-tests"
    assert one(recs, "exit")["exit_code"] == 1
    assert summary(recs)["specrun/status"] == "failed"
    assert summary(recs)["specrun/error"] == row["error"] and "nope" in row["error"]


def test_cv_folds_are_grouped_under_their_parent(tmp_path, env):
    values, _ = env
    store_path = tmp_path / "s.duckdb"
    out = run_cli(
        "cv",
        str(CV),
        "--local",
        *SMALL,
        "-o",
        "cv.folds=2",
        "-o",
        "wandb.mode=offline",
        "--store",
        str(store_path),
        "-q",
        env=values,
    )
    assert out.returncode == 0, out.stderr
    store = specrun.open_store(str(store_path))
    parent = store.runs().filter(pl.col("parent_id").is_null())["run_id"][0]
    runs = {rid: records(path) for rid, path in offline_runs(tmp_path).items()}
    assert len(runs) == 3
    info = {rid: one(recs, "run") for rid, recs in runs.items()}
    assert {rid: (r["run_group"], r["job_type"]) for rid, r in info.items()} == {
        rid: (f"cv-{parent}", "cv" if rid == parent else "fold") for rid in runs
    }
    means = {k: v for (k, _step), v in history(runs[parent]).items()}
    stored = store.metrics(parent)
    assert means == {
        f"{s}/{n}": v for s, n, v in stored.select("split", "name", "value").iter_rows()
    }


def test_sweep_trials_are_grouped_under_the_sweep(tmp_path, env):
    """Sweeps run on Ray Tune: the mirror runs on the driver, in the Tune loop's process."""
    values, _ = env
    spec = tmp_path / "sweep.yaml"
    spec.write_text(
        f"extends: {QUICKSTART}\nname: wb-sweep\ndata: {{rows: 200}}\nmodel: {{epochs: 2}}\n"
        "wandb: {mode: offline, artifacts: false}\n"
        "sweep: {metric: eval/accuracy, mode: max, search: grid, space: {model.lr: {grid: [0.3, 0.6]}}}\n"
    )
    store_path = tmp_path / "s.duckdb"
    out = run_cli("sweep", str(spec), "--store", str(store_path), "-q", env=values, timeout=900)
    assert out.returncode == 0, out.stderr + out.stdout
    store = specrun.open_store(str(store_path))
    trials = store.runs()
    sweep_id = trials["sweep_id"][0]
    runs = {rid: records(path) for rid, path in offline_runs(tmp_path).items()}
    assert sorted(runs) == sorted(trials["run_id"])
    groups = {(one(r, "run")["run_group"], one(r, "run")["job_type"]) for r in runs.values()}
    assert groups == {(f"sweep-{sweep_id}", "trial")}
    assert not [
        r
        for recs in runs.values()
        for r in recs  # artifacts: false is honoured
        if r["type"] == "artifact" and r["artifact"]["type"] == "specrun-run"
    ]
    lrs = sorted(one(r, "run")["config"]["update"]["model"]["lr"] for r in runs.values())
    assert lrs == [0.3, 0.6]
    for rid, recs in runs.items():
        stored = store.metrics(rid)
        assert history(recs) == {
            (f"{s}/{n}", st): v
            for s, n, st, v in stored.select("split", "name", "step", "value").iter_rows()
        }


def test_an_unreachable_wandb_server_never_fails_or_holds_up_the_run(tmp_path, env):
    values, server = env
    server.close()  # nothing listens there now: every connection is refused
    store_path = tmp_path / "s.duckdb"
    out = run_cli(
        "run",
        str(QUICKSTART),
        "--local",
        *SMALL,
        "-o",
        "wandb.mode=online",
        "--store",
        str(store_path),
        "-q",
        env={**values, "WANDB_API_KEY": "x" * 40, "SPECRUN_WANDB_TIMEOUT": "30"},
    )
    assert out.returncode == 0, out.stderr
    store = specrun.open_store(str(store_path))
    row = store.run(store.runs()["run_id"][0])
    assert row["status"] == "finished"
    assert row["duration_s"] < 30  # W&B's 30 s of retries went on beside the run, not in it
    warnings = [
        line for line in out.stderr.splitlines() if line.startswith("warning: specrun-wandb")
    ]
    assert len(warnings) == 1 and "stopped mirroring" in warnings[0], out.stderr


def test_an_unwritable_wandb_dir_warns_once_and_the_run_finishes(tmp_path, env):
    values, _ = env
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = run_cli(
        "run",
        str(QUICKSTART),
        "--local",
        *SMALL,
        "-o",
        f"wandb.dir={blocker}/wb",
        "--store",
        str(tmp_path / "s.duckdb"),
        "-q",
        env=values,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("warning: specrun-wandb") == 1


def test_a_misspelt_mode_is_one_clear_error(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(QUICKSTART.read_text() + "wandb:\n  mode: ofline\n")
    out = run_cli("validate", str(spec), env={"SPECRUN_PLUGINS": "wandb"})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    line = len(QUICKSTART.read_text().splitlines()) + 2
    assert (
        f"{spec}:{line}:" in out.stderr and "wandb.mode" in out.stderr and "'offline'" in out.stderr
    )


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare for a network namespace")
def test_offline_mirroring_works_with_no_network_at_all(tmp_path, env):
    """In a network namespace of its own nothing beyond the process's own loopback exists."""
    values, _ = env
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("unprivileged network namespaces are not allowed here")
    store_path = tmp_path / "s.duckdb"
    cmd = [
        "unshare",
        "-rn",
        sys.executable,
        "-m",
        "specrun.cli",
        "run",
        str(QUICKSTART),
        "--local",
        *SMALL,
        "--store",
        str(store_path),
        "-q",
    ]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **values, "SPECRUN_WANDB": "1"},
    )
    assert out.returncode == 0, out.stderr
    assert "specrun-wandb" not in out.stderr
    store = specrun.open_store(str(store_path))
    run_id = store.runs()["run_id"][0]
    recs = records(offline_runs(tmp_path)[run_id])
    stored = store.metrics(run_id)
    assert history(recs) == {
        (f"{s}/{n}", st): v
        for s, n, st, v in stored.select("split", "name", "step", "value").iter_rows()
    }


def test_mirroring_is_off_and_wandb_never_imported_without_a_section(tmp_path):
    code = (
        "import os, sys, specrun; os.environ.pop('SPECRUN_WANDB', None); "
        f"r = specrun.run({str(QUICKSTART)!r}, overrides=['data.rows=200', 'model.epochs=1'], "
        f"store={str(tmp_path / 's.duckdb')!r}, local=True); "
        "from specrun.plugins import get_registry; "
        "print(r.status, 'wandb' in get_registry().plugins, 'wandb' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.stdout.split() == ["finished", "True", "False"], out.stderr
    assert not (tmp_path / "wandb").exists()
