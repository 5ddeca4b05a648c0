"""Finding runs by their params and final metrics without writing SQL.

``model.optimizer=adam``, ``model.lr<=1e-3`` or ``eval/accuracy>0.8`` filter runs (a path
with a ``/`` is ``split/metric``, any other path is a param of the resolved spec), and a sort
on a final metric puts the best runs first. It is what MLflow's ``search_runs`` filter
strings and ``order_by`` do, answered from the ``params`` and ``metrics_final`` tables in the
same query as the runs themselves. Anything more (OR, aggregates, windows) is SQL's job:
``specrun query``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..errors import StoreError

_CONDITION = re.compile(r"^\s*([^<>=!\s]+)\s*(<=|>=|!=|==|=|<|>)\s*(.*?)\s*$")
_ORDERING = ("<", "<=", ">", ">=")
EXAMPLES = "e.g. model.optimizer=adam, model.lr<=1e-3 or eval/accuracy>0.8"


@dataclass(frozen=True)
class Condition:
    path: str
    op: str
    value: Any
    text: str

    @property
    def metric(self) -> tuple[str, str] | None:
        """(split, name) when the path names a metric."""
        if "/" not in self.path:
            return None
        split, name = self.path.split("/", 1)
        return split, name


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_condition(text: str) -> Condition:
    """``PATH OP VALUE`` with OP one of = != < <= > >=; the value is typed as YAML would."""
    found = _CONDITION.match(text)
    if not found or not found.group(3):
        raise StoreError(
            f"--where {text!r}: write PATH OP VALUE with OP one of = != < <= > >= ({EXAMPLES})"
        )
    path, op, raw = found.groups()
    op = "=" if op == "==" else op
    value = _literal(raw)
    cond = Condition(path, op, value, text.strip())
    if cond.metric is not None and not _is_number(value):
        raise StoreError(f"--where {text!r}: metric {path} is compared with a number, not {raw!r}")
    if op in _ORDERING and not _is_number(value):
        raise StoreError(
            f"--where {text!r}: {op} compares numbers; {raw!r} is not one (use = or !=)"
        )
    return cond


def conditions(where: Any) -> list[Condition]:
    """Conditions from strings, ``Condition``s, or a mapping of path to value (all ``=``)."""
    if not where:
        return []
    if isinstance(where, dict):
        return [Condition(str(k), "=", v, f"{k}={v}") for k, v in where.items()]
    if isinstance(where, str | Condition):
        where = [where]
    return [w if isinstance(w, Condition) else parse_condition(str(w)) for w in where]


def condition_sql(cond: Condition) -> tuple[str, list[Any]]:
    """A ``run_id IN (...)`` clause and its arguments."""
    metric = cond.metric
    if metric is not None:
        return (
            f"run_id IN (SELECT run_id FROM metrics_final WHERE split = ? AND name = ? AND value {cond.op} ?)",
            [*metric, cond.value],
        )
    value = cond.value
    column = (
        "value_bool"
        if isinstance(value, bool)
        else "value_num"
        if _is_number(value)
        else "value_str"
    )
    if column == "value_str" and value is None:
        column = "type"
        value = "null"
    return (
        f"run_id IN (SELECT run_id FROM params WHERE path = ? AND {column} {cond.op} ?)",
        [cond.path, value],
    )


@dataclass(frozen=True)
class Sort:
    split: str
    name: str
    descending: bool

    @property
    def column(self) -> str:
        return f"{self.split}/{self.name}"


_LOWER_IS_BETTER = re.compile(
    r"(loss|error|err$|^err|perplexity|ppl|wer$|cer$|ter$|mse|rmse|mae|distance|time|latency)",
    re.IGNORECASE,
)


def direction(name: str) -> str:
    """'min' when a smaller value of metric ``name`` is better, else 'max'."""
    return "min" if _LOWER_IS_BETTER.search(name) else "max"


def parse_sort(text: str) -> Sort:
    """``split/metric``, best first (a loss or error ascending, anything else descending);
    a leading ``+`` forces ascending and ``-`` descending."""
    raw = text.strip()
    forced = raw[:1] if raw[:1] in "+-" else ""
    path = raw[1:] if forced else raw
    if "/" not in path or path.startswith("/") or path.endswith("/"):
        raise StoreError(
            f"--sort {text!r}: name a metric as split/name, e.g. eval/accuracy or -eval/loss"
        )
    split, name = path.split("/", 1)
    descending = forced == "-" if forced else direction(name) == "max"
    return Sort(split, name, descending)


def _suggest(wanted: str, known: list[str]) -> str:
    close = difflib.get_close_matches(wanted, known, n=1)
    if close:
        return f' (did you mean "{close[0]}"?)'
    return ""


def check_paths(store: Any, conds: list[Condition], sort: Sort | None) -> None:
    """Called when a search found nothing: a path that no run has, or a comparison that
    cannot hold for the param's type, is the user's mistake and gets a clear error."""
    metric_keys = None
    for cond in conds:
        metric = cond.metric
        if metric is not None:
            metric_keys = metric_keys or _metric_keys(store)
            if cond.path not in metric_keys:
                raise StoreError(
                    f"--where {cond.text!r}: no run has a metric {cond.path}{_suggest(cond.path, metric_keys)}"
                )
            continue
        types = store._q("SELECT DISTINCT type FROM params WHERE path = ?", [cond.path])[
            "type"
        ].to_list()
        if not types:
            paths = store._q("SELECT DISTINCT path FROM params")["path"].to_list()
            raise StoreError(
                f"--where {cond.text!r}: no run has a param {cond.path}{_suggest(cond.path, paths)}"
            )
        wanted = {bool: "bool"}.get(type(cond.value), "number" if _is_number(cond.value) else "str")
        have = {"int": "number", "float": "number"}
        if cond.value is not None and wanted not in {have.get(t, t) for t in types}:
            raise StoreError(
                f"--where {cond.text!r}: {cond.path} holds {'/'.join(sorted(types))} values, "
                f"so it cannot match the {wanted} {cond.value!r}"
            )
    if sort is not None:
        check_sort(store, sort, metric_keys)


def _metric_keys(store: Any) -> list[str]:
    rows = store._q("SELECT DISTINCT split || '/' || name AS key FROM metrics_final ORDER BY key")
    return rows["key"].to_list()


def check_sort(store: Any, sort: Sort, metric_keys: list[str] | None = None) -> None:
    keys = metric_keys or _metric_keys(store)
    if sort.column not in keys:
        raise StoreError(
            f"--sort {sort.column}: no run has this metric{_suggest(sort.column, keys)}"
        )
