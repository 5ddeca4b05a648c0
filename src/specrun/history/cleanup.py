"""Removing runs from the store (`specrun rm`) and artifact files no run owns (`specrun gc`)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StoreError
from ..store.connection import connect
from ..store.query import Store

# Every table keyed by run id; runs last so that a failure half way leaves no orphan rows.
RUN_TABLES = ("params", "metrics", "metrics_final", "samples", "artifacts", "environment", "runs")


@dataclass
class Removal:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    folders: list[str] = field(default_factory=list)  # artifact folders deleted
    bytes_freed: int = 0


def remove_runs(
    store: Store, run_ids: Sequence[str], force: bool = False, keep_files: bool = False
) -> Removal:
    """Delete the runs' rows from every table in one transaction, then their artifact
    folders. A sweep whose trials are all gone loses its row too. A run still in flight
    is refused unless ``force``: its driver would go on writing rows for a run that is gone."""
    ids = list(run_ids)
    if not ids:
        raise StoreError("no runs to remove")
    running = store._q(
        "SELECT run_id FROM runs WHERE list_contains(?, run_id) AND status = 'running'", [ids]
    )["run_id"].to_list()
    if running and not force:
        raise StoreError(
            f"run(s) {', '.join(running)} still running; stop them first or pass --force"
        )
    removal = Removal()
    with connect(store.path, write=True) as db:
        sweeps = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT sweep_id FROM runs"
                " WHERE list_contains(?, run_id) AND sweep_id IS NOT NULL",
                [ids],
            ).fetchall()
        ]
        db.execute("BEGIN TRANSACTION")
        try:
            for table in RUN_TABLES:
                counted = db.execute(
                    f"SELECT count(*) FROM {table} WHERE list_contains(?, run_id)", [ids]
                ).fetchone()
                count = counted[0] if counted else 0
                db.execute(f"DELETE FROM {table} WHERE list_contains(?, run_id)", [ids])
                removal.rows[table] = count
            emptied = db.execute(
                """SELECT sweep_id FROM sweeps WHERE list_contains(?, sweep_id)
                   AND sweep_id NOT IN (SELECT sweep_id FROM runs WHERE sweep_id IS NOT NULL)""",
                [sweeps],
            ).fetchall()
            db.execute(
                "DELETE FROM sweeps WHERE list_contains(?, sweep_id)", [[r[0] for r in emptied]]
            )
            removal.rows["sweeps"] = len(emptied)
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
    if not keep_files:
        for run_id in ids:
            _remove_folder(store.artifact_root / run_id, removal)
    return removal


def collect_garbage(store: Store, dry_run: bool = False) -> Removal:
    """Delete artifact folders whose run is no longer in the store, and ``*.partial`` files
    (copies cut short) of runs that are not running. ``dry_run`` only reports them."""
    removal = Removal()
    with connect(
        store.path, write=False
    ) as db:  # first: a missing store is an error, not "nothing to do"
        status = dict(db.execute("SELECT run_id, status FROM runs").fetchall())
    root = store.artifact_root
    if not root.is_dir():
        return removal
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            continue  # not ours: specrun only makes one folder per run here
        if entry.name not in status:
            _remove_folder(entry, removal, dry_run)
        elif status[entry.name] != "running":
            for partial in entry.rglob("*.partial"):
                removal.bytes_freed += partial.stat().st_size
                removal.folders.append(str(partial))
                if not dry_run:
                    partial.unlink()
    return removal


def _remove_folder(folder: Path, removal: Removal, dry_run: bool = False) -> None:
    if not folder.is_dir():
        return
    removal.bytes_freed += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    removal.folders.append(str(folder))
    if not dry_run:
        shutil.rmtree(folder)
