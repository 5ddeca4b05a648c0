"""Turning what a user types (a run id, a unique prefix, a run name, a sweep id) into run ids.

A sweep id stands for all of its trials, so every history command that takes several runs
also takes a sweep. The lookups are plain SQL over a read-only connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import StoreError
from ..store.query import Store


def _sweep_ids(store: Store, ref: str) -> list[str]:
    """Sweep ids equal to or starting with ``ref``, from the sweeps table and from trials
    (a sweep whose row was never written still groups its trials by ``runs.sweep_id``)."""
    rows = store._q(
        """SELECT sweep_id FROM sweeps WHERE starts_with(sweep_id, ?)
           UNION SELECT DISTINCT sweep_id FROM runs
           WHERE sweep_id IS NOT NULL AND starts_with(sweep_id, ?)
           ORDER BY sweep_id""",
        [ref, ref],
    )
    return rows["sweep_id"].to_list()


def sweep_trials(store: Store, sweep_id: str) -> list[str]:
    rows = store._q(
        "SELECT run_id FROM runs WHERE sweep_id = ? ORDER BY created_at, run_id", [sweep_id]
    )
    return rows["run_id"].to_list()


def _resolve_one(store: Store, ref: str, allow_sweeps: bool) -> list[str]:
    runs = store._q("SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id", [ref])[
        "run_id"
    ].to_list()
    sweeps = _sweep_ids(store, ref) if allow_sweeps else []
    # An exact id wins over longer ids that merely start with it.
    if ref in runs:
        return [ref]
    if ref in sweeps:
        return _trials_or_fail(store, ref)
    matches = [("run", r) for r in runs] + [("sweep", s) for s in sweeps]
    if len(matches) == 1:
        kind, found = matches[0]
        return [found] if kind == "run" else _trials_or_fail(store, found)
    if len(matches) > 1:
        shown = ", ".join(f"{k} {v}" for k, v in matches[:5]) + (" ..." if len(matches) > 5 else "")
        raise StoreError(
            f"{ref!r} is ambiguous: it is the prefix of {len(matches)} ids ({shown}); "
            "type more of it"
        )
    by_name = store._q(
        "SELECT run_id FROM runs WHERE name = ? ORDER BY created_at DESC LIMIT 1", [ref]
    )
    if by_name.height:
        return [by_name["run_id"][0]]
    what = "run or sweep" if allow_sweeps else "run"
    raise StoreError(f"no {what} {ref!r} in {store.path} (see `specrun runs`)")


def _trials_or_fail(store: Store, sweep_id: str) -> list[str]:
    trials = sweep_trials(store, sweep_id)
    if not trials:
        raise StoreError(f"sweep {sweep_id} has no runs in {store.path}")
    return trials


def resolve_runs(store: Store, refs: Sequence[str], allow_sweeps: bool = True) -> list[str]:
    """Run ids for ``refs`` in the order given, each once; a sweep id expands to its trials."""
    if not refs:
        raise StoreError("give at least one run id, run name or sweep id")
    ids: list[str] = []
    for ref in refs:
        for run_id in _resolve_one(store, str(ref).strip(), allow_sweeps):
            if run_id not in ids:
                ids.append(run_id)
    return ids


def resolve_run(store: Store, ref: str) -> str:
    """Exactly one run: a sweep id here is an error, since it stands for many."""
    return _resolve_one(store, str(ref).strip(), allow_sweeps=False)[0]


def run_rows(store: Store, run_ids: Sequence[str]) -> Any:
    """The runs rows of ``run_ids``, in that order (a Polars frame)."""
    import polars as pl

    if not run_ids:
        return store._q("SELECT * FROM runs WHERE false")
    frame = store._q("SELECT * FROM runs WHERE list_contains(?, run_id)", [list(run_ids)])
    order = pl.DataFrame({"run_id": list(run_ids), "_order": list(range(len(run_ids)))})
    return frame.join(order, on="run_id").sort("_order").drop("_order")
