"""Run history: compare, plot, report, reproduce, export and clean up recorded runs.

Every function takes a ``Store`` (``specrun.open_store(path)``) and returns Polars frames
or plain data; the ``specrun`` commands in ``commands.py`` are thin layers over them.
Refs are run ids, unique prefixes, run names (the newest run) or sweep ids (all trials).

Names load on first use: `specrun --help` imports ``history.commands`` and must not pay
for duckdb, polars or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "collect_garbage": "cleanup",
    "remove_runs": "cleanup",
    "compare_metrics": "compare",
    "differing_params": "compare",
    "param_values": "compare",
    "run_labels": "compare",
    "spec_diff": "compare",
    "RunDetails": "details",
    "run_details": "details",
    "export_parquet": "export",
    "best_metrics": "metrics",
    "final_metrics": "metrics",
    "metric_series": "metrics",
    "plot_metric": "plot",
    "resolve_run": "refs",
    "resolve_runs": "refs",
    "build_report": "report",
    "write_report": "report",
    "rerun": "reproduce",
    "stored_spec": "reproduce",
    "samples_side_by_side": "samples",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'specrun.history' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
