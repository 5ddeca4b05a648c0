"""`specrun query` is read-only by construction (issue 16, item 7): no statement form can
write a file, open one, load an extension or change a setting; reads of the store work."""

from __future__ import annotations

import json

import polars as pl
import pytest
import specrun
from core_helpers import run_cli
from specrun.errors import StoreError
from specrun.store.connection import connect


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.duckdb"
    with connect(path, write=True) as db:
        db.execute("""INSERT INTO runs (run_id, name, status, created_at, tags, seed)
                      VALUES ('r1', 'one', 'finished', now(), ['a', 'b'], 7),
                             ('r2', 'two', 'failed', now(), NULL, 8)""")
        db.execute("""INSERT INTO artifacts (run_id, name, path, sha256, bytes, created_at)
                      VALUES ('r1', 'model.txt', 'r1/model.txt', 'abc', 5, now())""")
    art = path.parent / "s_artifacts" / "r1" / "model.txt"
    art.parent.mkdir(parents=True)
    art.write_text("model", encoding="utf-8")
    return path, art


HARMFUL = [
    "EXPLAIN ANALYZE COPY (SELECT 'pwned') TO '{art}'",
    "COPY (SELECT 'pwned') TO '{art}'",
    "COPY runs TO '{tmp}/runs.csv'",
    "EXPORT DATABASE '{tmp}/exported'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "ATTACH ':memory:' AS m; CREATE TABLE m.t AS SELECT 1; COPY m.t TO '{tmp}/m.csv'",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM glob('{tmp}/*')",
    "INSTALL httpfs",
    "LOAD '{tmp}/evil.duckdb_extension'",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "SET threads = 1",
    "PRAGMA enable_profiling",
    "SET profiling_output = '{tmp}/profile.json'",
    "DELETE FROM runs",
    "UPDATE artifacts SET sha256 = 'x'",
    "CREATE TABLE t (a INT)",
    "DROP TABLE runs",
    "CHECKPOINT store",
]


def test_no_statement_writes_a_file_or_changes_a_setting(store, tmp_path):
    path, art = store
    secret = tmp_path / "secret.txt"
    secret.write_text("password,hunter2\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    st = specrun.open_store(str(path))
    for template in HARMFUL:
        sql = template.format(art=art, tmp=tmp_path, secret=secret)
        try:
            got = st.query(sql)
        except StoreError as exc:
            assert "hunter2" not in str(exc)
            continue
        # What runs without an error (CHECKPOINT of a read-only database) must do no harm.
        assert "hunter2" not in str(got), sql
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".wal"}
    assert after == {p: b for p, b in before.items() if p.suffix != ".wal"}
    assert art.read_text(encoding="utf-8") == "model"
    assert st.query("SELECT current_setting('enable_external_access') AS v")["v"][0] is False
    assert st.query("SELECT count(*) AS n FROM runs")["n"][0] == 2


def test_copy_to_an_artifact_is_refused_across_processes(store):
    path, art = store
    out = run_cli(
        "query", f"EXPLAIN ANALYZE COPY (SELECT 'pwned') TO '{art}'", "--store", str(path)
    )
    assert out.returncode == 2 and "read-only" in out.stderr and "Traceback" not in out.stderr
    assert art.read_text(encoding="utf-8") == "model"


def test_legitimate_reads_still_work(store):
    path, _ = store
    st = specrun.open_store(str(path))
    assert st.query("SELECT name FROM runs WHERE seed = ?", [7])["name"].to_list() == ["one"]
    assert "runs" in st.query("SHOW TABLES")["name"].to_list()
    assert "tags" in st.query("DESCRIBE runs")["column_name"].to_list()
    assert st.query("SUMMARIZE runs").height > 0
    assert "sha256" in st.query("PRAGMA table_info('artifacts')")["name"].to_list()
    assert "runs" in st.query("SELECT table_name FROM duckdb_tables()")["table_name"].to_list()
    assert st.query("WITH r AS (SELECT * FROM runs) SELECT count(*) AS n FROM r")["n"][0] == 2
    assert st.query("EXPLAIN SELECT * FROM runs").height > 0
    assert st.query("SELECT * FROM metrics").height == 0
    # a temporary table lives in the query's own memory and dies with it
    assert st.query("CREATE TEMP TABLE t AS SELECT 1 AS a; SELECT a FROM t")["a"][0] == 1


def test_duplicate_column_names_are_made_unique(store):
    path, _ = store
    df = specrun.open_store(str(path)).query("SELECT 1 AS a, 2 AS a, 3 AS a")
    assert df.columns == ["a", "a_1", "a_2"] and df.row(0) == (1, 2, 3)
    df = specrun.open_store(str(path)).query(
        "SELECT r.run_id, a.run_id, tags FROM runs r JOIN artifacts a USING (run_id)"
    )
    assert df.columns == ["run_id", "run_id_1", "tags"]  # a list column: the Arrow path
    out = run_cli("query", "select 1 as a, 2 as a", "--store", str(path))
    assert out.returncode == 0 and "DuplicateError" not in out.stderr and "a_1" in out.stdout


def test_csv_holds_nested_columns_as_json(store):
    path, _ = store
    out = run_cli(
        "query",
        "SELECT run_id, tags, {'x': 1} AS s FROM runs ORDER BY run_id",
        "--format",
        "csv",
        "--store",
        str(path),
    )
    assert out.returncode == 0, out.stderr
    rows = pl.read_csv(out.stdout.encode())
    assert rows["run_id"].to_list() == ["r1", "r2"]
    assert json.loads(rows["tags"][0]) == ["a", "b"] and rows["tags"][1] is None
    assert json.loads(rows["s"][0]) == {"x": 1}
