"""Everything recorded about one run, gathered for `specrun show` and for scripts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from ..store.query import Store
from .compare import canonical_yaml
from .metrics import best_metrics, final_metrics
from .refs import resolve_run


@dataclass
class RunDetails:
    """One run: its row, and Polars frames of params, metrics, artifacts and samples."""

    run: dict[str, Any]
    params: Any  # path, type, value (JSON text)
    final: Any  # split, name, value, step
    best: Any  # split, name, direction, value, step
    environment: dict[str, Any] | None
    artifacts: Any  # name, kind, path, sha256, bytes
    samples: Any  # split, step, idx, input, reference, output
    children: list[str]  # runs rerun from this one
    # rerun id -> {repro_check: matched|differed, repro_detail}, for reruns made with --check
    rerun_checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])

    @property
    def spec_yaml(self) -> str:
        return canonical_yaml(self.run.get("spec_resolved"))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data: values parsed, timestamps as ISO text."""
        run = {
            k: _plain(v)
            for k, v in self.run.items()
            if k not in ("spec_resolved", "plugin_versions")
        }
        run["spec_resolved"] = _loads(self.run.get("spec_resolved"))
        run["plugin_versions"] = _loads(self.run.get("plugin_versions"))
        env = None
        if self.environment is not None:
            env = {k: _plain(v) for k, v in self.environment.items() if k != "run_id"}
            env["packages"] = _loads(self.environment.get("packages"))
            env["provenance"] = _loads(self.environment.get("provenance"))
        return {
            "run": run,
            "params": {r["path"]: _loads(r["value"]) for r in self.params.iter_rows(named=True)},
            "metrics": {
                "final": _metric_dict(self.final),
                "best": _metric_dict(self.best, extra=("direction",)),
            },
            "environment": env,
            "artifacts": [
                {k: _plain(v) for k, v in r.items()} for r in self.artifacts.iter_rows(named=True)
            ],
            "samples": [
                {k: _plain(v) for k, v in r.items()} for r in self.samples.iter_rows(named=True)
            ],
            "children": self.children,
            "rerun_checks": {
                k: {"result": v["repro_check"], "first_difference": v["repro_detail"]}
                for k, v in self.rerun_checks.items()
            },
        }


# What a terminal view reads of one text value: a run may hold a 200 MB error or a 50 MB
# description (issue 16), and `specrun show` must stay fast whatever it holds. The cut is
# made in SQL, so the rest never leaves the store; `--json` reads everything.
SHOW_CHARS = 2_000
SHOW_SPEC_CHARS = 1_000_000  # a resolved spec longer than this is not rendered as YAML
RUN_TEXT_COLUMNS = (
    "description",
    "spec_path",
    "spec_text",
    "error",
    "traceback",
    "repro_detail",
    "host",
    "data_fingerprint",
    "spec_hash",
    "mode",
)


def clipped(expr: str, limit: int, alias: str | None = None) -> str:
    """SQL: ``expr`` cut to ``limit`` characters, saying how many more there were."""
    return (
        f"CASE WHEN length({expr}) > {int(limit)} THEN left({expr}, {int(limit)}) || '… ('"
        f" || (length({expr}) - {int(limit)}) || ' more characters)' ELSE {expr} END"
        f" AS {alias or expr}"
    )


def _run_row(store: Store, run_id: str, clip: int | None) -> dict[str, Any]:
    if clip is None:
        return dict(store._q("SELECT * FROM runs WHERE run_id = ?", [run_id]).row(0, named=True))
    cols = set(store._q("SELECT * FROM runs LIMIT 0").columns)
    replace = [clipped(c, clip) for c in RUN_TEXT_COLUMNS if c in cols]
    replace.append(
        f"CASE WHEN length(spec_resolved::VARCHAR) > {SHOW_SPEC_CHARS} THEN NULL"
        " ELSE spec_resolved END AS spec_resolved"
    )
    sql = (
        f"SELECT * REPLACE ({', '.join(replace)}), length(spec_resolved::VARCHAR) AS spec_resolved_chars"
        " FROM runs WHERE run_id = ?"
    )
    return dict(store._q(sql, [run_id]).row(0, named=True))


def run_details(store: Store, ref: str, samples: int = 5, clip: int | None = None) -> RunDetails:
    """Gather one run (id, unique prefix or name). Works for a run still in flight.
    ``clip`` cuts every text value to that many characters (for a terminal view)."""
    run_id = resolve_run(store, ref)
    run = _run_row(store, run_id, clip)
    value = (
        "value_json::VARCHAR AS value"
        if clip is None
        else clipped("value_json::VARCHAR", clip, "value")
    )
    params = store._q(
        f"SELECT path, type, {value} FROM params WHERE run_id = ? ORDER BY path",
        [run_id],
    )
    env = store.environment(run_id)
    artifacts = store._q(
        "SELECT name, kind, path, sha256, bytes, created_at FROM artifacts"
        " WHERE run_id = ? ORDER BY name",
        [run_id],
    )
    # The newest step's samples are what the finished model produced.
    texts = (
        "input, reference, output"
        if clip is None
        else ", ".join(clipped(c, clip) for c in ("input", "reference", "output"))
    )
    sample_rows = store._q(
        f"""SELECT split, step, idx, {texts} FROM samples
           WHERE run_id = ? AND step IS NOT DISTINCT FROM
                 (SELECT max(step) FROM samples s
                  WHERE s.run_id = samples.run_id AND s.split = samples.split)
           ORDER BY split, idx LIMIT ?""",
        [run_id, int(samples)],
    )
    reruns = store._q(
        "SELECT run_id, repro_check, repro_detail FROM runs WHERE parent_id = ? ORDER BY created_at",
        [run_id],
    )
    children = reruns["run_id"].to_list()
    checks = {r["run_id"]: r for r in reruns.iter_rows(named=True) if r["repro_check"]}
    return RunDetails(
        run=run,
        params=params,
        final=final_metrics(store, [run_id]).drop("run_id"),
        best=best_metrics(store, [run_id]).drop("run_id"),
        environment=env.row(0, named=True) if env.height else None,
        artifacts=artifacts,
        samples=sample_rows,
        children=children,
        rerun_checks=checks,
    )


def _metric_dict(frame: Any, extra: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    out = {}
    for r in frame.iter_rows(named=True):
        out[f"{r['split']}/{r['name']}"] = {
            "value": r["value"],
            "step": r["step"],
            **{k: r[k] for k in extra},
        }
    return out


def _loads(text: Any) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value
