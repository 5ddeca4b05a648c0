"""The sweeps page: trials with their swept params and the sweep's metric, each param's
importance, best-so-far by trial count, early-stopped trials and PBT's lineage."""

from __future__ import annotations

import json
import math
from typing import Any

from specrun.errors import StoreError
from specrun.history.metrics import split_metric_name
from specrun.store.query import Store

from .jsonable import loads, plain


def sweeps_list(store: Store) -> list[dict[str, Any]]:
    frame = store._q(
        """SELECT s.sweep_id, s.name, s.status, s.created_at, s.metric, s.mode, s.num_samples,
                  s.best_run_id, s.best_value, count(r.run_id) AS runs
           FROM sweeps s LEFT JOIN runs r USING (sweep_id)
           GROUP BY ALL ORDER BY s.created_at DESC"""
    )
    return [plain(r) for r in frame.iter_rows(named=True)]


def sweep_page(store: Store, ref: str) -> dict[str, Any]:
    found = store._q("SELECT * FROM sweeps WHERE starts_with(sweep_id, ?)", [ref])
    if not found.height:
        raise StoreError(f"no sweep {ref!r} in {store.path}")
    if found.height > 1:
        shown = ", ".join(found["sweep_id"].to_list()[:5])
        raise StoreError(f"sweep id prefix {ref!r} is ambiguous: {shown}")
    sweep = found.row(0, named=True)
    sweep_id = sweep["sweep_id"]
    spec = loads(sweep.get("spec_resolved")) or {}
    space = list(((spec.get("sweep") or {}).get("space") or {}).keys())
    split, name = split_metric_name(sweep.get("metric") or "accuracy")
    split = split or "eval"
    metric = f"{split}/{name}"
    trials = store._q(
        """SELECT r.run_id, r.trial_index, r.status, r.created_at, r.duration_s, r.parent_id,
                  r.error,
                  f.value AS value, f.step AS step
           FROM runs r LEFT JOIN metrics_final f
             ON f.run_id = r.run_id AND f.split = ? AND f.name = ?
           WHERE r.sweep_id = ? ORDER BY r.trial_index NULLS LAST, r.created_at, r.run_id""",
        [split, name, sweep_id],
    )
    ids = trials["run_id"].to_list()
    params = store._q(
        "SELECT run_id, path, value_json::VARCHAR AS value FROM params"
        " WHERE list_contains(?, run_id) AND list_contains(?, path)",
        [ids, space],
    )
    values: dict[str, dict[str, Any]] = {}
    for r in params.iter_rows(named=True):
        values.setdefault(r["run_id"], {})[r["path"]] = loads(r["value"])
    rows = []
    in_sweep = set(ids)
    for r in trials.iter_rows(named=True):
        item = plain(r)
        item["params"] = values.get(r["run_id"], {})
        item["parent_in_sweep"] = r["parent_id"] if r["parent_id"] in in_sweep else None
        rows.append(item)
    mode = sweep.get("mode") or "max"
    return {
        "sweep": plain({k: v for k, v in sweep.items() if k != "spec_resolved"}),
        "space": space,
        "space_spec": (spec.get("sweep") or {}).get("space") or {},
        "metric": metric,
        "mode": mode,
        "trials": rows,
        "importance": importance(rows, space),
        "best_so_far": best_so_far(rows, mode),
    }


def best_so_far(trials: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    """The best value among the first k trials that have one, for each k, in trial order."""
    best = None
    out = []
    for t in trials:
        value = t.get("value")
        if value is None:
            continue
        if best is None or (value > best if mode == "max" else value < best):
            best = value
        out.append({"trial": len(out) + 1, "run_id": t["run_id"], "value": value, "best": best})
    return out


def importance(trials: list[dict[str, Any]], space: list[str]) -> list[dict[str, Any]]:
    """How much of the metric's variance each param explains on its own (eta squared): the
    trials grouped by the param's value, numbers in up to four quantile bins. A one-way
    measure, not fANOVA's: enough to see which knob matters in a small sweep."""
    scored = [t for t in trials if t.get("value") is not None]
    if len(scored) < 3:
        return [{"param": p, "importance": None} for p in space]
    ys = [float(t["value"]) for t in scored]
    mean = sum(ys) / len(ys)
    total = sum((y - mean) ** 2 for y in ys)
    out = []
    for path in space:
        keys = _groups([t["params"].get(path) for t in scored])
        groups: dict[Any, list[float]] = {}
        for key, y in zip(keys, ys, strict=True):
            groups.setdefault(key, []).append(y)
        between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups.values())
        out.append({"param": path, "importance": between / total if total > 0 else 0.0})
    return sorted(out, key=lambda r: -(r["importance"] or 0))


def _groups(values: list[Any]) -> list[Any]:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) < len(values) or len(set(numbers)) <= 4:
        return [json.dumps(v) for v in values]
    ranked = sorted(numbers)
    logs = all(v > 0 for v in numbers) and ranked[-1] / ranked[0] > 100
    key = (lambda v: math.log(v)) if logs else (lambda v: v)
    low, high = key(ranked[0]), key(ranked[-1])
    width = (high - low) / 4 or 1.0
    return [min(3, int((key(v) - low) / width)) for v in numbers]
