"""Exporting runs for sharing: the rows of every table that belong to the runs, one
Parquet file per table, written by DuckDB itself so that types (JSON, lists, timestamps)
survive; plus a manifest saying what was exported and from which schema."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..store.connection import connect
from ..store.migrations import applied
from ..store.query import Store

# table -> how its rows are chosen; ? is the list of run ids.
EXPORTED_TABLES: dict[str, str] = {
    "runs": "SELECT * FROM runs WHERE list_contains(?, run_id) ORDER BY created_at",
    "params": "SELECT * FROM params WHERE list_contains(?, run_id) ORDER BY run_id, path",
    "metrics": """SELECT * FROM metrics WHERE list_contains(?, run_id)
                  ORDER BY run_id, split, name, step""",
    "metrics_final": """SELECT * FROM metrics_final WHERE list_contains(?, run_id)
                        ORDER BY run_id, split, name""",
    "samples": """SELECT * FROM samples WHERE list_contains(?, run_id)
                  ORDER BY run_id, split, step, idx""",
    "artifacts": "SELECT * FROM artifacts WHERE list_contains(?, run_id) ORDER BY run_id, name",
    "environment": "SELECT * FROM environment WHERE list_contains(?, run_id) ORDER BY run_id",
    "sweeps": """SELECT * FROM sweeps WHERE sweep_id IN
                 (SELECT sweep_id FROM runs WHERE list_contains(?, run_id)) ORDER BY created_at""",
}


def export_parquet(
    store: Store,
    run_ids: Sequence[str],
    out_dir: str | Path,
    with_files: bool = False,
    overwrite: bool = False,
) -> Any:
    """Write ``<table>.parquet`` for each exported table and ``manifest.json`` to ``out_dir``.

    ``with_files`` also copies the runs' artifact files under ``out_dir/artifacts``.
    Returns a frame of table, rows, file.
    """
    import polars as pl

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StoreError(f"{out} is a file; give a folder to export into")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise StoreError(f"{out} is not empty; choose a new folder or pass --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    ids = list(run_ids)
    written = []
    with connect(store.path, write=False) as db:
        for table, select in EXPORTED_TABLES.items():
            target = out / f"{table}.parquet"
            # COPY cannot take a bound path; the path is ours and quoted as an SQL literal.
            literal = "'" + str(target).replace("'", "''") + "'"
            db.execute(f"COPY ({select}) TO {literal} (FORMAT parquet)", [ids])
            counted = db.execute(f"SELECT count(*) FROM ({select})", [ids]).fetchone()
            rows = counted[0] if counted else 0
            written.append((table, rows, str(target)))
        migrations = applied(db)
    copied = _copy_artifacts(store, ids, out / "artifacts") if with_files else 0
    manifest = {
        "format": "specrun-export-1",
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source_store": str(store.path),
        "schema_migrations": migrations,
        "run_ids": ids,
        "tables": {t: n for t, n, _ in written},
        "artifact_files": copied,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return pl.DataFrame(written, schema=["table", "rows", "file"], orient="row")


def _copy_artifacts(store: Store, run_ids: Sequence[str], dest: Path) -> int:
    count = 0
    for run_id in run_ids:
        source = store.artifact_root / run_id
        if source.is_dir():
            shutil.copytree(source, dest / run_id, dirs_exist_ok=True)
            count += sum(1 for p in (dest / run_id).rglob("*") if p.is_file())
    return count
