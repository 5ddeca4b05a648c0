"""`specrun ui` in a real browser (Debian's chromium, driven by Playwright) over a store of
real tiny runs: the page shows what the store holds, and a run that writes while the
page polls finishes normally and appears without a reload. The sweep page: test_ui_sweep.py.

Screenshots of every page go to $SPECRUN_UI_SHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest
from specrun.store.query import Store
from ui_testkit import (
    COUNTING,
    PLOT,
    ExamplePlugin,
    browsing,
    quickstart_runs,
    shot,
    table_rows,
    wait_until,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui-browser")
    store = base / "s.duckdb"
    plugin = ExamplePlugin(base / "example-plugin")
    ids = quickstart_runs(store)
    with browsing(store, base) as site:
        yield {**site, "ids": ids, "plugin": plugin}


def test_runs_table_filters_sorts_and_opens_a_run(site):
    page, store = site["page"], Store(site["store"])
    page.goto(site["url"] + "#/runs")
    page.wait_for_selector("#runs-table tbody tr")
    page.fill("#f-where", "model.lr<=0.1")
    page.fill("#f-sort", "eval/accuracy")
    page.press("#f-sort", "Enter")
    want = store.runs(where=["model.lr<=0.1"], sort="eval/accuracy", last=50)
    page.wait_for_function(
        "n => document.querySelectorAll('#runs-table tbody tr').length === n", arg=want.height
    )
    shown = page.eval_on_selector_all(
        "#runs-table tbody tr input.select", "bs => bs.map(b => b.dataset.run)"
    )
    assert shown == want["run_id"].to_list()
    assert page.inner_text("#range") == f"1–{want.height} of {want.height}"
    header = page.inner_text("#runs-table thead")
    assert "model.lr" in header and "eval/accuracy" in header
    shot(site, "runs-filtered")
    # clicking the sorted column's header flips the order (ascending)
    page.click("#runs-table th[data-col='eval/accuracy']")
    page.wait_for_function("() => location.hash.includes('sort=%2Beval')")
    asc = store.runs(where=["model.lr<=0.1"], sort="+eval/accuracy", last=50)["run_id"].to_list()
    wait_until(
        lambda: (
            page.eval_on_selector_all(
                "#runs-table tbody tr input.select", "bs => bs.map(b => b.dataset.run)"
            )
            == asc
        ),
        what="ascending order",
    )
    # a misspelt path: the CLI's message, with the closest name, in the page
    page.fill("#f-where", "model.lrr=0.1")
    page.press("#f-where", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert 'no run has a param model.lrr (did you mean "model.lr"?)' in page.inner_text("#error")
    shot(site, "runs-bad-filter")
    # open the best run from the table
    page.goto(site["url"] + "#/runs?sort=eval/accuracy")
    page.wait_for_selector("#runs-table tbody tr")
    best = store.runs(sort="eval/accuracy", last=1).row(0, named=True)
    page.click("#runs-table tbody tr:first-child td:nth-child(2) a")
    page.wait_for_selector("#charts .chart-card")
    assert best["run_id"] in page.inner_text("main")


def test_run_page_shows_metrics_spec_artifacts_samples_and_errors(site):
    page, store = site["page"], Store(site["store"])
    run_id = site["ids"][1]
    page.goto(site["url"] + f"#/run/{run_id}")
    page.wait_for_selector("#charts .chart-card")
    cards = page.eval_on_selector_all(
        "#charts .chart-card",
        "cs => cs.map(c => [c.dataset.metric, c.querySelector('svg').dataset.traces])",
    )
    assert dict(cards) == {"accuracy": "1", "macro_f1": "1", "loss": "1"}
    steps = page.get_attribute(
        "#charts .chart-card[data-metric='accuracy'] path.trace", "data-points"
    )
    final = store.final_metrics(run_id)
    acc = final.filter(pl.col("name") == "accuracy").row(0, named=True)
    assert int(steps) == acc["step"] + 1  # steps 0..last, one point each
    rows = {r[0]: r for r in table_rows(page, "final")}
    assert float(rows["eval/accuracy"][1]) == pytest.approx(acc["value"], abs=1e-3)
    assert "quickstart-topics" in page.inner_text("#spec-text")
    assert "lr: 0.1" in page.inner_text("#spec-resolved")
    samples = store.samples(run_id)
    last_step = samples["step"].max()
    assert len(table_rows(page, "samples")) == samples.filter(pl.col("step") == last_step).height
    names = [r[0] for r in table_rows(page, "artifacts")]
    assert names == store.artifacts(run_id)["name"].to_list()
    href = page.get_attribute("#artifacts a[download]", "href")
    got = page.request.get(site["url"].rstrip("/") + "/" + href)
    assert got.ok and len(got.body()) == store.artifacts(run_id)["bytes"][0]
    shot(site, "run")
    page.goto(site["url"] + f"#/run/{site['ids'][0]}")
    page.wait_for_selector(f".images img[alt='{PLOT}']")
    width = page.eval_on_selector(
        f".images img[alt='{PLOT}']", "img => img.complete && img.naturalWidth"
    )
    assert width == 480  # 8 inches at 60 dpi: the stored PNG, decoded by the browser
    failed = site["ids"][3]
    page.goto(site["url"] + f"#/run/{failed}")
    page.wait_for_selector("#run-error")
    assert "column 'nope'" in page.inner_text("#run-error")
    assert page.inner_text("h1 .status") == "failed"
    shot(site, "run-failed")
    page.goto(site["url"] + "#/run/nosuchrun")
    page.wait_for_selector("#error:not([hidden])")
    assert "no run 'nosuchrun'" in page.inner_text("#error")


def test_three_runs_compared(site):
    page, ids = site["page"], site["ids"][:3]
    page.goto(site["url"] + "#/runs?status=finished&name=quickstart*")
    page.wait_for_selector("#runs-table tbody tr")
    for run_id in ids:
        page.check(f"input.select[data-run='{run_id}']")
    assert page.inner_text("#selected-count") == "3 selected"
    page.click("#compare")
    page.wait_for_selector("#compare-chart svg path.trace")
    assert page.get_attribute("#compare-chart svg", "data-traces") == "3"
    diff = {r[0] for r in table_rows(page, "param-diff")}
    assert {"model.lr", "model.epochs"} <= diff and "model.features" not in diff
    metrics = {r[0] for r in table_rows(page, "metric-compare")}
    assert {"eval/accuracy", "eval/macro_f1", "train/loss"} <= metrics
    assert "-  lr: 0.5" in page.inner_text("#spec-diff") and "+  lr: 0.1" in page.inner_text(
        "#spec-diff"
    )
    page.select_option("#c-metric", "train/loss")
    page.wait_for_function(
        "() => document.querySelector('#compare-chart').innerText.includes('train/loss')"
    )
    page.check("#c-log")
    page.select_option("#c-x", "t")
    page.fill("#c-smooth", "0.6")
    page.dispatch_event("#c-smooth", "input")
    assert page.get_attribute("#compare-chart svg", "data-traces") == "3"
    assert "seconds since start" in page.inner_text("#compare-chart")
    shot(site, "compare")
    page.click("text=Samples side by side")
    page.wait_for_selector("#samples-table tbody tr")
    header = page.inner_text("#samples-table thead")
    assert header.count("mean correct") == 3
    shot(site, "samples")


def test_sql_box_reads_refuses_writes_and_downloads(site):
    page = site["page"]
    page.goto(site["url"] + "#/sql")
    page.fill(
        "#sql-text",
        "SELECT name, status FROM runs WHERE name = 'quickstart-topics' ORDER BY status",
    )
    page.click("#sql-run")
    page.wait_for_selector("#sql-grid tbody tr")
    assert [r[1] for r in table_rows(page, "sql-grid")] == [
        "failed",
        "finished",
        "finished",
        "finished",
    ]
    csv = page.request.get(site["url"].rstrip("/") + "/" + page.get_attribute("#dl-csv", "href"))
    assert csv.text().splitlines()[0] == "name,status" and len(csv.text().splitlines()) == 5
    shot(site, "sql")
    page.fill("#sql-text", "DROP TABLE runs")
    page.click("#sql-run")
    page.wait_for_selector("#error:not([hidden])")
    assert "queries are read-only" in page.inner_text("#error")  # `specrun query`'s sandbox


def test_a_run_writing_while_the_page_polls_finishes_and_shows_live(site):
    page, store = site["page"], Store(site["store"])
    env = site["plugin"].env()
    spec = site["base"] / "live.yaml"
    spec.write_text(COUNTING.format(steps=80, delay=0.1))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specrun.cli",
            "run",
            str(spec),
            "--local",
            "-q",
            "--store",
            str(site["store"]),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page.goto(site["url"] + "#/runs?name=live-*")
        page.wait_for_selector("#runs-table tbody tr .status.running")
        # the table follows the run: its step (and train/error, its only metric) move on
        progress = "#runs-table tbody tr:first-child td:nth-child(6)"
        page.wait_for_function(
            "sel => /^step \\d+$/.test(document.querySelector(sel).innerText)", arg=progress
        )
        seen = page.inner_text(progress)
        assert "train/error" in page.inner_text("#runs-table thead")
        wait_until(
            lambda: page.inner_text(progress) not in (seen, ""),
            timeout=30,
            what="the runs table to show a later step",
        )
        shot(site, "runs-live")
        page.click("#runs-table tbody tr:first-child td:nth-child(2) a")
        selector = "#charts .chart-card[data-metric='error'] path.trace"
        page.wait_for_selector(selector)
        first = int(page.get_attribute(selector, "data-points"))
        wait_until(
            lambda: int(page.get_attribute(selector, "data-points") or 0) > first,
            timeout=30,
            what="the chart to gain points",
        )
        shot(site, "run-live")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]  # the polling UI never blocked the writer
        page.wait_for_selector("h1 .status.finished")  # without a reload
        run_id = store.runs(name="live-*", last=1)["run_id"][0]
        points = store.metrics(run_id, "error").height
        wait_until(
            lambda: page.get_attribute(selector, "data-points") == str(points), what="every point"
        )
    finally:
        if proc.poll() is None:
            proc.kill()
