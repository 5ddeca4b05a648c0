"""Faults of the store itself: hostile artifact names, full disks, damaged files, readers
that hold the file (what holds across processes runs `specrun` in a subprocess)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from specrun.store.writer import StoreWriter


def _files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*")} if path.exists() else set()


@pytest.mark.parametrize(
    "name",
    [
        "../x.txt",
        "../../../x.txt",
        "a/../../x.txt",
        "/tmp/specrun-escape.txt",
        "\\\\server\\x",
        "..\\..\\x.txt",
        "C:/x.txt",
        "",
        ".",
        "a/..",
        "x\x00y",
        "model.partial",
    ],
)
def test_artifact_names_that_leave_the_run_folder_are_refused(tmp_path, name):
    store = tmp_path / "deep" / "s.duckdb"
    before = _files_under(tmp_path)
    with pytest.raises(ValueError, match="artifact name"):
        StoreWriter(store).save_artifact("r1", name, b"evil")
    after = _files_under(tmp_path)
    root = tmp_path / "deep" / "s_artifacts"
    assert all(root in p.parents or p == root or p in before or p in root.parents for p in after), (
        after - before
    )
    assert not Path("/tmp/specrun-escape.txt").exists()
    assert not [p for p in after if p.is_file()], "nothing is written for a refused name"


def test_artifact_names_are_normalised_inside_the_run_folder(tmp_path):
    writer = StoreWriter(tmp_path / "s.duckdb")
    info = writer.save_artifact("r1", "model//./weights\\a.bin", b"ok")
    assert info["path"] == "r1/model/weights/a.bin" and info["name"] == "model/weights/a.bin"
    assert (tmp_path / "s_artifacts" / "r1" / "model" / "weights" / "a.bin").read_bytes() == b"ok"
    writer.flush()


def test_a_link_in_the_store_cannot_carry_an_artifact_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    run_folder = tmp_path / "s_artifacts" / "r1"
    run_folder.mkdir(parents=True)
    os.symlink(outside, run_folder / "model")
    with pytest.raises(ValueError, match="out of the run's folder"):
        StoreWriter(tmp_path / "s.duckdb").save_artifact("r1", "model/x.bin", b"evil")
    assert not list(outside.iterdir())
    with pytest.raises(ValueError, match="run id"):
        StoreWriter(tmp_path / "s.duckdb").save_artifact("..", "x.bin", b"evil")


import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import specrun  # noqa: E402
from core_helpers import ROOT, write_spec  # noqa: E402


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs (the store takes about 2): unmounted after the test."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        pytest.skip(f"cannot run mount: {exc}")
    if done.returncode != 0:
        pytest.skip(
            f"mounting a small tmpfs is not permitted here (needs root): {done.stderr.strip()}"
        )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "specrun.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        env=dict(os.environ, **(env or {})),
    )


FILLS = """\
name: full
data: {{kind: generated_topics, rows: 50}}
model: {{kind: counting, steps: {steps}, artifact_bytes: {size}}}
metrics: [{{kind: mean_abs_error}}]
"""


def test_an_artifact_that_does_not_fit_fails_the_run_with_the_reason(
    tmp_path, small_disk, with_example_plugin
):
    spec = write_spec(tmp_path, FILLS.format(steps=30, size=5_000_000))  # more than the whole disk
    store = small_disk / "s.duckdb"
    out = _run("run", str(spec), "--local", "--store", str(store))
    assert out.returncode == 2, out.stderr
    assert f"no space left on device at {small_disk / 's_artifacts'}" in out.stderr
    assert "Traceback" not in out.stderr and "rollback" not in out.stderr
    assert not [p for p in small_disk.rglob("*.partial")], "no partial file is left behind"
    st = specrun.open_store(str(store))
    row = st.runs().row(0, named=True)
    assert row["status"] == "failed" and "no space left on device" in st.run(row["run_id"])["error"]
    assert st.query("SELECT count(*) AS n FROM metrics")["n"][0] == 30, "what was logged is kept"


def test_a_full_disk_under_the_store_is_said_and_leaves_it_readable(
    tmp_path, small_disk, with_example_plugin
):
    store = small_disk / "s.duckdb"
    first = _run(
        "run",
        str(write_spec(tmp_path, FILLS.format(steps=3, size=0))),
        "--local",
        "--store",
        str(store),
    )
    assert first.returncode == 0, first.stderr
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:  # everything that is left
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    out = _run(
        "run",
        str(write_spec(tmp_path, FILLS.format(steps=20000, size=0), "big.yaml")),
        "--local",
        "--store",
        str(store),
    )
    assert out.returncode != 0
    assert "no space left on device at" in out.stderr and str(small_disk) in out.stderr, out.stderr[
        -2000:
    ]
    assert "Traceback" not in out.stderr and "no transaction is active" not in out.stderr
    assert not [p for p in small_disk.rglob("*.partial")] and not [
        p for p in small_disk.rglob("*.tmp")
    ]
    filler.unlink()
    listed = _run("runs", "--store", str(store))
    assert listed.returncode == 0, listed.stderr
    assert specrun.open_store(str(store)).runs()["status"].to_list()[-1] == "finished"
    shutil.rmtree(small_disk / "s_artifacts", ignore_errors=True)


QUICK = "name: ok\ndata: {kind: generated_topics, rows: 50}\nmodel: {kind: counting, steps: 300}\n"


def _damage(good: Path, kind: str) -> Path:
    bad = good.with_name(f"{kind}.duckdb")
    data = bytearray(good.read_bytes())
    if kind == "truncated":
        data = data[: len(data) // 7]
    else:  # one flipped byte in the first block (the catalog: read by every open)
        data[12288 + 100] ^= 0xFF
    bad.write_bytes(bytes(data))
    return bad


@pytest.mark.parametrize("kind", ["truncated", "flipped"])
def test_a_damaged_store_is_refused_with_the_path_and_what_to_do(
    tmp_path, with_example_plugin, kind
):
    import hashlib

    spec = write_spec(tmp_path, QUICK)
    good = tmp_path / "good.duckdb"
    assert _run("run", str(spec), "--local", "--store", str(good)).returncode == 0
    bad = _damage(good, kind)
    digest = hashlib.sha256(bad.read_bytes()).hexdigest()
    for args in (["runs"], ["run", str(spec), "--local"]):
        out = _run(*args, "--store", str(bad), env={"SPECRUN_STORE_LOCK_WAIT": "5"})
        assert out.returncode == 2, (args, out.stderr[-2000:])
        assert f"the run store {bad} is damaged" in out.stderr and "Restore a copy" in out.stderr
        assert "specrun export" in out.stderr and "Traceback" not in out.stderr
        assert "locked" not in out.stderr, "a checksum error 'in block' is no lock"
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == digest, "nothing was written into it"
