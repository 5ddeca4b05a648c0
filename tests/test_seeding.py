"""Seeding by declaration: frameworks are seeded whether or not they were imported yet,
generators by purpose are stable across processes, and `rerun --check` says where a rerun
parts from its original."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from core_helpers import SPECS, run_cli
from specrun import Component, Params
from specrun.seeding import derive_seed, seed_frameworks


def _fresh(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_a_declared_framework_is_seeded_before_it_is_imported():
    # The bug this guards against: torch imported by a model factory *after* seeding drew
    # unseeded weights, so each fresh process started from other ones.
    code = (
        "import sys\nfrom specrun.seeding import seed_frameworks\nassert 'torch' not in sys.modules\n"
        "seed_frameworks(13, ['torch'])\nimport torch\nprint(torch.rand(3).tolist())"
    )
    first, second = _fresh(code), _fresh(code)
    assert first == second
    unseeded = _fresh("import torch\nprint(torch.rand(3).tolist())")
    assert unseeded != first


def test_generators_by_purpose_are_stable_across_processes_and_distinct():
    code = (
        "from specrun.seeding import numpy_generator, python_random\n"
        "print(numpy_generator(7, 'shuffle').integers(0, 10**9, 3).tolist(), "
        "python_random(7, 'negatives').random())"
    )
    assert _fresh(code) == _fresh(code)
    assert derive_seed(7, "shuffle") != derive_seed(7, "negatives") != derive_seed(8, "shuffle")
    assert 0 <= derive_seed(2**80, "x") < 2**63


def test_a_seeder_named_module_function_is_called_with_seed_and_flag():
    calls = []
    sys.modules[__name__].record = lambda seed, deterministic: calls.append((seed, deterministic))
    done = seed_frameworks(5, [f"{__name__}:record"], deterministic=True)
    assert calls == [(5, True)] and done[:2] == ["python", "numpy"]


def test_an_unknown_framework_is_an_error_for_the_plugin_author():
    with pytest.raises(ValueError, match="unknown framework 'tourch'.*known: jax, keras, numpy"):
        Component("model", "m", Params, "x:y", seeds=("tourch",))


def test_rerun_check_reports_where_a_changed_rerun_differs(tmp_path):
    store = str(tmp_path / "s.duckdb")
    spec = str(SPECS / "quickstart_topics.yaml")
    first = run_cli(
        "run",
        spec,
        "-o",
        "data.rows=150",
        "-o",
        "model.epochs=2",
        "--local",
        "-q",
        "--store",
        store,
    )
    assert first.returncode == 0, first.stderr
    run_id = first.stdout.split("run id:")[-1].split()[0]
    same = run_cli("rerun", run_id, "--check", "--local", "-q", "--store", store)
    assert same.returncode == 0, same.stderr
    assert f"matches {run_id}" in same.stdout and "same" in same.stdout
    changed = run_cli(
        "rerun", run_id, "--check", "--local", "-q", "-o", "model.lr=0.05", "--store", store
    )
    assert changed.returncode == 1
    assert re.search(
        rf"parts from {run_id}: \w+/\w+ at step 1: [0-9.]+ vs [0-9.]+ \(original vs rerun\)",
        changed.stderr,
    ), changed.stderr
    shown = run_cli("show", run_id, "--store", store)
    assert "(reproduced it)" in shown.stdout and "(differed: " in shown.stdout
