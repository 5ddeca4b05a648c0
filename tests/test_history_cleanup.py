"""export to Parquet, rm and gc on copies of a store of real runs."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import specrun
from click.testing import CliRunner
from specrun.cli import cli
from specrun.history.cleanup import RUN_TABLES
from test_history_support import grid_run, grid_store

TABLES = ("runs", "params", "metrics", "metrics_final", "samples", "artifacts", "environment")


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def counts(path, run_ids):
    db = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: db.execute(
                f"SELECT count(*) FROM {t} WHERE list_contains(?, run_id)", [run_ids]
            ).fetchone()[0]
            for t in TABLES
        }
    finally:
        db.close()


def test_export_writes_the_rows_of_every_table_as_parquet(tmp_path):
    path = grid_store(tmp_path)
    ids = [grid_run(path, 0.1, 2, 1), grid_run(path, 0.5, 3, 2)]
    out_dir = tmp_path / "shared"
    out = invoke(
        "export", *ids, "--to", "parquet", str(out_dir), "--with-files", "--store", str(path)
    )
    assert out.exit_code == 0, out.output
    expected = counts(path, ids)
    for table, n in expected.items():
        frame = pl.read_parquet(out_dir / f"{table}.parquet")
        assert frame.height == n and n > 0, table
        assert set(frame["run_id"]) == set(ids)
    store = specrun.open_store(str(path))
    original = store.query(
        "SELECT * FROM metrics WHERE list_contains(?, run_id) ORDER BY run_id, split, name, step",
        [ids],
    )
    assert pl.read_parquet(out_dir / "metrics.parquet").equals(original)
    # JSON and list columns keep their types through DuckDB's own Parquet writer.
    runs = duckdb.sql(
        f"SELECT tags, spec_resolved->>'$.model.lr' AS lr FROM '{out_dir / 'runs.parquet'}'"
    ).fetchall()
    assert {r[1] for r in runs} == {"0.1", "0.5"} and runs[0][0] == [
        "demo",
        "classification",
        "core",
    ]
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["run_ids"] == ids and manifest["tables"]["metrics"] == expected["metrics"]
    assert manifest["schema_migrations"][0] == "m001_initial"
    assert (out_dir / "artifacts" / ids[0] / "model" / "bow_softmax.npz").is_file()
    again = invoke("export", ids[0], "--to", "parquet", str(out_dir), "--store", str(path))
    assert again.exit_code == 2 and "not empty" in again.output


def test_rm_asks_then_deletes_from_every_table_and_its_artifacts(tmp_path):
    path = grid_store(tmp_path)
    gone, kept = grid_run(path, 0.1, 2, 1), grid_run(path, 0.1, 2, 2)
    before = counts(path, [gone])
    assert all(before[t] > 0 for t in TABLES)
    refused = invoke("rm", gone, "--store", str(path), input="n\n")
    assert refused.exit_code == 2 and "nothing removed" in refused.output
    assert counts(path, [gone]) == before
    done = invoke("rm", gone[:8], "--store", str(path), input="y\n")
    assert done.exit_code == 0, done.output
    assert counts(path, [gone]) == dict.fromkeys(TABLES, 0)
    assert not (tmp_path / "grid_artifacts" / gone).exists()
    assert all(n > 0 for n in counts(path, [kept]).values())
    assert (tmp_path / "grid_artifacts" / kept).is_dir()
    assert set(RUN_TABLES) == set(TABLES)  # a table keyed by run id that rm forgets would leak rows


def test_rm_refuses_a_running_run_and_gc_removes_orphan_folders(tmp_path):
    path = grid_store(tmp_path)
    running, orphaned = grid_run(path, 0.5, 2, 1), grid_run(path, 0.5, 2, 2)
    db = duckdb.connect(str(path))
    db.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", [running])
    db.close()
    out = invoke("rm", running, "--yes", "--store", str(path))
    assert out.exit_code == 2 and "still running" in out.output
    assert counts(path, [running])["runs"] == 1
    # --keep-files leaves the folder behind, as a crash or an older specrun would.
    assert invoke("rm", orphaned, "--yes", "--keep-files", "--store", str(path)).exit_code == 0
    folder = tmp_path / "grid_artifacts" / orphaned
    assert folder.is_dir()
    dry = invoke("gc", "--dry-run", "--store", str(path))
    assert dry.exit_code == 0 and str(folder) in dry.output and folder.is_dir()
    done = invoke("gc", "--store", str(path))
    assert done.exit_code == 0 and "1 item(s)" in done.output
    assert not folder.exists()
    assert (
        len(list((tmp_path / "grid_artifacts").iterdir())) == 7
    )  # every other run keeps its files


def test_rm_of_a_whole_sweep_removes_its_row(tmp_path):
    path = grid_store(tmp_path)
    trials = [grid_run(path, 0.5, 3, s) for s in (1, 2)]
    db = duckdb.connect(str(path))
    db.execute("UPDATE runs SET sweep_id = 'swpfeedbeef0' WHERE list_contains(?, run_id)", [trials])
    db.execute(
        "INSERT INTO sweeps (sweep_id, name, status, created_at)"
        " VALUES ('swpfeedbeef0', 'q', 'finished', now())"
    )
    db.close()
    assert invoke("rm", "swpfeed", "--yes", "--store", str(path)).exit_code == 0
    store = specrun.open_store(str(path))
    assert store.query("SELECT count(*) AS n FROM sweeps")["n"][0] == 0
    assert store.query("SELECT count(*) AS n FROM runs")["n"][0] == 6
