"""Unbounded text (issue 16, item 8): errors and echoed values are cut, and `specrun show`
and `specrun runs` read only what they print, whatever a run holds."""

from __future__ import annotations

import json

from core_helpers import run_cli, write_spec
from specrun.store.connection import connect

BIG = 20 << 20  # 20 MB of one value; main printed such values whole (and took minutes)


def test_show_and_runs_print_little_of_huge_values(tmp_path):
    path = tmp_path / "s.duckdb"
    huge = "x" * BIG
    spec = json.dumps({"name": "big", "description": huge, "seed": 1, "data": {"kind": "table"}})
    with connect(path, write=True) as db:
        db.execute(
            """INSERT INTO runs (run_id, name, status, created_at, description, spec_text,
                          spec_resolved, error, traceback, tags)
                      VALUES ('r1', 'big', 'failed', now(), ?, ?, ?, ?, ?, ['t'])""",
            [huge, huge, spec, "DataError: " + huge, huge],
        )
        db.execute(
            """INSERT INTO params (run_id, path, type, value_json)
                      VALUES ('r1', 'description', 'str', to_json(?::VARCHAR))""",
            [huge],
        )
        db.execute(
            """INSERT INTO samples (run_id, split, step, idx, input, reference, output)
                      VALUES ('r1', 'eval', 1, 0, ?, 'ref', ?)""",
            [huge, huge],
        )
    for args in (("show", "r1"), ("show", "r1", "--params"), ("runs",)):
        out = run_cli(*args, "--store", str(path), timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert len(out.stdout) + len(out.stderr) < 60_000, (args, len(out.stdout), len(out.stderr))
        if args[0] == "show":
            assert "more characters" in out.stdout
    # the JSON form is for scripts, and gives everything
    out = run_cli("show", "r1", "--json", "--store", str(path), timeout=120)
    assert out.returncode == 0 and len(json.loads(out.stdout)["run"]["error"]) == BIG + len(
        "DataError: "
    )


def test_a_huge_one_line_csv_error_is_cut(tmp_path):
    data = tmp_path / "wide.csv"
    data.write_text("a" * (5 << 20) + "\n", encoding="utf-8")  # one 5 MB column name, no rows
    spec = write_spec(
        tmp_path,
        f"name: wide\ndata: {{kind: table, path: {data}, require: [label]}}\n"
        "model: {kind: bow_softmax}\n",
    )
    store = tmp_path / "s.duckdb"
    out = run_cli("run", str(spec), "--local", "--store", str(store), timeout=300)
    assert out.returncode == 2 and "label" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stdout) + len(out.stderr) < 20_000, len(out.stderr)
    if store.exists():
        with connect(store, write=False) as db:
            rows = db.execute("SELECT length(error) FROM runs").fetchall()
        assert all(n is None or n < 10_000 for (n,) in rows), rows
