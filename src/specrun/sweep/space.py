"""The plan of a sweep, built from the spec's ``sweep:`` section before any trial starts.

- every swept value is checked against the spec: bounds and choices are applied one at a
  time and the spec re-validated, so a bad bound fails now, not in trial 7 of 20;
- random and grid search are planned here, on the driver, with the spec's seed: the list of
  trials is the same every time, which is what lets ``--resume`` skip the finished ones;
- optuna and hyperopt suggest adaptively, so for them the space becomes Tune domains;
- the scheduler (fifo, asha) is built with its params checked against its signature.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError, SpecIssue, UserError, did_you_mean
from ..spec import ResolvedSpec, canonical_json, load_resolved, set_path

SPLITS = ("train", "eval", "test")
ADAPTIVE = ("optuna", "hyperopt")
SEARCH_PACKAGES = {"optuna": "optuna", "hyperopt": "hyperopt"}


@dataclass(frozen=True)
class Dimension:
    path: str  # dotted spec path, e.g. trainer.lr or augment[0].alpha
    kind: str  # choice, grid, uniform, loguniform, randint, qrandint
    args: tuple[Any, ...]

    def sample(self, rng: Any) -> Any:
        a = self.args
        if self.kind in ("choice", "grid"):
            return copy.deepcopy(a[int(rng.integers(len(a)))])
        if self.kind == "randint":  # [low, high): Tune's convention
            return int(rng.integers(int(a[0]), int(a[1])))
        if self.kind == "qrandint":  # low..high inclusive, multiples of q
            q = int(a[2])
            return int(min(a[1], max(a[0], round(rng.uniform(a[0], a[1]) / q) * q)))
        if self.kind == "uniform":
            value = float(rng.uniform(a[0], a[1]))
        else:  # loguniform
            value = float(math.exp(rng.uniform(math.log(a[0]), math.log(a[1]))))
        if len(a) == 3:  # an optional quantum
            value = round(value / a[2]) * a[2]
        return value

    def edge_values(self) -> list[tuple[str, Any]]:
        """The values whose validity proves every sample valid (bounds, each choice)."""
        a = self.args
        if self.kind in ("choice", "grid"):
            return [(f"{self.kind} value {v!r}", v) for v in a]
        if self.kind == "randint":
            return [("low bound", int(a[0])), ("high bound - 1", int(a[1]) - 1)]
        if self.kind == "qrandint":
            return [("low bound", int(a[0])), ("high bound", int(a[1]))]
        return [("low bound", a[0]), ("high bound", a[1])]

    def tune_domain(self) -> Any:
        from ray import tune

        a = self.args
        if self.kind == "choice":
            return tune.choice(list(a))
        if self.kind == "randint":
            return tune.randint(int(a[0]), int(a[1]))
        if self.kind == "qrandint":
            return tune.qrandint(int(a[0]), int(a[1]), int(a[2]))
        if self.kind == "uniform":
            return tune.quniform(*a) if len(a) == 3 else tune.uniform(a[0], a[1])
        if self.kind == "loguniform":
            return tune.qloguniform(*a) if len(a) == 3 else tune.loguniform(a[0], a[1])
        raise UserError(
            f"sweep.space.{self.path}: grid needs search: random or grid "
            "(adaptive searchers sample; use choice)"
        )


@dataclass
class SweepPlan:
    spec: ResolvedSpec  # the sweep's spec, sweep section included
    metric: str  # split/name as stored, e.g. eval/accuracy
    mode: str
    search: str
    num_samples: int
    max_concurrent: int | None
    max_failures: int
    scheduler: str
    scheduler_params: dict[str, Any]
    dims: list[Dimension]
    trials: list[dict[str, Any]] | None = None  # planned trials (random, grid); None: adaptive
    base: dict[str, Any] = field(default_factory=dict)  # the spec without its sweep section

    @property
    def total(self) -> int:
        return len(self.trials) if self.trials is not None else self.num_samples

    def resources_of(self, values: dict[str, Any]) -> dict[str, Any]:
        """The ``resources`` of one trial (they may be swept, e.g. resources.custom)."""
        if any(d.path.split(".")[0].split("[")[0] == "resources" for d in self.dims):
            return self.trial_spec(values).data.get("resources", {})  # validated: 4GB -> bytes
        return copy.deepcopy(self.base.get("resources", {}))

    def trial_spec(self, values: dict[str, Any]) -> ResolvedSpec:
        """The resolved spec of one trial: sweep removed, sampled values applied."""
        return trial_spec(self.base, values, self.spec.path, self.spec.text)


PLANNED_KEY = "plan"  # pbt: planned trials go through Tune's own generator, as this key


def trial_of(config: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
    """(trial index, swept values) of a Tune trial config, in any of its three shapes:
    ``{"trial_index", "values"}`` (planned, our searcher), the same under ``"plan"`` (planned,
    pbt) or ``{path: value}`` (adaptive searchers, index None)."""
    config = config.get(PLANNED_KEY, config)
    if "values" in config:
        return config.get("trial_index"), dict(config["values"])
    return None, dict(config)


def metric_key(metric: str) -> str:
    """``bleu`` means eval/bleu; ``eval/accuracy`` and ``train/loss`` are explicit."""
    split, sep, name = metric.partition("/")
    if not sep:
        return f"eval/{metric}"
    if split not in SPLITS or not name:
        raise UserError(
            f"sweep.metric: {metric!r} should be a metric name (meaning eval/NAME) "
            f"or SPLIT/NAME with SPLIT one of {', '.join(SPLITS)}"
        )
    return metric


def trial_spec(base: dict[str, Any], values: dict[str, Any], path: str, text: str) -> ResolvedSpec:
    data = copy.deepcopy(base)
    for key, value in values.items():
        set_path(data, key, value)
    spec = load_resolved(data, path=path, text=text)
    spec.overrides = [f"{k}={canonical_json(v)}" for k, v in values.items()]
    return spec


def without_sweep(data: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in data.items() if k != "sweep"}


def _check_values(base: dict[str, Any], dims: list[Dimension], spec: ResolvedSpec) -> None:
    issues: list[SpecIssue] = []
    for dim in dims:
        for label, value in dim.edge_values():
            try:
                trial_spec(base, {dim.path: value}, spec.path, spec.text)
            except SpecError as exc:
                reason = "; ".join(f"{i.path}: {i.message}" for i in exc.issues)
                issues.append(
                    SpecIssue(
                        spec.path,
                        None,
                        None,
                        f"sweep.space.{dim.path}",
                        f"the {label} ({value!r}) is not a valid value: {reason}",
                    )
                )
    if issues:
        raise SpecError(issues)


def _scheduler(raw: Any) -> tuple[str, dict[str, Any]]:
    """``asha``, ``{asha: {grace_period: 1}}`` or ``{kind: asha, grace_period: 1}``."""
    if isinstance(raw, str):
        return raw, {}
    raw = dict(raw)
    if "kind" in raw:
        return str(raw.pop("kind")), raw
    if len(raw) == 1:
        ((kind, params),) = raw.items()
        if isinstance(params, dict):
            return str(kind), dict(params)
    raise UserError("sweep.scheduler: expected fifo, asha, {asha: {params}} or {kind: asha, ...}")


# PBT's params that the sweep's space or specrun itself provides.
PBT_OWN = ("hyperparam_mutations", "custom_explore_fn", "log_config", "require_attrs")


def build_scheduler(plan: SweepPlan, nested: bool = True) -> Any:
    """The Tune scheduler; its params are checked against the constructor's signature.

    ``nested``: trial configs are ``{"plan": {"trial_index", "values": {path: value}}}``
    (planned search) rather than ``{path: value}`` (adaptive); PBT mutates the values there."""
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, PopulationBasedTraining

    kind, params = plan.scheduler, dict(plan.scheduler_params)
    classes = {"fifo": FIFOScheduler, "asha": ASHAScheduler, "pbt": PopulationBasedTraining}
    if kind not in classes:
        raise UserError(
            f"sweep.scheduler: unknown scheduler {kind!r}{did_you_mean(kind, list(classes))}; "
            f"known: {', '.join(classes)}"
        )
    cls = classes[kind]
    skip = ("self", "metric", "mode", *(PBT_OWN if kind == "pbt" else ()))
    allowed = sorted(p for p in inspect.signature(cls.__init__).parameters if p not in skip)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise UserError(
            f"sweep.scheduler: {kind} has no parameter {unknown[0]!r}"
            f"{did_you_mean(unknown[0], allowed)}; it takes: {', '.join(allowed) or 'none'}"
        )
    if kind == "asha" and params.get("time_attr", "training_iteration") not in (
        "training_iteration",
        "step",
    ):
        raise UserError("sweep.scheduler.asha.time_attr: training_iteration (evals so far) or step")
    if kind == "pbt":
        params = _pbt_params(plan, params, nested)
    given = {k: v for k, v in params.items() if k in plan.scheduler_params}  # what the spec says
    try:
        return cls(**params)
    except (AssertionError, TypeError, ValueError) as exc:
        raise UserError(
            f"sweep.scheduler: {kind} rejects {given}: {exc or 'invalid values'}"
        ) from None


def _pbt_params(plan: SweepPlan, params: dict[str, Any], nested: bool) -> dict[str, Any]:
    """PBT perturbs every swept value except resources, kept inside the space's bounds.

    Its clock is the run's ``step`` (what trainers count: epochs, optimizer steps), so
    ``perturbation_interval: 2`` means every 2 steps."""
    params.setdefault("time_attr", "step")
    params.setdefault("perturbation_interval", 1)
    if params["time_attr"] not in ("training_iteration", "step"):
        raise UserError(
            "sweep.scheduler.pbt.time_attr: step (the run's step) or training_iteration (evals so far)"
        )
    dims = [d for d in plan.dims if d.path.split(".")[0].split("[")[0] != "resources"]
    if not dims:
        raise UserError(
            "sweep.scheduler: pbt has nothing to perturb (the space only sweeps resources)"
        )
    mutations: dict[str, Any] = {}
    for dim in dims:
        # a list is shifted one place left or right; a domain is scaled by 0.8 or 1.2
        mutations[dim.path] = (
            list(dim.args) if dim.kind in ("choice", "grid") else dim.tune_domain()
        )
    params["hyperparam_mutations"] = {PLANNED_KEY: {"values": mutations}} if nested else mutations
    params["custom_explore_fn"] = _Clamp(dims, nested)
    params["log_config"] = False  # writes files into Tune's dir; the store keeps the lineage
    return params


class _Clamp:
    """PBT multiplies numbers by 0.8 or 1.2; keep them inside the space the spec allows."""

    def __init__(self, dims: list[Dimension], nested: bool):
        self.bounds = {
            d.path: (d.kind, d.args)
            for d in dims
            if d.kind in ("uniform", "loguniform", "randint", "qrandint")
        }
        self.nested = nested

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        values = config[PLANNED_KEY]["values"] if self.nested else config
        for path, (kind, args) in self.bounds.items():
            if path not in values:
                continue
            low, high = args[0], args[1]
            if kind == "randint":
                high = high - 1  # [low, high)
            value = min(max(values[path], low), high)
            if kind in ("randint", "qrandint"):
                value = int(round(value))
                if kind == "qrandint":
                    q = int(args[2])
                    value = int(min(high, max(low, round(value / q) * q)))
            elif len(args) == 3:
                value = round(value / args[2]) * args[2]
            values[path] = value
        return config


def _planned_trials(
    dims: list[Dimension], search: str, num_samples: int, seed: int
) -> list[dict[str, Any]]:
    """Tune's convention: grid values are crossed; each grid point runs num_samples times
    with the other values sampled. ``search: grid`` enumerates choice lists too."""
    import numpy as np

    rng = np.random.default_rng(seed)
    enumerated = [d for d in dims if d.kind == "grid" or (search == "grid" and d.kind == "choice")]
    sampled = [d for d in dims if d not in enumerated]
    trials = []
    for point in itertools.product(*[d.args for d in enumerated]):
        for _ in range(num_samples):
            values = {d.path: copy.deepcopy(v) for d, v in zip(enumerated, point, strict=True)}
            values.update({d.path: d.sample(rng) for d in sampled})
            trials.append({d.path: values[d.path] for d in dims})  # in the order written
    return trials


def build_plan(spec: ResolvedSpec) -> SweepPlan:
    """Check the sweep section against the spec and plan it. Raises ``SpecError`` (located
    in the spec file) or ``UserError``."""
    try:
        return _build_plan(spec)
    except UserError as exc:
        match = re.match(r"(sweep(?:\.[^\s:]+)?): (.*)", str(exc), flags=re.S)
        if match is None or isinstance(exc, SpecError):
            raise
        raise SpecError([spec.issue(match.group(1), match.group(2))]) from None


def _build_plan(spec: ResolvedSpec) -> SweepPlan:
    sweep = spec.data.get("sweep")
    if not sweep:
        raise UserError(f"{spec.path}: the spec has no sweep: section")
    if spec.data.get("cv"):
        raise UserError(
            "a spec with both sweep: and cv: is not supported yet: sweep the spec "
            "without cv:, then cross-validate the best trial's spec"
        )
    if not sweep.get("space"):
        raise UserError(
            "sweep.space: nothing to sweep (add dotted spec paths, "
            "e.g. model.lr: {loguniform: [1e-4, 1]})"
        )
    dims = [
        Dimension(path, kind, tuple(args))
        for path, dom in sweep["space"].items()
        for kind, args in dom.items()
    ]
    base = without_sweep(spec.data)
    _check_values(base, dims, spec)
    search = sweep.get("search", "random")
    scheduler, params = _scheduler(sweep.get("scheduler", "fifo"))
    plan = SweepPlan(
        spec,
        metric_key(sweep["metric"]),
        sweep.get("mode", "max"),
        search,
        int(sweep.get("num_samples", 1)),
        sweep.get("max_concurrent"),
        int(sweep.get("max_failures", 0)),
        scheduler,
        params,
        dims,
        base=base,
    )
    build_scheduler(plan)  # fail before anything is written
    if search in ADAPTIVE:
        if scheduler == "pbt":
            raise UserError(
                f"sweep.search: pbt draws and perturbs its own population; use search: random "
                f"or grid with it (Ray Tune cannot combine pbt with {search})"
            )
        check_search_installed(search)
        for dim in dims:
            dim.tune_domain()  # grid is refused here
    else:
        plan.trials = _planned_trials(dims, search, plan.num_samples, spec.seed)
    return plan


def check_search_installed(search: str) -> None:
    import importlib.util

    package = SEARCH_PACKAGES[search]
    if importlib.util.find_spec(package) is None:
        raise UserError(
            f"sweep.search: {search} needs the {package} package, which is not installed "
            f"(pip install {package}); search: random and grid need nothing more"
        )


def build_searcher(plan: SweepPlan, done: list[tuple[dict[str, Any], float]]) -> Any:
    """An adaptive searcher that already knows the finished trials of a resumed sweep."""
    points = [values for values, _ in done] or None
    rewards = [value for _, value in done] or None
    if plan.search == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        return OptunaSearch(
            metric=plan.metric,
            mode=plan.mode,
            seed=plan.spec.seed,
            points_to_evaluate=points,
            evaluated_rewards=rewards,
        )
    from ray.tune.search.hyperopt import HyperOptSearch

    # Ray's HyperOptSearch takes no evaluated points: a resumed sweep's finished trials cannot
    # inform it, so it draws afresh from another seed (the same seed would repeat them).
    return HyperOptSearch(
        metric=plan.metric, mode=plan.mode, random_state_seed=plan.spec.seed + len(done)
    )
