"""The store: read-only queries, clear errors, schema versions, Polars answers."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
import specrun
from core_helpers import SPECS, run_cli
from specrun.errors import StoreError
from specrun.store.connection import connect


@pytest.fixture
def store_with_run(tmp_path):
    path = tmp_path / "s.duckdb"
    result = specrun.run(
        str(SPECS / "quickstart_topics.yaml"),
        overrides=["data.rows=200", "model.epochs=2"],
        store=str(path),
        local=True,
    )
    assert result.status == "finished"
    return path, result.run_id


def test_query_returns_polars_and_refuses_writes(store_with_run):
    path, run_id = store_with_run
    store = specrun.open_store(str(path))
    df = store.query(
        "SELECT name, value FROM metrics WHERE run_id = ? AND split = 'eval'", [run_id]
    )
    assert isinstance(df, pl.DataFrame) and df.height > 0
    for sql in (
        "DELETE FROM runs",
        "DROP TABLE metrics",
        "INSERT INTO runs (run_id) VALUES ('x')",
        "UPDATE runs SET status = 'x'",
        "SELECT 1; DELETE FROM runs",
    ):
        with pytest.raises(StoreError, match="read-only"):
            store.query(sql)
    assert store.query("SELECT count(*) AS n FROM runs")["n"][0] == 1


def test_query_cli_formats_and_errors(store_with_run, tmp_path):
    path, run_id = store_with_run
    out = run_cli(
        "query", "SELECT run_id, status FROM runs", "--format", "csv", "--store", str(path)
    )
    assert out.returncode == 0 and f"{run_id},finished" in out.stdout
    out = run_cli("query", "SELECT * FROM runs", "--format", "json", "--store", str(path))
    assert out.returncode == 0 and '"status": "finished"' in out.stdout
    pq = tmp_path / "m.parquet"
    out = run_cli(
        "query",
        "SELECT * FROM metrics",
        "--format",
        "parquet",
        "--out",
        str(pq),
        "--store",
        str(path),
    )
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


def _spec(name: str = "w"):
    from specrun.spec import ResolvedSpec, spec_hash

    data = {"name": name, "seed": 1, "data": {"kind": "x"}, "model": {"kind": "y", "lr": 0.1}}
    return ResolvedSpec(path="<t>", text="", data=data, hash=spec_hash(data))


def test_batched_writes_keep_every_row_and_the_final_values(tmp_path):
    """Many runs written through one batch: each run's rows, its finish (inserted finished
    when it never hit the file running), updates to runs already written, and metrics_final
    holding the newest step of each metric even when an older step arrives later."""
    from specrun.store.connection import release_writes
    from specrun.store.writer import StoreWriter

    path = tmp_path / "s.duckdb"
    first = StoreWriter(path)
    first.create_run("early0000001", _spec("early"), "local")
    first.flush()  # in the file, running
    for i in range(30):
        w = StoreWriter(path)
        run_id = f"batch{i:07d}"
        w.create_run(run_id, _spec(f"b{i}"), "local")
        for step in range(5):
            w.log_metrics(run_id, "eval", {"acc": i + step / 10, "loss": 1.0 / (step + 1)}, step)
        w.update_run(run_id, trial_index=i)
        w.finish_run(run_id, "finished")
    first.log_metrics("early0000001", "eval", {"acc": 0.9}, 7)
    first.log_metrics("early0000001", "eval", {"acc": 0.1}, 3)  # older step, logged later
    first.update_run("early0000001", node_host="n1")
    first.finish_run("early0000001", "failed", "boom")
    release_writes()

    with duckdb.connect(str(path), read_only=True) as db:
        runs = db.execute(
            "SELECT run_id, status, trial_index, duration_s, node_host, error FROM runs ORDER BY run_id"
        ).fetchall()
        assert len(runs) == 31
        early = runs[-1]
        assert early[0] == "early0000001" and early[1] == "failed" and early[4] == "n1"
        assert early[5] == "boom" and early[3] is not None and early[3] >= 0
        assert all(r[1] == "finished" and r[2] == int(r[0][5:]) for r in runs[:-1])
        assert db.execute("SELECT count(*) FROM metrics").fetchone()[0] == 30 * 10 + 2
        assert db.execute("SELECT count(DISTINCT run_id) FROM params").fetchone()[0] == 31
        final = dict(
            db.execute(
                "SELECT run_id || '/' || name, value FROM metrics_final WHERE split = 'eval'"
            ).fetchall()
        )
        assert final["early0000001/acc"] == 0.9  # step 7 beats the later-logged step 3
        assert final["batch0000012/acc"] == pytest.approx(12.4)
        assert final["batch0000012/loss"] == pytest.approx(0.2)
        expected = dict(
            db.execute(
                "SELECT run_id || '/' || name, arg_max(value, step) FROM metrics GROUP BY ALL"
            ).fetchall()
        )
        assert final == expected


def test_a_store_without_metrics_final_gets_it_filled_from_its_history(tmp_path):
    import specrun.store.connection as connection
    from specrun.store.connection import release_writes
    from specrun.store.writer import StoreWriter

    path = tmp_path / "s.duckdb"
    w = StoreWriter(path)
    w.create_run("old000000001", _spec(), "local")
    for step, value in ((0, 0.2), (2, 0.7), (1, 0.5)):
        w.log_metrics("old000000001", "eval", {"acc": value}, step)
    w.finish_run("old000000001", "finished")
    release_writes()
    with duckdb.connect(str(path)) as db:  # as a store written before migration m003
        db.execute("DROP TABLE metrics_final")
        db.execute("DELETE FROM schema_migrations WHERE name = 'm003_metrics_final'")
    connection._checked.clear()
    StoreWriter(path).flush()  # nothing to write; opening for write migrates
    with connect(path, write=True):
        pass
    with duckdb.connect(str(path), read_only=True) as db:
        assert db.execute("SELECT step, value FROM metrics_final").fetchall() == [(2, 0.7)]
