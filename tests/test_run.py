"""Running specs in-process: learning happens and the store holds what the run did."""

from __future__ import annotations

import hashlib
import json

import specrun
from core_helpers import SPECS, run_cli, write_spec

QUICK = str(SPECS / "quickstart_topics.yaml")


def test_quickstart_learns_and_is_recorded(tmp_path):
    store_file = tmp_path / "s.duckdb"
    result = specrun.run(
        QUICK, overrides=["data.rows=300", "model.epochs=3"], store=str(store_file), local=True
    )
    assert result.status == "finished", result.error
    store = specrun.open_store(str(store_file))
    run = store.run(result.run_id)
    assert run["status"] == "finished" and run["name"] == "quickstart-topics"
    assert run["seed"] == 7 and len(run["spec_hash"]) == 64 and len(run["data_fingerprint"]) == 64
    assert "kind: generated_topics" in run["spec_text"]
    assert json.loads(run["spec_resolved"])["model"]["epochs"] == 3
    assert run["overrides"] == ["data.rows=300", "model.epochs=3"]
    assert run["duration_s"] > 0 and run["ended_at"] is not None

    acc = store.metrics(result.run_id, "accuracy").filter(split="eval")
    assert acc["step"].to_list()[:4] == [0, 1, 2, 3]
    before, after = acc["value"][0], acc["value"][-1]
    assert after > before + 0.3, f"no learning: accuracy {before:.3f} -> {after:.3f}"
    loss = store.metrics(result.run_id, "loss")["value"].to_list()
    assert loss[-1] < loss[0]

    # params keep their real types: a float compares as a float in SQL
    hits = store.query(
        "SELECT path FROM params WHERE run_id = ? AND type = 'float' AND value_num > 0.1 ORDER BY path",
        [result.run_id],
    )["path"].to_list()
    assert "model.lr" in hits and "data.noise" in hits
    ints = store.query(
        "SELECT value_int FROM params WHERE run_id = ? AND path = 'model.epochs'", [result.run_id]
    )
    assert ints["value_int"][0] == 3

    arts = store.artifacts(result.run_id)
    assert set(arts["name"]) == {
        "model/bow_softmax.npz",
        "model/params.json",
        "model/specrun_model.json",
    }
    for row in arts.iter_rows(named=True):
        data = (store.artifact_root / row["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == row["bytes"]

    samples = store.samples(result.run_id)
    assert (
        samples.height > 0
        and samples["input"][0]
        and samples["reference"][0] in {"sports", "economy", "politics", "science"}
    )
    env = store.environment(result.run_id).row(0, named=True)
    assert env["python"].startswith("3.") and "specrun" in json.loads(env["packages"])
    assert json.loads(run["plugin_versions"])["builtins"].startswith("specrun ")


def test_same_seed_same_metrics_to_the_last_digit(tmp_path):
    store_file = str(tmp_path / "s.duckdb")
    a = specrun.run(
        QUICK, overrides=["data.rows=200", "model.epochs=2"], store=store_file, local=True
    )
    b = specrun.run(
        QUICK, overrides=["data.rows=200", "model.epochs=2"], store=store_file, local=True
    )
    c = specrun.run(
        QUICK, overrides=["data.rows=200", "model.epochs=2", "seed=8"], store=store_file, local=True
    )
    assert a.metrics == b.metrics
    assert a.metrics != c.metrics
    store = specrun.open_store(store_file)
    fp = store.query("SELECT run_id, data_fingerprint FROM runs").to_dicts()
    by_run = {r["run_id"]: r["data_fingerprint"] for r in fp}
    assert by_run[a.run_id] == by_run[b.run_id] != by_run[c.run_id]


def test_table_data_from_files_and_sql(tmp_path):
    rows = ["text,label"] + [
        f"{'축구 골 경기' if i % 2 else '주가 금리 시장'} {i},{'sports' if i % 2 else 'economy'}"
        for i in range(120)
    ]
    (tmp_path / "rows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = write_spec(
        tmp_path,
        """\
name: table-run
data:
  kind: table
  path: rows.csv
  split: {eval: 0.25, stratify: label}
model: {kind: bow_softmax, epochs: 3}
metrics: [{kind: accuracy}]
""",
    )
    result = specrun.run(str(spec), store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "finished", result.error
    assert result.metrics["eval/accuracy"] == 1.0
    sql = write_spec(
        tmp_path,
        f"""\
name: sql-run
data:
  kind: sql
  query: "SELECT text, label FROM read_csv('{tmp_path}/rows.csv') WHERE label = 'sports' OR text LIKE '%1%'"
model: {{kind: bow_softmax, epochs: 2}}
metrics: [{{kind: accuracy}}]
""",
        "sql.yaml",
    )
    result = specrun.run(str(sql), store=str(tmp_path / "s.duckdb"), local=True)
    assert result.status == "finished", result.error


def test_missing_column_fails_clearly_and_is_recorded(tmp_path):
    (tmp_path / "rows.csv").write_text("sentence,label\na,x\nb,y\nc,x\nd,y\n")
    spec = write_spec(
        tmp_path, "name: t\ndata: {kind: table, path: rows.csv}\nmodel: {kind: bow_softmax}\n"
    )
    # A table's header is read by validate: the missing column is a spec error, at its line.
    out = run_cli("validate", str(spec))
    assert (
        out.returncode == 2
        and "spec.yaml:3:" in out.stderr
        and "model.text: column 'text' is not in" in out.stderr
    )
    # A query's columns are known only when it runs: the run fails clearly and is recorded.
    spec = write_spec(
        tmp_path,
        f"name: t\ndata: {{kind: sql, query: \"SELECT * FROM read_csv('{tmp_path}/rows.csv')\"}}\n"
        "model: {kind: bow_softmax}\n",
    )
    out = run_cli("run", str(spec), "--local", "--store", str(tmp_path / "s.duckdb"))
    assert out.returncode == 2, out.stderr
    assert "column 'text' is not in the train split" in out.stderr and "Traceback" not in out.stderr
    store = specrun.open_store(str(tmp_path / "s.duckdb"))
    row = store.runs().row(0, named=True)
    assert row["status"] == "failed" and "column 'text'" in row["error"]
