"""The sweep page in a real browser over a real ASHA sweep (Ray Tune, 3 trials): trials,
parallel coordinates with an axis per swept param, importance, every trial's curve with
the early-stopped ones marked, and the page following the sweep while it runs."""

from __future__ import annotations

import subprocess

import polars as pl
import pytest
from specrun.store.query import Store
from ui_testkit import browsing, shot, sweep_command, table_rows, wait_until


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui-sweep")
    store = base / "s.duckdb"
    sweep = subprocess.Popen(
        sweep_command(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until(
            lambda: store.exists() or sweep.poll() is not None,
            timeout=120,
            what="the sweep to create its store",
        )
        if not store.exists():
            raise AssertionError(
                f"the sweep exited {sweep.returncode}: {sweep.stderr.read()[-3000:]}"
            )
        with browsing(store, base) as site:
            yield {**site, "sweep": sweep}
    finally:
        if sweep.poll() is None:
            sweep.terminate()
            sweep.wait(30)


def test_sweep_page_shows_trials_parallel_coordinates_and_stopped_trials(site):
    page, store, sweep = site["page"], Store(site["store"]), site["sweep"]
    page.goto(site["url"] + "#/sweeps")
    # the sweep's row appears while it runs, without a reload of the list page
    page.wait_for_selector("#sweeps-table tbody tr a", timeout=120_000)
    page.click("#sweeps-table tbody tr a")
    page.wait_for_selector("#trials")
    out, err = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, err[-3000:]
    sweep_id = store.query("SELECT sweep_id FROM sweeps")["sweep_id"][0]
    trials = store.runs(sweep=sweep_id, last=0)
    stopped = trials.filter(pl.col("status") == "stopped").height
    wait_until(
        lambda: (
            len(table_rows(page, "trials")) == trials.height
            and "running" not in page.inner_text("#trials")
            # the header is refreshed by the same poll, but may land one poll later
            and page.inner_text("h1 .status") == "finished"
        ),
        timeout=30,
        what="every trial done and the sweep finished",
    )
    axes = page.eval_on_selector_all("#parallel .pc-axis", "as => as.map(a => a.dataset.param)")
    assert axes == ["model.features", "model.l2", "model.lr", "eval/accuracy"]
    assert len(page.query_selector_all("#parallel path.pc-line")) == trials.height

    assert len(page.query_selector_all("#importance .row")) == 3
    page.wait_for_selector("#trial-curves svg path.trace", state="attached")  # 1 point: no box
    assert page.get_attribute("#trial-curves svg", "data-traces") == str(trials.height)
    assert len(page.query_selector_all("#trial-curves .end-mark")) == stopped
    best = store.query(f"SELECT best_value FROM sweeps WHERE sweep_id = '{sweep_id}'")[
        "best_value"
    ][0]
    points = page.eval_on_selector("#best-so-far svg", "s => s.dataset.traces")
    assert points == "2" and f"{best:.4g}"[:4] in page.inner_text("main")
    shot(site, "sweep")
