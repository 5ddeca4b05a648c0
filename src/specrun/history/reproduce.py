"""Running a recorded run again from its stored resolved spec, linked to it as its parent."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..store.query import Store
from .refs import resolve_run


def stored_spec(store: Store, ref: str, overrides: Sequence[str] = ()) -> tuple[str, Any]:
    """(run id, ``ResolvedSpec``) re-validated from ``runs.spec_resolved`` with ``overrides``.

    Validation runs again because the installed plugins may have changed since: a kind
    that is gone, or a param that became invalid, is reported like in any spec.
    """
    from ..spec import load_resolved

    run_id = resolve_run(store, ref)
    row = store._q(
        "SELECT spec_resolved, spec_path, spec_text FROM runs WHERE run_id = ?", [run_id]
    ).row(0, named=True)
    if not row["spec_resolved"]:
        raise StoreError(f"run {run_id} has no stored resolved spec to rerun")
    data = json.loads(row["spec_resolved"])
    # A stored trial has its sweep values applied already: rerun that one trial, not the sweep.
    data.pop("sweep", None)
    # Relative file params were resolved against the spec's folder: keep that anchor when it
    # is still there, so `data.path: data/x.tsv` means the same file as the first time.
    spec_path = row["spec_path"] if row["spec_path"] and Path(row["spec_path"]).exists() else None
    path = spec_path or f"<spec of run {run_id}>"
    spec = load_resolved(data, path=path, text=row["spec_text"] or "", overrides=list(overrides))
    return run_id, spec


def check_rerun(store: Store, original: str, rerun_id: str) -> Any:
    """Compare ``rerun_id`` with the run it reran and record the verdict on the rerun's row
    (``runs.repro_check``, ``runs.repro_detail``), which ``specrun show`` displays."""
    from ..store.writer import StoreWriter
    from .repro_check import compare_runs

    check = compare_runs(store, original, rerun_id)
    writer = StoreWriter(store.path)
    writer.update_run(
        rerun_id,
        repro_check="matched" if check.matched else "differed",
        repro_detail=check.first_difference(),
    )
    writer.flush()
    return check


def rerun(
    store: Store,
    ref: str,
    overrides: Sequence[str] = (),
    local: bool = False,
    address: str | None = None,
    quiet: bool = True,
    verbose: bool = False,
) -> Any:
    """Run ``ref`` again into the same store; the new run's ``parent_id`` is the old run.

    Returns the ``RunResult``; a deterministic spec on a CPU gives the same metrics.
    """
    from ..runner.driver import run_spec

    parent_id, spec = stored_spec(store, ref, overrides)
    return run_spec(
        spec,
        store=os.fspath(store.path),
        mode="local" if local else "ray",
        address=address,
        parent_id=parent_id,
        quiet=quiet,
        verbose=verbose,
    )
