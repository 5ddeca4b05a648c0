"""Helpers for the tests of core and of any plugin: the CLI in a subprocess, a spec written
to a file, a metric series read from the store, a run's id, and the reproducibility check
every shipped spec must pass. The same helpers come as pytest fixtures
(``specrun.testing.pytest_plugin``, loaded through the ``pytest11`` entry point).

What holds across processes is tested across processes: ``assert_reproducible`` launches
``specrun run`` and then ``specrun rerun --check`` as two fresh processes (by default the
first in a Ray actor, the second in-process with ``--local``, so one pair covers both
modes), then compares every metric at every step, every sample and every artifact hash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 600,
    expect: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``specrun ARGS...`` in a fresh interpreter; output captured as text. With ``expect``,
    an exit status other than it fails with the command, its status and its output's tail."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "specrun.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
    if expect is not None and proc.returncode != expect:
        raise AssertionError(failure_message(proc, f"specrun {' '.join(args)}", expect))
    return proc


def failure_message(proc: subprocess.CompletedProcess[str], what: str, expected: int = 0) -> str:
    """What a test shows when a CLI call exited otherwise than expected."""
    return (
        f"{what} exited {proc.returncode} (expected {expected})\n"
        f"--- stdout (tail) ---\n{proc.stdout[-3000:]}\n--- stderr (tail) ---\n{proc.stderr[-3000:]}"
    )


def write_spec(
    directory: str | os.PathLike[str], spec: str | Mapping[str, Any], name: str = "spec.yaml"
) -> Path:
    """Write a spec (YAML text, or a mapping dumped as YAML) to ``directory/name``; returns
    the path."""
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(spec, str):
        import yaml

        spec = yaml.safe_dump(dict(spec), sort_keys=False, allow_unicode=True)
    path.write_text(spec, encoding="utf-8")
    return path


def metric_series(
    store: str | os.PathLike[str] | Any, run_id: str, name: str, split: str | None = None
) -> dict[int, float]:
    """``{step: value}`` of one metric of a run (of one split, if given); where a step was
    logged twice the later value wins. ``store``: a path or an open ``Store``."""
    from ..store.query import Store

    st = store if isinstance(store, Store) else Store(store)
    frame = st.metrics(run_id, name)
    if split is not None:
        frame = frame.filter(frame["split"] == split)
    frame = frame.sort("ts") if "ts" in frame.columns else frame
    return {int(r["step"]): float(r["value"]) for r in frame.iter_rows(named=True)}


def newest_run(store: str | os.PathLike[str], parent: str | None = None) -> str:
    """The id of the newest run in ``store`` (the newest child of ``parent``, if given)."""
    from ..store.query import Store

    st = Store(store)
    if parent is None:
        rows = st._q("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")
    else:
        rows = st._q(
            "SELECT run_id FROM runs WHERE parent_id = ? ORDER BY created_at DESC LIMIT 1", [parent]
        )
    if not rows.height:
        raise AssertionError(f"no run{' of ' + parent if parent else ''} in {store}")
    return str(rows["run_id"][0])


def _ok(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode not in (0, 1):
        raise AssertionError(
            f"{what} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )


def assert_reproducible(
    spec: str | os.PathLike[str],
    overrides: Sequence[str] = (),
    store: str | os.PathLike[str] | None = None,
    first_local: bool = False,
    second_local: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> dict[str, Any]:
    """Run ``spec`` and rerun it with ``--check`` in two fresh processes; fail with the first
    difference (split, metric, step and both values) unless everything matched. Returns the
    check's summary (see ``specrun.history.repro_check.summary``)."""
    from ..history.repro_check import compare_runs, summary
    from ..store.query import Store

    if store is None:
        raise ValueError("give the store to write the two runs into")
    args = [str(spec), *(a for o in overrides for a in ("-o", o)), "--store", str(store), "-q"]
    # Each process gets a cache of its own, as on two fresh machines: nothing computed by
    # the first run (augmented data, drawn images) is reused by the second.
    caches = Path(store).parent / "repro-caches"
    env1 = {**(env or {}), "SPECRUN_CACHE": str(caches / "first")}
    env2 = {**(env or {}), "SPECRUN_CACHE": str(caches / "second")}
    first = run_cli("run", *args, *(["--local"] if first_local else []), env=env1, timeout=timeout)
    if first.returncode != 0:
        raise AssertionError(
            f"specrun run {spec} exited {first.returncode}:\n{first.stderr[-3000:]}"
        )
    original = newest_run(store)
    second = run_cli(
        "rerun",
        original,
        "--check",
        "--store",
        str(store),
        "-q",
        *(["--local"] if second_local else []),
        env=env2,
        timeout=timeout,
    )
    _ok(second, f"specrun rerun {original} --check")
    rerun_id = newest_run(store, parent=original)
    result = summary(compare_runs(Store(store), original, rerun_id))
    if not result["matched"] or second.returncode != 0:
        raise AssertionError(
            f"{Path(spec).name}: the rerun {rerun_id} differs from {original}: "
            f"{result['first_difference']}\n{second.stderr[-2000:]}"
        )
    if not result["metrics"]:
        raise AssertionError(f"{Path(spec).name}: the runs logged no metric to compare")
    return result
