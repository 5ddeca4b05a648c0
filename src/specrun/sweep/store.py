"""A sweep's rows in the store: the ``sweeps`` table and its trials' runs.

The driver is the single writer; these helpers hold a connection only for one statement.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..store.connection import connect
from ..store.query import run_sql
from ..store.writer import now

DONE = ("finished", "stopped")  # trials a resume does not run again


def create_sweep(path: Path, sweep_id: str, plan: Any) -> None:
    spec = plan.spec
    with connect(path, write=True) as db:
        db.execute(
            """INSERT INTO sweeps (sweep_id, name, status, created_at, spec_path, spec_resolved,
               spec_hash,
               metric, mode, num_samples) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)""",
            [
                sweep_id,
                spec.name,
                now(),
                spec.path,
                spec.canonical(),
                spec.hash,
                plan.metric,
                plan.mode,
                plan.total,
            ],
        )


def reopen_sweep(path: Path, sweep_id: str) -> None:
    with connect(path, write=True) as db:
        db.execute(
            "UPDATE sweeps SET status = 'running', ended_at = NULL, error = NULL "
            "WHERE sweep_id = ?",
            [sweep_id],
        )


def finish_sweep(
    path: Path, sweep_id: str, status: str, best: dict[str, Any] | None, error: str | None = None
) -> None:
    with connect(path, write=True) as db:
        db.execute(
            """UPDATE sweeps SET status = ?, ended_at = ?, best_run_id = ?, best_value = ?,
               error = ?
               WHERE sweep_id = ?""",
            [
                status,
                now(),
                best["run_id"] if best else None,
                best["value"] if best else None,
                error,
                sweep_id,
            ],
        )


def sweep_row(path: Path, ref: str) -> dict[str, Any]:
    """A sweep by full id or unique prefix."""
    if not path.exists():
        raise UserError(f"no run store at {path}: nothing to resume")
    with connect(path, write=False) as db:
        df = run_sql(
            db, "SELECT * FROM sweeps WHERE starts_with(sweep_id, ?) ORDER BY sweep_id", [ref]
        )
    if df.height == 0:
        raise UserError(
            f'no sweep {ref!r} in {path} (specrun query "SELECT sweep_id, name FROM sweeps")'
        )
    if df.height > 1 and ref not in df["sweep_id"].to_list():
        raise UserError(
            f"sweep id prefix {ref!r} is ambiguous: {', '.join(df['sweep_id'].to_list()[:5])}"
        )
    rows = df.to_dicts()
    return next((r for r in rows if r["sweep_id"] == ref), rows[0])


def trial_runs(path: Path, sweep_id: str, metric: str) -> list[dict[str, Any]]:
    """Every run of a sweep with its trial index, status and last value of the metric."""
    split, _, name = metric.partition("/")
    with connect(path, write=False) as db:
        df = run_sql(
            db,
            """SELECT r.run_id, r.trial_index, r.status, r.created_at, r.duration_s, r.error,
                      r.overrides,
                      r.node_id, r.node_ip, r.spec_resolved,
                      (SELECT arg_max(m.value, m.step) FROM metrics m
                        WHERE m.run_id = r.run_id AND m.split = ? AND m.name = ?) AS value
               FROM runs r WHERE r.sweep_id = ? ORDER BY r.trial_index, r.created_at""",
            [split, name, sweep_id],
        )
    return df.to_dicts()


def latest_per_trial(runs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The run that counts for each trial: the newest finished or stopped one (under PBT a
    trial is a chain of runs, each continuing a checkpoint), else the newest."""
    out: dict[int, dict[str, Any]] = {}
    for run in runs:  # ordered by trial, then time
        idx = run["trial_index"]
        if idx is None:
            continue
        if idx not in out or run["status"] in DONE or out[idx]["status"] not in DONE:
            out[idx] = run
    return out


def best_run(trials: dict[int, dict[str, Any]], mode: str) -> dict[str, Any] | None:
    scored = [t for t in trials.values() if t["status"] in DONE and t["value"] is not None]
    if not scored:
        return None
    return (max if mode == "max" else min)(scored, key=lambda t: t["value"])


def sorted_trials(trials: dict[int, dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    """By the metric, best first; trials without a value last, in trial order."""
    scored = sorted(
        (t for t in trials.values() if t["value"] is not None),
        key=lambda t: t["value"],
        reverse=(mode == "max"),
    )
    rest = sorted(
        (t for t in trials.values() if t["value"] is None), key=lambda t: t["trial_index"]
    )
    return scored + rest


def spec_diff(stored: str, current: str) -> str:
    """A unified diff of two resolved specs (canonical JSON), pretty-printed for reading."""

    def lines(text: str) -> list[str]:
        return json.dumps(
            json.loads(text), indent=2, sort_keys=True, ensure_ascii=False
        ).splitlines()

    diff = difflib.unified_diff(
        lines(stored), lines(current), "sweep spec (stored)", "spec now", lineterm="", n=2
    )
    return "\n".join(diff)
