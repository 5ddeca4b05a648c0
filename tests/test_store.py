"""The store: read-only queries, clear errors, schema versions, Polars answers."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from core_helpers import SPECS, run_cli

import specrun
from specrun.errors import StoreError
from specrun.store.connection import connect


@pytest.fixture
def store_with_run(tmp_path):
    path = tmp_path / "s.duckdb"
    result = specrun.run(str(SPECS / "quickstart_topics.yaml"), overrides=["data.rows=200", "model.epochs=2"],
                         store=str(path), local=True)
    assert result.status == "finished"
    return path, result.run_id


def test_query_returns_polars_and_refuses_writes(store_with_run):
    path, run_id = store_with_run
    store = specrun.open_store(str(path))
    df = store.query("SELECT name, value FROM metrics WHERE run_id = ? AND split = 'eval'", [run_id])
    assert isinstance(df, pl.DataFrame) and df.height > 0
    for sql in ("DELETE FROM runs", "DROP TABLE metrics", "INSERT INTO runs (run_id) VALUES ('x')",
                "UPDATE runs SET status = 'x'", "SELECT 1; DELETE FROM runs"):
        with pytest.raises(StoreError, match="read-only"):
            store.query(sql)
    assert store.query("SELECT count(*) AS n FROM runs")["n"][0] == 1


def test_query_cli_formats_and_errors(store_with_run, tmp_path):
    path, run_id = store_with_run
    out = run_cli("query", "SELECT run_id, status FROM runs", "--format", "csv", "--store", str(path))
    assert out.returncode == 0 and f"{run_id},finished" in out.stdout
    out = run_cli("query", "SELECT * FROM runs", "--format", "json", "--store", str(path))
    assert out.returncode == 0 and '"status": "finished"' in out.stdout
    pq = tmp_path / "m.parquet"
    out = run_cli("query", "SELECT * FROM metrics", "--format", "parquet", "--out", str(pq), "--store", str(path))
    assert out.returncode == 0 and pl.read_parquet(pq).height > 0
    out = run_cli("query", "DELETE FROM runs", "--store", str(path))
    assert out.returncode == 2 and "read-only" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("query", "SELECT nope FROM runs", "--store", str(path))
    assert out.returncode == 2 and "query failed" in out.stderr


def test_missing_store_is_a_clear_error_on_read(tmp_path):
    out = run_cli("runs", "--store", str(tmp_path / "none.duckdb"))
    assert out.returncode == 2 and "no run store at" in out.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_store_from_a_newer_schema_asks_to_upgrade(store_with_run):
    path, _ = store_with_run
    db = duckdb.connect(str(path))
    db.execute("INSERT INTO schema_migrations (id, name) VALUES (999, 'm999_from_the_future')")
    db.close()
    from specrun.store import connection

    connection._checked.clear()
    with pytest.raises(StoreError, match="newer specrun"):
        with connect(path, write=False):
            pass
    out = run_cli("runs", "--store", str(path))
    assert out.returncode == 2 and "upgrade specrun" in out.stderr


def test_run_id_prefixes_and_names_resolve(store_with_run):
    path, run_id = store_with_run
    store = specrun.open_store(str(path))
    assert store.resolve_run_id(run_id[:5]) == run_id
    assert store.resolve_run_id("quickstart-topics") == run_id
    with pytest.raises(StoreError, match="no run"):
        store.resolve_run_id("zzzz")
