"""show, compare, diff, plot, samples and report over real quickstart runs."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import duckdb
import polars as pl
import pytest
import specrun
from click.testing import CliRunner
from specrun.cli import cli
from specrun.history import (
    compare_metrics,
    differing_params,
    metric_series,
    resolve_runs,
    run_details,
    samples_side_by_side,
)
from specrun.history.plot import series_with_labels
from test_history_support import grid_run, grid_store

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def grid(tmp_path):
    path = grid_store(tmp_path)
    return path, specrun.open_store(str(path))


def make_sweep(path, run_ids, sweep_id="swp0a1b2c3d4", metric="accuracy", mode="max"):
    """Group runs as the trials of one sweep, the way the sweep runner records them."""
    db = duckdb.connect(str(path))
    db.execute("UPDATE runs SET sweep_id = ? WHERE list_contains(?, run_id)", [sweep_id, run_ids])
    db.execute(
        """INSERT INTO sweeps (sweep_id, name, status, created_at, metric, mode, num_samples)
                  VALUES (?, 'quickstart-topics', 'finished', now(), ?, ?, ?)""",
        [sweep_id, metric, mode, len(run_ids)],
    )
    db.close()
    return sweep_id


def test_show_gives_final_and_best_metrics_and_json(grid):
    path, store = grid
    run_id = grid_run(path, 0.5, 3, 1)
    details = run_details(store, run_id[:6])
    final = {f"{r['split']}/{r['name']}": r["value"] for r in details.final.iter_rows(named=True)}
    raw = store.query(
        "SELECT split || '/' || name AS m, step, value FROM metrics WHERE run_id = ?", [run_id]
    )
    for metric, value in final.items():
        rows = raw.filter(pl.col("m") == metric)
        assert value == rows.filter(pl.col("step") == rows["step"].max())["value"][-1]
    best = {f"{r['split']}/{r['name']}": r for r in details.best.iter_rows(named=True)}
    assert (
        best["eval/accuracy"]["value"] == raw.filter(pl.col("m") == "eval/accuracy")["value"].max()
    )
    assert best["train/loss"]["direction"] == "min"
    assert best["train/loss"]["value"] == raw.filter(pl.col("m") == "train/loss")["value"].min()

    out = invoke("show", run_id, "--json", "--store", str(path))
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert data["run"]["run_id"] == run_id and data["run"]["status"] == "finished"
    assert data["params"]["model.lr"] == 0.5 and data["params"]["model.epochs"] == 3
    assert data["metrics"]["final"]["eval/accuracy"]["value"] == final["eval/accuracy"]
    assert data["run"]["spec_resolved"]["model"]["lr"] == 0.5
    assert data["environment"]["python"] and data["artifacts"] and data["samples"]

    text = invoke("show", run_id, "--store", str(path)).output
    for needle in (
        run_id,
        "finished",
        "resolved spec",
        "lr: 0.5",
        "eval",
        "accuracy",
        "environment",
        "model/bow_softmax.npz",
        "samples",
    ):
        assert needle in text


def test_compare_lists_only_params_that_differ(grid):
    path, store = grid
    a, b = grid_run(path, 0.1, 2, 1), grid_run(path, 0.5, 2, 1)
    diff = differing_params(store, [a, b])
    assert diff["path"].to_list() == ["model.lr"]
    assert diff.row(0) == ("model.lr", "0.1", "0.5")
    metrics = compare_metrics(store, [a, b])
    assert metrics.columns == ["metric", a, b]
    assert set(metrics["metric"]) == {"eval/accuracy", "eval/macro_f1", "train/loss"}
    assert metrics.filter(pl.col("metric") == "eval/accuracy").row(0)[1:] != (None, None)

    out = invoke("compare", a, b, grid_run(path, 0.5, 3, 2), "--store", str(path))
    assert out.exit_code == 0
    assert all(p in out.output for p in ("model.lr", "model.epochs", "seed", "eval/accuracy"))
    assert "data.rows" not in out.output  # equal everywhere
    data = json.loads(invoke("compare", a, b, "--json", "--store", str(path)).output)
    assert [p["path"] for p in data["params"]] == ["model.lr"]


def test_diff_is_a_unified_diff_of_canonical_yaml(grid):
    path, _ = grid
    a, b = grid_run(path, 0.1, 2, 1), grid_run(path, 0.5, 3, 1)
    out = invoke("diff", a, b, "--store", str(path))
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert lines[0].startswith(f"--- {a}") and lines[1].startswith(f"+++ {b}")
    changed = sorted(line for line in lines[2:] if line[:1] in "+-")
    assert changed == ["+  epochs: 3", "+  lr: 0.5", "-  epochs: 2", "-  lr: 0.1"]
    same = invoke("diff", a, a, "--store", str(path))
    assert "identical" in same.output


def test_plot_writes_a_png_with_one_line_per_run_and_expands_a_sweep(grid, tmp_path):
    path, store = grid
    trials = [grid_run(path, 0.1, e, s) for e in (2, 3) for s in (1, 2)]
    sweep_id = make_sweep(path, trials)
    assert resolve_runs(store, [sweep_id[:6]]) == sorted(trials, key=lambda r: trials.index(r))
    series = series_with_labels(store, resolve_runs(store, [sweep_id]), "eval/accuracy")
    assert series["label"].n_unique() == 4  # epochs and seed tell the trials apart
    assert all("epochs=" in label and "seed=" in label for label in series["label"].unique())

    out_file = tmp_path / "acc.png"
    out = invoke("plot", sweep_id, "-m", "accuracy", "--out", str(out_file), "--store", str(path))
    assert out.exit_code == 0, out.output
    data = out_file.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (880, 528)


def test_plot_of_a_metric_no_run_has_names_the_ones_that_exist(grid, tmp_path):
    path, store = grid
    run_id = grid_run(path, 0.1, 2, 1)
    out = invoke(
        "plot", run_id, "-m", "bleu", "--out", str(tmp_path / "x.png"), "--store", str(path)
    )
    assert out.exit_code == 2
    assert "no metric 'bleu'" in out.output and "eval/accuracy" in out.output
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(specrun.StoreError, match="train/loss"):
        metric_series(store, [run_id], "test/accuracy")


def test_samples_side_by_side_align_on_the_input(grid):
    path, store = grid
    a, b = grid_run(path, 0.1, 2, 1), grid_run(path, 0.5, 3, 1)  # same seed: the same eval rows
    frame = samples_side_by_side(store, [a, b], limit=6)
    assert frame.columns == ["split", "input", "reference", a, b] and frame.height == 6
    assert frame[a].null_count() == 0 and frame[b].null_count() == 0
    stored = store.query(
        """SELECT input, output FROM samples WHERE run_id = ?
           AND step = (SELECT max(step) FROM samples WHERE run_id = ?)""",
        [b, b],
    )
    outputs = dict(zip(stored["input"], stored["output"], strict=True))
    assert all(outputs[i] == o for i, o in zip(frame["input"], frame[b], strict=True))

    c = grid_run(path, 0.5, 3, 2)  # another seed: other eval rows, not paired by index
    mixed = samples_side_by_side(store, [a, c], limit=50)
    assert mixed[a].null_count() > 0 and mixed[c].null_count() > 0
    out = invoke("samples", a, b, "--limit", "3", "--store", str(path))
    assert out.exit_code == 0 and frame["input"][0] in out.output


class _Checker(HTMLParser):
    """Fails on unbalanced tags: a cheap well-formedness check of our own HTML."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.images = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def test_report_of_a_sweep_is_one_self_contained_page(grid, tmp_path):
    path, store = grid
    trials = [grid_run(path, lr, 2, 1) for lr in (0.1, 0.5)]
    sweep_id = make_sweep(path, trials)
    db = duckdb.connect(str(path))  # user text with markup must come out escaped
    db.execute(
        "UPDATE samples SET input = '<script>alert(1)</script> ' || input WHERE run_id = ?",
        [trials[0]],
    )
    db.close()
    out_file = tmp_path / "report.html"
    out = invoke("report", sweep_id, "--out", str(out_file), "--store", str(path))
    assert out.exit_code == 0, out.output
    page = out_file.read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(page)
    assert checker.stack == []
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)  # nothing outside the file
    assert len(checker.images) == 3  # eval/accuracy, eval/macro_f1, train/loss
    for img in checker.images:
        assert base64.b64decode(img["src"].split(",", 1)[1]).startswith(PNG_MAGIC)
    for needle in (sweep_id, *trials, "Params that differ", "model.lr", "eval/accuracy", "Samples"):
        assert needle in page
    best = compare_metrics(store, trials).filter(pl.col("metric") == "eval/accuracy").row(0)[1:]
    assert f'class="num best">{max(best):.6g}<' in page

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:  # a real browser renders it from disk
        shot = tmp_path / "shot.png"
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--screenshot={shot}",
                "--window-size=1200,1600",
                out_file.as_uri(),
            ],
            capture_output=True,
            timeout=120,
        )
        assert shot.read_bytes().startswith(PNG_MAGIC)


def test_report_of_one_run_has_its_spec_environment_and_artifacts(grid, tmp_path):
    path, store = grid
    run_id = grid_run(path, 0.5, 2, 2)
    out_file = tmp_path / "one.html"
    assert invoke("report", run_id, "--out", str(out_file), "--store", str(path)).exit_code == 0
    page = out_file.read_text(encoding="utf-8")
    for needle in (
        "Resolved spec",
        "Environment",
        "Artifacts",
        "model/bow_softmax.npz",
        "Params",
        "lr: 0.5",
    ):
        assert needle in page
