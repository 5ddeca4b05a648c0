"""DVC provenance in a real `git init` + `dvc init` repository with a local remote: runs are
subprocesses of the CLI, as a user runs them, with a guard that records any attempt to reach
the network (DVC's analytics included) and makes it fail."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import specrun
import yaml
from specrun.testing import newest_run, run_cli

pytest.importorskip("dvc")

GUARD = """
import os, socket
_log = os.environ["SPECRUN_TEST_NET_LOG"]
def _refuse(what):
    with open(_log, "a") as f:
        f.write(f"{os.getpid()} {what}\\n")
    raise OSError(f"network refused by the test: {what}")
_connect = socket.socket.connect
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _refuse(f"connect {address}")
    return _connect(self, address)
socket.socket.connect = connect
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1"):
        _refuse(f"getaddrinfo {host}")
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
"""

TOPICS = {"sports": "야구 축구 선수 경기", "economy": "증시 물가 기업 금리"}


def guarded_env(tmp_path: Path) -> dict[str, str]:
    """Variables for a subprocess whose every Python (DVC's daemons too) loads the guard."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD)
    return {
        "PYTHONPATH": os.pathsep.join([str(guard), os.environ.get("PYTHONPATH", "")]),
        "SPECRUN_TEST_NET_LOG": str(tmp_path / "network.log"),
    }


@pytest.fixture
def repo(tmp_path):
    """A Git + DVC repository whose data/headlines.csv is tracked by DVC and pushed to a
    local remote; everything run in it goes through the network guard."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **guarded_env(tmp_path),
        "HOME": str(home),
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "SPECRUN_PLUGINS": "dvc",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    dvc = [sys.executable, "-m", "dvc"]

    def sh(*argv: str) -> None:
        full = {**os.environ, **env}
        proc = subprocess.run(argv, cwd=root, env=full, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"

    rows = ["text,label"]
    for i in range(80):
        label = sorted(TOPICS)[i % 2]
        words = TOPICS[label].split()
        rows.append(f"{words[i % 4]} {words[(i + 1) % 4]} 오늘 {i},{label}")
    (root / "data" / "headlines.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "spec.yaml").write_text(
        "name: dvc-topics\nseed: 1\n"
        "data: {kind: table, path: data/headlines.csv, split: {eval: 0.25}}\n"
        "model: {kind: bow_softmax, epochs: 2}\nmetrics: [{kind: accuracy}]\n",
        encoding="utf-8",
    )
    sh("git", "init", "-q")
    sh(*dvc, "init", "-q")
    sh(*dvc, "config", "core.analytics", "false")
    sh(*dvc, "add", "-q", "data/headlines.csv")
    sh(*dvc, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    sh(*dvc, "push", "-q")
    sh("git", "add", "-A")
    sh("git", "commit", "-q", "-m", "data v1")
    assert any((tmp_path / "remote").rglob("*")), "dvc push wrote nothing to the local remote"
    return root, env, tmp_path


def run(root: Path, env: dict[str, str], store: str):
    return run_cli("run", str(root / "spec.yaml"), "--local", "--store", store, env=env, cwd=root)


def provenance(store: str, run_id: str) -> dict:
    env = specrun.open_store(store).environment(run_id).row(0, named=True)
    return json.loads(env["provenance"])["dvc"]


def test_a_run_records_the_dvc_hash_and_the_revision(repo):
    root, env, tmp = repo
    store = str(tmp / "s.duckdb")
    proc = run(root, env, store)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr
    run_id = newest_run(store)
    dvc_file = yaml.safe_load((root / "data" / "headlines.csv.dvc").read_text())
    md5 = hashlib.md5((root / "data" / "headlines.csv").read_bytes()).hexdigest()
    assert dvc_file["outs"][0]["md5"] == md5  # DVC 3 hashes the bytes as they are
    rev = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    (entry,) = provenance(store, run_id)["files"]
    assert entry["path"] == "data/headlines.csv" and entry["dvc_file"] == "data/headlines.csv.dvc"
    assert entry["md5"] == md5 and entry["rev"] == rev and len(rev) == 40
    assert entry["workspace"] == "matches" and entry["dvc_file_committed"] is True
    assert entry["size"] == (root / "data" / "headlines.csv").stat().st_size

    shown = run_cli("show", run_id, "--store", store, env=env, cwd=root)
    assert shown.returncode == 0, shown.stderr
    fingerprint = specrun.open_store(store).query(
        f"SELECT data_fingerprint FROM runs WHERE run_id = '{run_id}'"
    )["data_fingerprint"][0]
    text = " ".join(shown.stdout.split())
    assert "provenance: dvc" in text and f"data fingerprint {fingerprint[:16]}" in text
    assert md5 in text and rev in text and "matches" in text
    assert not (tmp / "network.log").exists(), (tmp / "network.log").read_text()


def test_a_working_copy_that_differs_from_its_dvc_hash_is_a_warning(repo):
    root, env, tmp = repo
    store = str(tmp / "s.duckdb")
    assert run(root, env, store).returncode == 0
    first = newest_run(store)
    with open(root / "data" / "headlines.csv", "a", encoding="utf-8") as f:
        f.write("축구 선수 새 경기,sports\n")  # edited in place, not `dvc add`ed
    proc = run(root, env, store)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # a warning, not a failure
    err = " ".join(proc.stderr.split())
    assert "warning: data/headlines.csv differs from the hash in data/headlines.csv.dvc" in err
    second = newest_run(store)
    dvc = provenance(store, second)
    assert dvc["files"][0]["workspace"] == "differs" and len(dvc["warnings"]) == 1
    assert provenance(store, first)["files"][0]["md5"] == dvc["files"][0]["md5"]  # same .dvc
    fingerprints = (
        specrun.open_store(store).query("SELECT DISTINCT data_fingerprint FROM runs").height
    )
    assert fingerprints == 2  # the data the runs read did differ
    shown = run_cli("show", second, "--store", store, env=env, cwd=root)
    assert "differs from the hash" in " ".join(shown.stdout.split())
    assert not (tmp / "network.log").exists(), (tmp / "network.log").read_text()


@pytest.mark.parametrize(
    "code",
    [
        "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)",
        "import socket; s = socket.socket(); s.connect(('192.0.2.1', 80))",
    ],
)
def test_the_guard_would_have_seen_a_connection(tmp_path, code):
    """The no-network assertions above can fail: the same guard catches a real attempt."""
    env = {**os.environ, **guarded_env(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "network refused by the test" in proc.stderr
    assert "192.0.2.1" in (tmp_path / "network.log").read_text()


def test_files_outside_dvc_add_nothing_and_import_no_dvc(tmp_path):
    spec = tmp_path / "s.yaml"
    data = tmp_path / "t.csv"
    data.write_text("text,label\n" + "\n".join(f"a{i} b,x{i % 2}" for i in range(40)) + "\n")
    spec.write_text(
        "name: plain\ndata: {kind: table, path: t.csv}\nmodel: {kind: bow_softmax, epochs: 1}\n"
    )
    code = (
        "import sys, specrun; from specrun.runner.driver import RunInfo; "
        "from specrun_dvc.plugin import collect_provenance; "
        f"s = specrun.load_spec({str(spec)!r}); "
        "print(collect_provenance(RunInfo('r', s.name, s.data, 'x')), 'dvc' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["None", "False"], out.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)
