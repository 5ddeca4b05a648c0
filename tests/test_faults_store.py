"""Faults of the store itself: hostile artifact names, full disks, damaged files, readers
that hold the file (what holds across processes runs `specrun` in a subprocess)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specrun.store.writer import StoreWriter


def _files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*")} if path.exists() else set()


@pytest.mark.parametrize("name", [
    "../x.txt", "../../../x.txt", "a/../../x.txt", "/tmp/specrun-escape.txt", "\\\\server\\x",
    "..\\..\\x.txt", "C:/x.txt", "", ".", "a/..", "x\x00y", "model.partial",
])
def test_artifact_names_that_leave_the_run_folder_are_refused(tmp_path, name):
    store = tmp_path / "deep" / "s.duckdb"
    before = _files_under(tmp_path)
    with pytest.raises(ValueError, match="artifact name"):
        StoreWriter(store).save_artifact("r1", name, b"evil")
    after = _files_under(tmp_path)
    root = tmp_path / "deep" / "s_artifacts"
    assert all(root in p.parents or p == root or p in before or p in root.parents for p in after), after - before
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
