"""What the runs, run and compare pages show, read from the store with core's own API:
the filter and sort grammar is `specrun runs`'s, the details are `specrun show`'s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specrun.history import (
    best_metrics,
    compare_metrics,
    differing_params,
    run_details,
    run_labels,
    spec_diff,
)
from specrun.history.refs import resolve_runs
from specrun.store.query import Store

from .jsonable import loads, plain, rows

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
HEADLINE_SPLITS = ("eval", "test")
MAX_DIFFERING = 8
MAX_HEADLINE = 6
_DESCRIPTIVE = {"name", "description", "tags", "seed"}


def runs_page(store: Store, query: dict[str, Any]) -> dict[str, Any]:
    """One page of runs with their headline metrics, the params that differ among them, and
    any param or metric asked for as a column (``cols``)."""
    filters = {k: query.get(k) or None for k in ("name", "tag", "status", "sweep")}
    where = [w for w in query.get("where", []) if w.strip()]
    sort = query.get("sort") or None
    limit = max(1, min(int(query.get("limit") or 50), 500))
    offset = max(0, int(query.get("offset") or 0))
    frame = store.runs(**filters, where=where, sort=sort, last=limit, offset=offset)
    ids = frame["run_id"].to_list()
    extra = [c for c in query.get("cols", []) if c.strip()]
    metric_cols = [c for c in extra if "/" in c]
    param_cols = [c for c in extra if "/" not in c]
    total, finals, steps, params = _page_details(store, filters, where, ids)
    every = sorted({k for m in finals.values() for k in m})
    # eval and test metrics are the headline; a page of runs that have none shows the others
    keys = [k for k in every if k.split("/", 1)[0] in HEADLINE_SPLITS] or every
    headline = [k for k in keys if k not in metric_cols][:MAX_HEADLINE]
    differing = [p for p in _differing(params, ids) if p not in _DESCRIPTIVE][:MAX_DIFFERING]
    shown_params = list(dict.fromkeys(param_cols + differing))
    values = {
        run_id: {p: loads(v) for p, v in by_path.items() if p in shown_params}
        for run_id, by_path in params.items()
    }
    out = []
    for row in frame.iter_rows(named=True):
        run_id = row["run_id"]
        item = plain(row)
        item["metrics"] = finals.get(run_id, {})
        item["step"] = steps.get(run_id)
        item["params"] = values.get(run_id, {})
        out.append(item)
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "rows": out,
        "metric_columns": metric_cols + headline,
        "param_columns": shown_params,
        "sort_column": frame.columns[-1] if sort else None,
    }


def _page_details(
    store: Store, filters: dict[str, Any], where: list[str], ids: Sequence[str]
) -> tuple[int, dict[str, dict[str, Any]], dict[str, int], dict[str, dict[str, str]]]:
    """What the page needs besides its rows, in one query (one attach of the store): the
    total of the filtered runs (``count_runs``'s filter), each shown run's final metrics by
    'split/name' and newest step (a running run's progress), and its params as JSON text."""
    clauses, args, _ = Store._run_filter(**filters, where=where)
    counted = "SELECT count(*) FROM runs" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    row = store._q(
        f"SELECT ({counted}) AS total,"
        " (SELECT list({'run_id': run_id, 'key': split || '/' || name, 'value': value,"
        " 'step': step}) FROM metrics_final WHERE list_contains(?, run_id)) AS finals,"
        " (SELECT list({'run_id': run_id, 'path': path, 'value': value_json::VARCHAR})"
        " FROM params WHERE list_contains(?, run_id)) AS params",
        [*args, list(ids), list(ids)],
    ).row(0, named=True)
    finals: dict[str, dict[str, Any]] = {}
    steps: dict[str, int] = {}
    for r in row["finals"] or []:
        finals.setdefault(r["run_id"], {})[r["key"]] = plain(r["value"])
        steps[r["run_id"]] = max(steps.get(r["run_id"], r["step"]), r["step"])
    params: dict[str, dict[str, str]] = {}
    for r in row["params"] or []:
        params.setdefault(r["run_id"], {})[r["path"]] = r["value"]
    return int(row["total"]), finals, steps, params


def _differing(params: dict[str, dict[str, str]], ids: Sequence[str]) -> list[str]:
    """``differing_params``'s paths over values already read: those whose values are not
    all equal among the runs (a missing value counts), sorted."""
    if len(ids) < 2:
        return []
    paths = sorted({p for by_path in params.values() for p in by_path})
    return [p for p in paths if len({params.get(r, {}).get(p, "<absent>") for r in ids}) > 1]


def columns(store: Store) -> dict[str, list[str]]:
    """Every param path and metric a column or a filter can name (for suggestions)."""
    params = store._q("SELECT DISTINCT path FROM params ORDER BY path")["path"].to_list()
    metrics = store._q("SELECT DISTINCT split || '/' || name AS k FROM metrics_final ORDER BY k")[
        "k"
    ].to_list()
    return {"params": params, "metrics": metrics}


def run_page(store: Store, ref: str) -> dict[str, Any]:
    details = run_details(store, ref, samples=200)
    data = details.to_json()
    run = data["run"]
    data["spec_yaml"] = details.spec_yaml
    for art in data["artifacts"]:
        art["image"] = str(art["name"]).lower().endswith(IMAGE_SUFFIXES)
    progress = store._q(
        "SELECT max(step) AS step, max(ts) AS ts, count(*) AS points FROM metrics WHERE run_id = ?",
        [details.run_id],
    ).row(0, named=True)
    data["progress"] = plain(progress)
    data["parent"] = run.get("parent_id")
    if run.get("sweep_id"):
        data["sweep"] = run["sweep_id"]
    return data


def run_ids(store: Store, refs: Sequence[str]) -> list[str]:
    """``resolve_runs`` (prefixes, names, sweep ids), with full run ids, what the pages
    send, looked up in one query: a chart of 50 runs does not pay for 100 lookups."""
    exact = set(
        store._q("SELECT run_id FROM runs WHERE list_contains(?, run_id)", [list(refs)])["run_id"]
    )
    out: list[str] = []
    for ref in refs:
        for run_id in [ref] if ref in exact else resolve_runs(store, [ref]):
            if run_id not in out:
                out.append(run_id)
    return out


def compare_page(store: Store, refs: Sequence[str]) -> dict[str, Any]:
    ids = run_ids(store, refs)
    labels = run_labels(store, ids)
    diff = differing_params(store, ids)
    final = compare_metrics(store, ids)
    best = best_metrics(store, ids)
    best_by: dict[str, dict[str, Any]] = {}
    for r in best.iter_rows(named=True):
        best_by.setdefault(f"{r['split']}/{r['name']}", {})[r["run_id"]] = {
            "value": plain(r["value"]),
            "step": r["step"],
            "direction": r["direction"],
        }
    runs = store._q(
        "SELECT run_id, name, status, created_at, duration_s FROM runs"
        " WHERE list_contains(?, run_id)",
        [ids],
    )
    by_id = {r["run_id"]: plain(r) for r in runs.iter_rows(named=True)}
    return {
        "runs": [{**by_id[i], "label": labels.get(i, i)} for i in ids if i in by_id],
        "params": [
            {"path": r["path"], "values": {i: loads(r[i]) for i in ids}}
            for r in diff.iter_rows(named=True)
        ],
        "metrics": [
            {
                "metric": r["metric"],
                "final": {i: plain(r[i]) for i in ids},
                "best": best_by.get(r["metric"], {}),
            }
            for r in final.iter_rows(named=True)
        ],
        "spec_diff": spec_diff(store, ids[0], ids[1]) if len(ids) >= 2 else "",
    }


def sql_rows(frame: Any, limit: int) -> dict[str, Any]:
    return {
        "columns": frame.columns,
        "rows": [list(r.values()) for r in rows(frame.head(limit))],
        "total": frame.height,
        "truncated": frame.height > limit,
    }
