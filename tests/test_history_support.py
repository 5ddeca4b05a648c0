"""Shared setup of the run-history tests (named test_history_* to sit with them; it holds
no test). Real quickstart runs cost seconds each on a loaded machine, so the grid of runs
is made once per session and every test gets its own copy of the store to read or change.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import shutil
import tempfile
from pathlib import Path

import specrun
from core_helpers import SPECS

QUICKSTART = SPECS / "quickstart_topics.yaml"
LRS, EPOCHS, SEEDS = (0.1, 0.5), (2, 3), (1, 2)


def run_quickstart(store: Path, *overrides: str) -> object:
    """One real, small run of core's quickstart spec (200 rows), in this process."""
    result = specrun.run(
        str(QUICKSTART), overrides=["data.rows=200", *overrides], store=str(store), local=True
    )
    assert result.status == "finished", result.error
    return result


@functools.cache
def _grid_master() -> Path:
    """8 finished runs, learning rate x epochs x seed, in a store made once per session."""
    folder = Path(tempfile.mkdtemp(prefix="specrun-history-grid-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "grid.duckdb"
    for lr, epochs, seed in itertools.product(LRS, EPOCHS, SEEDS):
        run_quickstart(path, f"model.lr={lr}", f"model.epochs={epochs}", f"seed={seed}")
    return path


def grid_store(tmp_path: Path) -> Path:
    """A private copy of the grid store (and its artifact folder) under ``tmp_path``."""
    master = _grid_master()
    target = tmp_path / "grid.duckdb"
    shutil.copyfile(master, target)
    shutil.copytree(master.parent / "grid_artifacts", tmp_path / "grid_artifacts")
    return target


def grid_run(store: Path, lr: float, epochs: int, seed: int) -> str:
    """The run id of one grid point."""
    found = specrun.open_store(str(store)).query(
        """SELECT run_id FROM runs
           WHERE run_id IN (SELECT run_id FROM params WHERE path = 'model.lr' AND value_num = ?)
             AND run_id IN (SELECT run_id FROM params WHERE path = 'model.epochs' AND value_int = ?)
             AND seed = ?""",
        [lr, epochs, seed],
    )
    assert found.height == 1
    return found["run_id"][0]
