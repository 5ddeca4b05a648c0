"""Did a rerun reproduce its parent? Metric by metric, then samples, then artifact hashes.

Used by ``specrun rerun RUN --check`` (the new run against the one it reran) and by the
reproducibility tests. Timings (``runtime_s``, ``tokens_per_s``, ``train_runtime``...) and
cache bookkeeping (``eda_cache_hit``: a rerun on the same machine reuses the cache) are not
results and may differ on every run: they are listed as not compared, never as differences.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..store.query import Store

# Metric names that measure time or speed, or say whether a cache was used: not results.
TIMING_METRIC = re.compile(
    r"(runtime|duration|elapsed|seconds|(^|_)time($|_)|_s$|_ms$|_per_s(ec(ond)?)?$|per_second"
    r"|_cache_hit$)"
)


def is_timing_metric(name: str) -> bool:
    return bool(TIMING_METRIC.search(name))


@dataclass
class MetricCheck:
    split: str
    name: str
    steps: int  # steps compared
    first_difference: tuple[int | None, float | None, float | None] | None = None  # step, a, b

    @property
    def matched(self) -> bool:
        return self.first_difference is None


@dataclass
class ReproCheck:
    """What differed between run ``a`` (the original) and run ``b`` (the rerun)."""

    a: str
    b: str
    metrics: list[MetricCheck] = field(default_factory=list)
    skipped_timings: list[str] = field(default_factory=list)
    samples: tuple[int, str | None] = (0, None)  # rows compared, first difference
    artifacts: tuple[int, str | None] = (0, None)  # files compared, first difference
    status: tuple[str, str] = ("", "")

    @property
    def matched(self) -> bool:
        return (
            all(m.matched for m in self.metrics)
            and self.samples[1] is None
            and self.artifacts[1] is None
            and self.status[0] == self.status[1]
        )

    def first_difference(self) -> str | None:
        """One line for the store and for ``specrun show``: where the runs first part."""
        if self.status[0] != self.status[1]:
            return f"status {self.status[0]} vs {self.status[1]}"
        # Where the runs first part: the earliest step at which any metric differs.
        differing = [m for m in self.metrics if m.first_difference is not None]
        if differing:
            m = min(differing, key=lambda m: (m.first_difference[0] or 0, m.split, m.name))  # type: ignore[index]
            step, va, vb = m.first_difference  # type: ignore[misc]
            return f"{m.split}/{m.name} at step {step}: {_num(va)} vs {_num(vb)}"
        return self.samples[1] or self.artifacts[1]


def _num(v: float | None) -> str:
    return "missing" if v is None else repr(v)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def _metric_checks(store: Store, a: str, b: str) -> tuple[list[MetricCheck], list[str]]:
    rows = store._q(
        "SELECT run_id, split, name, step, value FROM metrics WHERE run_id IN (?, ?) "
        "ORDER BY split, name, step, ts",
        [a, b],
    ).rows()
    series: dict[tuple[str, str], dict[str, dict[int, float | None]]] = {}
    for run_id, split, name, step, value in rows:
        # The newest value of a step wins, as in metrics_final.
        series.setdefault((split, name), {a: {}, b: {}})[run_id][int(step)] = value
    checks, skipped = [], []
    for (split, name), by_run in sorted(series.items()):
        if is_timing_metric(name):
            skipped.append(f"{split}/{name}")
            continue
        steps = sorted(set(by_run[a]) | set(by_run[b]))
        check = MetricCheck(split, name, len(steps))
        for step in steps:
            va, vb = by_run[a].get(step), by_run[b].get(step)
            if step not in by_run[a] or step not in by_run[b] or not _same(va, vb):
                check.first_difference = (step, va, vb)
                break
        checks.append(check)
    return checks, skipped


def _sample_check(store: Store, a: str, b: str) -> tuple[int, str | None]:
    cols = "split, step, idx, input, reference, output, CAST(extra AS VARCHAR)"
    ra = store._q(
        f"SELECT {cols} FROM samples WHERE run_id = ? ORDER BY split, step, idx", [a]
    ).rows()
    rb = store._q(
        f"SELECT {cols} FROM samples WHERE run_id = ? ORDER BY split, step, idx", [b]
    ).rows()
    for x, y in zip(ra, rb, strict=False):
        if x != y:
            split, step, idx = x[:3]
            what = (
                next(
                    n
                    for n, u, v in zip(
                        ("input", "reference", "output", "extra"), x[3:], y[3:], strict=True
                    )
                    if u != v
                )
                if x[:3] == y[:3]
                else "position"
            )
            return len(ra), f"sample {split} step {step} #{idx}: {what} differs"
    if len(ra) != len(rb):
        return len(ra), f"samples: {len(ra)} rows vs {len(rb)}"
    return len(ra), None


def _artifact_check(store: Store, a: str, b: str) -> tuple[int, str | None]:
    def hashes(run_id: str) -> dict[str, str]:
        rows = store._q("SELECT name, sha256 FROM artifacts WHERE run_id = ?", [run_id]).rows()
        return {name: sha for name, sha in rows}

    ha, hb = hashes(a), hashes(b)
    for name in sorted(set(ha) | set(hb)):
        if name not in hb:
            return len(ha), f"artifact {name}: missing in the rerun"
        if name not in ha:
            return len(ha), f"artifact {name}: only in the rerun"
        if ha[name] != hb[name]:
            return len(ha), f"artifact {name}: sha256 {ha[name][:12]} vs {hb[name][:12]}"
    return len(ha), None


def compare_runs(store: Store, a: str, b: str) -> ReproCheck:
    """Compare every metric at every step, every sample and every artifact hash of two runs."""
    status = dict(store._q("SELECT run_id, status FROM runs WHERE run_id IN (?, ?)", [a, b]).rows())
    check = ReproCheck(a, b, status=(str(status.get(a)), str(status.get(b))))
    check.metrics, check.skipped_timings = _metric_checks(store, a, b)
    check.samples = _sample_check(store, a, b)
    check.artifacts = _artifact_check(store, a, b)
    return check


def check_table(check: ReproCheck) -> Any:
    """A rich table: one row per metric (matched, or where it first differs)."""
    from rich.table import Table

    table = Table(title="rerun against the original", title_justify="left")
    for col in ("split", "metric", "steps", "result"):
        table.add_column(col, justify="right" if col == "steps" else "left")
    for m in check.metrics:
        if m.first_difference is None:
            result = "[green]same[/green]"
        else:
            step, va, vb = m.first_difference
            result = f"[red]differs at step {step}: {_num(va)} vs {_num(vb)}[/red]"
        table.add_row(m.split, m.name, str(m.steps), result)
    for label, (n, diff) in (("samples", check.samples), ("artifacts", check.artifacts)):
        table.add_row("", label, str(n), f"[red]{diff}[/red]" if diff else "[green]same[/green]")
    return table


def summary(check: ReproCheck) -> dict[str, Any]:
    """The JSON form (``--json``) and what tests compare."""
    return {
        "original": check.a,
        "rerun": check.b,
        "matched": check.matched,
        "first_difference": check.first_difference(),
        "metrics": [
            {
                "split": m.split,
                "name": m.name,
                "steps": m.steps,
                "matched": m.matched,
                "first_difference": m.first_difference,
            }
            for m in check.metrics
        ],
        "skipped_timings": check.skipped_timings,
        "samples": {"rows": check.samples[0], "difference": check.samples[1]},
        "artifacts": {"files": check.artifacts[0], "difference": check.artifacts[1]},
    }
