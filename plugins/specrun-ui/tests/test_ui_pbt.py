"""PBT's lineage on the sweep page, over a real PBT sweep: two trials of the core numpy
model, the weak one replaced by a copy of the strong one's model at the first perturbation
point. The page must join the copy's curve to the run it copied, from the copied step."""

from __future__ import annotations

import subprocess
import sys

import pytest
from specrun.store.query import Store
from ui_testkit import browsing, shot, table_rows

# The smallest PBT that exploits for sure: synchronous (both trials wait at step 2), a grid
# of one strong and one weak learning rate, the bottom half (one trial) replaced by the top.
PBT = """\
name: ui-pbt
seed: 3
data: {kind: generated_topics, rows: 200, noise: 0.3, split: {eval: 0.25, stratify: label}}
model: {kind: bow_softmax, epochs: 4, features: 256}
metrics: [{kind: accuracy}]
resources: {cpus: 1}
sweep:
  metric: accuracy
  mode: max
  search: grid
  scheduler:
    pbt: {perturbation_interval: 2, quantile_fraction: 0.5, resample_probability: 0.0, synch: true}
  space:
    model.lr: {grid: [1.0, 0.002]}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui-pbt")
    store, spec = base / "s.duckdb", base / "pbt.yaml"
    spec.write_text(PBT)
    done = subprocess.run(
        [sys.executable, "-m", "specrun.cli", "run", str(spec), "--store", str(store), "-q"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with browsing(store, base) as site:
        yield site


def test_sweep_page_draws_a_pbt_copy_from_the_run_it_copied(site):
    page, store = site["page"], Store(site["store"])
    sweep_id = store.query("SELECT sweep_id FROM sweeps")["sweep_id"][0]
    runs = store.query(
        "SELECT run_id, trial_index, parent_id, status, error FROM runs WHERE sweep_id = ?"
        " ORDER BY created_at",
        [sweep_id],
    ).to_dicts()
    by_id = {r["run_id"]: r for r in runs}
    copies = [
        r
        for r in runs
        if r["parent_id"] in by_id and by_id[r["parent_id"]]["trial_index"] != r["trial_index"]
    ]
    assert copies, f"PBT never exploited: {[(r['trial_index'], r['status']) for r in runs]}"
    replaced = [r for r in runs if r["status"] == "stopped"]
    assert replaced and all("replaced by the pbt scheduler" in r["error"] for r in replaced)

    page.goto(f"{site['url']}#/sweep/{sweep_id}")
    page.wait_for_selector("#trial-curves svg path.trace", state="attached")
    # the trials table names each copy's parent, the run it copied
    rows = {r[1][:6]: r for r in table_rows(page, "trials")}
    assert len(rows) == len(runs)
    for copy in copies:
        assert rows[copy["run_id"][:6]][3] == copy["parent_id"][:6]
    assert page.get_attribute("#trial-curves svg", "data-traces") == str(len(runs))
    # one dashed connector per copy, on the copy's trace, from the copied step to its first
    lineage = page.eval_on_selector_all(
        "#trial-curves path.lineage",
        "ps => ps.map(p => [p.dataset.label, +p.dataset.fromStep, +p.dataset.toStep])",
    )
    expected = []
    for copy in copies:
        first = int(store.metrics(copy["run_id"], "accuracy")["step"].min())
        donor_steps = store.metrics(copy["parent_id"], "accuracy")["step"].to_list()
        copied = max(s for s in donor_steps if s < first)
        expected.append([f"trial {copy['trial_index']} ({copy['run_id'][:6]})", copied, first])
    assert sorted(lineage) == sorted(expected)
    assert all(to > frm for _, frm, to in lineage)  # the copy goes on after the copied step
    # the run PBT replaced ends in an x
    assert len(page.query_selector_all("#trial-curves .end-mark")) == len(replaced)
    shot(site, "sweep-pbt")
