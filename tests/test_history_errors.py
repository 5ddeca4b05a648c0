"""Bad input to the history commands: one clear message and exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
import specrun
from click.testing import CliRunner
from core_helpers import run_cli
from specrun.cli import cli
from specrun.history import resolve_runs
from specrun.spec import load_spec
from specrun.store.writer import StoreWriter
from test_history_support import QUICKSTART, grid_run, grid_store


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_unknown_run_and_ambiguous_prefix(tmp_path):
    path = grid_store(tmp_path)
    run_id = grid_run(path, 0.1, 2, 1)
    for command in (
        ["show", "nope"],
        ["compare", run_id, "nope"],
        ["diff", run_id, "nope"],
        ["plot", "nope", "-m", "accuracy"],
        ["report", "nope"],
        ["samples", "nope"],
        ["rerun", "nope"],
        ["export", "nope", "--to", "parquet", str(tmp_path / "x")],
        ["rm", "nope", "--yes"],
    ):
        out = invoke(*command, "--store", str(path))
        assert out.exit_code == 2, command
        assert "no run" in out.output and "'nope'" in out.output, command
    # A second run whose id shares the first 6 characters of another: a prefix of 6 is ambiguous.
    twin = run_id[:6] + ("0" if run_id[6] != "0" else "1") * 6  # differs from the 7th character on
    db = duckdb.connect(str(path))
    db.execute(
        "INSERT INTO runs SELECT * REPLACE (? AS run_id) FROM runs WHERE run_id = ?", [twin, run_id]
    )
    db.close()
    out = invoke("show", run_id[:6], "--store", str(path))
    assert (
        out.exit_code == 2
        and "ambiguous" in out.output
        and run_id in out.output
        and twin in out.output
    )
    assert resolve_runs(specrun.open_store(str(path)), [run_id[:7]]) == [
        run_id
    ]  # one more character will do


def test_a_run_still_in_flight_is_shown_as_running(tmp_path):
    path = tmp_path / "s.duckdb"
    spec = load_spec(str(QUICKSTART), ["data.rows=200"])
    writer = StoreWriter(path)  # a driver that has started a run and logged two steps so far
    writer.create_run("inflight0001", spec, "local", env={"python": "3.11"})
    for step in (1, 2):
        writer.log_metrics("inflight0001", "eval", {"accuracy": 0.2 * step}, step)
    writer.flush()

    out = invoke("show", "inflight", "--store", str(path))
    assert out.exit_code == 0 and "running" in out.output and "running for" in out.output
    data = json.loads(invoke("show", "inflight0001", "--json", "--store", str(path)).output)
    assert data["run"]["status"] == "running" and data["run"]["ended_at"] is None
    assert data["metrics"]["final"]["eval/accuracy"] == {"value": 0.4, "step": 2}
    assert invoke("compare", "inflight0001", "inflight0001", "--store", str(path)).exit_code == 0
    assert (
        invoke(
            "plot",
            "inflight0001",
            "-m",
            "accuracy",
            "--out",
            str(tmp_path / "p.png"),
            "--store",
            str(path),
        ).exit_code
        == 0
    )
    assert invoke("samples", "inflight0001", "--store", str(path)).exit_code == 0
    report = tmp_path / "r.html"
    assert (
        invoke("report", "inflight0001", "--out", str(report), "--store", str(path)).exit_code == 0
    )
    assert "still running" in report.read_text(encoding="utf-8")
    nothing = invoke(
        "plot", "inflight0001", "-m", "loss", "--out", str(tmp_path / "q.png"), "--store", str(path)
    )
    assert nothing.exit_code == 2 and "metrics logged: eval/accuracy" in nothing.output


def test_a_store_that_does_not_exist_is_a_clear_error_and_is_not_created(tmp_path):
    missing = tmp_path / "nowhere" / "s.duckdb"
    for command in (["show", "x"], ["compare", "x"], ["report", "x"], ["gc"]):
        out = run_cli(*command, "--store", str(missing))
        assert out.returncode == 2, (command, out.stderr)
        assert "no run store at" in out.stderr and "Traceback" not in out.stderr
    assert not missing.exists() and not missing.parent.exists()


def test_a_store_from_a_newer_schema_asks_to_upgrade(tmp_path):
    path = grid_store(tmp_path)
    db = duckdb.connect(str(path))
    db.execute("INSERT INTO schema_migrations (id, name) VALUES (999, 'm999_from_the_future')")
    db.close()
    out = run_cli("show", "x", "--store", str(path))
    assert out.returncode == 2 and "newer specrun" in out.stderr and "upgrade" in out.stderr
    assert "m999_from_the_future" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("module", ["specrun.history.commands"])
def test_the_commands_module_imports_nothing_heavy(module):
    """`specrun --help` loads it: polars, matplotlib, mlflow and frameworks wait for a command."""
    heavy = ("polars", "matplotlib", "mlflow", "torch", "tensorflow", "ray", "duckdb")
    code = (
        f"import sys; import specrun.cli; before = set(sys.modules); import {module}; "
        f"print([m for m in {heavy!r} if m in sys.modules and m not in before])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {module}; print(sorted(m for m in {heavy!r} if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not {"polars", "matplotlib", "mlflow", "torch", "tensorflow", "ray"} & set(
        json.loads(loaded.stdout.replace("'", '"'))
    )


def test_a_failed_run_is_shown_with_its_error_and_can_be_rerun_fixed(tmp_path):
    path = tmp_path / "s.duckdb"
    failed = specrun.run(
        str(QUICKSTART), overrides=["data.rows=200", "model.text=nope"], store=str(path), local=True
    )
    assert failed.status == "failed"
    out = invoke("show", failed.run_id, "--store", str(path))
    assert out.exit_code == 0 and "failed" in out.output and "column 'nope'" in out.output
    report = tmp_path / "r.html"
    assert (
        invoke("report", failed.run_id, "--out", str(report), "--store", str(path)).exit_code == 0
    )
    page = report.read_text(encoding="utf-8")
    assert "<h2>Error</h2>" in page and "column &#x27;nope&#x27;" in page
    fixed = invoke(
        "rerun", failed.run_id, "-o", "model.text=text", "--local", "-q", "--store", str(path)
    )
    assert fixed.exit_code == 0, fixed.output
    runs = specrun.open_store(str(path)).query(
        "SELECT status, parent_id FROM runs ORDER BY created_at"
    )
    assert runs.rows() == [("failed", None), ("finished", failed.run_id)]
