"""Specs: loading (with extends and overrides), validation with exact locations, and the
canonical resolved form with its hash.

The core validates the frame (sections and their shapes); each component's parameters are
validated by the pydantic model its plugin registered. Nothing here imports a framework.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .components import LIST_SECTIONS, SECTIONS, Component
from .errors import SpecError, SpecIssue, did_you_mean
from .yamlpos import (
    MAX_SPEC_BYTES,
    PathKey,
    Position,
    dotted,
    load_yaml_file,
    load_yaml_text,
    parse_dotted,
    read_bounded,
)

SPACE_KINDS = ("choice", "grid", "uniform", "loguniform", "randint", "qrandint")
# Seeds are stored as BIGINT and handed to torch (which takes -2**63 .. 2**64-1): the
# range both accept. A 4,000-digit seed used to validate and then crash the run.
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1
MAX_SPEC_FILES = 32  # a spec and everything it extends


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Resources(_Frame):
    workers: int = Field(
        1, ge=1, description="data-parallel workers (Ray Train); cpus/gpus are each worker's"
    )
    cpus: float = Field(1.0, gt=0, description="CPU cores for the run's actor (per worker)")
    gpus: float = Field(
        0.0,
        ge=0,
        description="GPUs per worker (fractions pack trials on one card; whole with workers > 1)",
    )
    max_failures: int = Field(
        0, ge=0, description="worker-group restarts from the last checkpoint (workers > 1)"
    )
    memory: int | None = Field(None, gt=0, description="memory in bytes for the actor")
    custom: dict[str, float] = Field(default_factory=dict, description="custom Ray resources")

    @field_validator("memory", mode="before")
    @classmethod
    def _parse_memory(cls, v: Any) -> Any:
        if isinstance(v, str):
            units = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "ki": 2**10, "mi": 2**20, "gi": 2**30}
            s = v.strip().lower().removesuffix("b")
            for suffix in sorted(units, key=len, reverse=True):
                if s.endswith(suffix):
                    try:
                        return int(float(s[: -len(suffix)]) * units[suffix])
                    except ValueError:
                        break
            try:
                return int(float(s))
            except ValueError:
                raise ValueError(f"expected a size like 4GB or 512MiB, got {v!r}") from None
        return v

    @model_validator(mode="after")
    def _whole_gpus(self) -> Resources:
        if self.workers > 1 and self.gpus and self.gpus != int(self.gpus):
            raise ValueError(
                f"gpus: {self.gpus:g} GPU per worker with workers: {self.workers}: data-parallel "
                "workers each need whole GPUs (NCCL puts one rank on one card); use gpus: 1, or workers: 1"
            )
        return self


class SweepSpec(_Frame):
    metric: str
    mode: Literal["min", "max"] = "max"
    num_samples: int = Field(1, gt=0)
    max_concurrent: int | None = Field(None, gt=0)
    search: Literal["random", "grid", "optuna", "hyperopt"] = "random"
    scheduler: Literal["fifo", "asha", "pbt"] | dict[str, Any] = "fifo"
    max_failures: int = Field(0, ge=0)
    space: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("space")
    @classmethod
    def _check_space(cls, space: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for path, dom in space.items():
            if len(dom) != 1 or next(iter(dom)) not in SPACE_KINDS:
                raise ValueError(
                    f"{path}: expected exactly one of {', '.join(SPACE_KINDS)}, got {sorted(dom)}"
                )
            ((kind, val),) = dom.items()
            if kind in ("choice", "grid"):
                if not isinstance(val, list) or not val:
                    raise ValueError(f"{path}: {kind} needs a non-empty list")
            else:
                need = 3 if kind == "qrandint" else 2
                if (
                    not isinstance(val, list)
                    or len(val) not in (need, 3)
                    or not all(isinstance(x, (int, float)) for x in val)
                ):
                    raise ValueError(
                        f"{path}: {kind} needs [low, high]" + (", q" if need == 3 else "")
                    )
                if val[0] >= val[1]:
                    raise ValueError(f"{path}: {kind} needs low < high, got {val[:2]}")
                if kind == "loguniform" and val[0] <= 0:
                    raise ValueError(f"{path}: loguniform needs low > 0")
        return space


class CVSpec(_Frame):
    folds: int = Field(5, ge=2)
    stratify: str | None = None
    shuffle: bool = True
    seed: int | None = Field(None, ge=SEED_MIN, le=SEED_MAX)


class ComponentRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str


class SpecFrame(_Frame):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    description: str = ""
    seed: int = Field(0, ge=SEED_MIN, le=SEED_MAX)
    deterministic: bool = Field(
        False, description="also use the frameworks' deterministic kernels (slower on GPUs)"
    )
    tags: list[str] = Field(default_factory=list)
    extends: str | list[str] | None = None
    data: ComponentRef
    augment: list[ComponentRef] = Field(default_factory=list)
    model: ComponentRef
    trainer: ComponentRef | None = None
    metrics: list[ComponentRef] = Field(default_factory=list)
    resources: Resources = Field(default_factory=Resources)
    sweep: SweepSpec | None = None
    cv: CVSpec | None = None


TOP_LEVEL = tuple(SpecFrame.model_fields)
# Not part of what a run does: left out of the hash so that renaming does not change it.
UNHASHED = ("name", "description", "tags", "extends")


@dataclass
class ResolvedSpec:
    path: str
    text: str  # the spec as written (top file)
    data: dict[str, Any]  # resolved: extends merged, overrides applied, defaults filled
    hash: str
    components: dict[str, Any] = field(
        default_factory=dict
    )  # section -> (Component, params) or list
    overrides: list[str] = field(default_factory=list)
    located: _Located | None = field(
        default=None, repr=False, compare=False
    )  # where paths were written

    def issue(self, path: str, message: str) -> SpecIssue:
        """A problem at a dotted path, located in the file where it (or its parent) was written."""
        if self.located is None:
            return SpecIssue(self.path, None, None, path, message)
        try:
            keys = parse_dotted(path)
        except Exception:  # noqa: BLE001 - a path we cannot parse is located at the spec
            keys = ()
        import dataclasses

        return dataclasses.replace(self.located.issue(keys, message), path=path)

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def seed(self) -> int:
        return int(self.data.get("seed", 0))

    def canonical(self) -> str:
        return canonical_json(self.data)

    def stored_json(self) -> str:
        """The resolved spec as the store keeps it, in the order it was written: a rerun
        validates this, and components that iterate a params dict (a model config, a grid)
        or write it to a file must see the same order as the first run did. Comparisons and
        the hash use ``canonical()``, whose keys are sorted."""
        return json.dumps(self.data, ensure_ascii=False, default=str)

    def frameworks(self) -> tuple[Any, ...]:
        """What the run's components declared to be seeded (``Component.seeds``), in order."""
        out: list[Any] = []
        for value in self.components.values():
            for comp, _params in value if isinstance(value, list) else [value]:
                out.extend(fw for fw in comp.seeds if fw not in out)
        return tuple(out)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def spec_hash(data: dict[str, Any]) -> str:
    # Plugins' sections (notify:, wandb:) say how a run is observed: not hashed either.
    hashed = {k: v for k, v in data.items() if k in TOP_LEVEL and k not in UNHASHED}
    return hashlib.sha256(canonical_json(hashed).encode()).hexdigest()


# ----------------------------------------------------------------------------- loading


class _Located:
    """Data plus where each path came from, across files and overrides."""

    def __init__(self) -> None:
        self.positions: dict[PathKey, Position] = {}
        self.files: list[str] = []

    def where(self, path: PathKey) -> Position:
        p = tuple(path)
        while True:
            if p in self.positions:
                return self.positions[p]
            if not p:
                return (self.files[-1] if self.files else "<spec>", 0, 0)
            p = p[:-1]

    def issue(self, path: PathKey, message: str) -> SpecIssue:
        file, line, col = self.where(path)
        return SpecIssue(file, line or None, col or None, dotted(path), message)


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; anything else (lists included) is replaced by ``over``."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def _load_with_extends(path: Path, loc: _Located, chain: tuple[Path, ...]) -> dict[str, Any]:
    if len(loc.files) + len(chain) >= MAX_SPEC_FILES:
        raise SpecError(
            [
                SpecIssue(
                    str(path),
                    None,
                    None,
                    "extends",
                    f"more than {MAX_SPEC_FILES} spec files extend one another",
                )
            ]
        )
    data, positions = load_yaml_file(path, TOP_LEVEL)
    if data is None:
        raise SpecError([SpecIssue(str(path), None, None, "", "spec is empty")])
    if not isinstance(data, dict):
        raise SpecError(
            [
                SpecIssue(
                    str(path),
                    1,
                    1,
                    "",
                    f"a spec is a mapping of sections, got {type(data).__name__}",
                )
            ]
        )
    ext = data.get("extends")
    merged: dict[str, Any] = {}
    if ext:
        bases = [ext] if isinstance(ext, str) else ext
        if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
            f, line, col = positions.get(("extends",), (str(path), 0, 0))
            raise SpecError(
                [SpecIssue(f, line, col, "extends", "expected a path or a list of paths")]
            )
        for i, b in enumerate(bases):
            base_path = (path.parent / b).resolve()
            if base_path in chain or base_path == path.resolve():
                f, line, col = positions.get(("extends",), (str(path), 0, 0))
                raise SpecError([SpecIssue(f, line, col, "extends", f"extends cycle through {b}")])
            if not base_path.is_file():
                key = ("extends", i) if isinstance(ext, list) else ("extends",)
                f, line, col = positions.get(key, (str(path), 0, 0))
                raise SpecError(
                    [
                        SpecIssue(
                            f,
                            line,
                            col,
                            dotted(key),
                            f"base spec does not exist: {b} (looked at {base_path})",
                        )
                    ]
                )
            merged = deep_merge(
                merged, _load_with_extends(base_path, loc, chain + (path.resolve(),))
            )
    loc.positions.update(positions)
    loc.files.append(str(path))
    data = {k: v for k, v in data.items() if k != "extends"} if ext else data
    out = deep_merge(merged, data)
    if ext:
        out["extends"] = ext if not chain else out.get("extends")
    return out


def _override_error(path: str, message: str) -> SpecError:
    """An error in a ``-o PATH=VALUE`` override: it has no file or line, only its path."""
    return SpecError([SpecIssue("<command line>", None, None, path, message)])


def apply_override(data: dict[str, Any], text: str, loc: _Located) -> None:
    where = f"-o {text if len(text) <= 80 else text[:77] + '...'}"
    if "=" not in text:
        raise _override_error(text, f"override {where!r}: expected dotted.path=value")
    raw_path, _, raw_value = text.partition("=")
    try:
        path = parse_dotted(raw_path.strip())
    except ValueError as exc:
        raise _override_error(raw_path, f"override {where!r}: {exc}") from None
    if len(raw_value) > MAX_SPEC_BYTES:
        raise _override_error(raw_path, f"override {where!r}: the value is larger than 1 MiB")
    try:
        value = load_yaml_text(raw_value, "<command line>")[0] if raw_value.strip() else ""
    except SpecError as exc:
        reason = exc.issues[0].message.replace("malformed YAML", "the value is not valid YAML", 1)
        raise _override_error(raw_path, f"override {where!r}: {reason}") from None
    if path[0] not in TOP_LEVEL and path[0] not in plugin_sections():
        known = (*TOP_LEVEL, *plugin_sections())
        raise _override_error(
            dotted(path),
            f"override {where!r}: unknown section {path[0]!r}{did_you_mean(str(path[0]), known)}",
        )
    node: Any = data
    for i, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise _override_error(
                    dotted(path[: i + 1]),
                    f"override {where!r}: no list item {part} (the list has {len(node)})",
                )
            node = node[part]
        elif isinstance(node, dict):
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            raise _override_error(
                dotted(path[: i + 1]),
                f"override {where!r}: {dotted(path[: i + 1])} is a {type(node).__name__}, not a section",
            )
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last >= len(node):
            raise _override_error(dotted(path), f"override {where!r}: no list item {last}")
    elif not isinstance(node, dict):
        raise _override_error(dotted(path), f"override {where!r}: parent is not a mapping")
    node[last] = value
    loc.positions[path] = ("<command line>", 0, 0)
    # Drop positions below the overridden path: they describe the old value.
    for key in [k for k in loc.positions if len(k) > len(path) and k[: len(path)] == path]:
        del loc.positions[key]


# ------------------------------------------------------------------------- validation


def _describe_input(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _pydantic_issues(
    exc: ValidationError, prefix: PathKey, loc: _Located, model: type[BaseModel] | None
) -> list[SpecIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        path = prefix + tuple(
            p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))
        )
        etype = err["type"]
        if etype == "extra_forbidden":
            key = path[-1]
            known = _known_keys(model, path[len(prefix) : -1]) if model is not None else []
            msg = f"unknown key {key!r}{did_you_mean(str(key), known)}"
            if known:
                shown = (
                    known if len(known) <= 15 else known[:15] + [f"... ({len(known) - 15} more)"]
                )
                msg += f"; expected one of: {', '.join(shown)}"
        elif etype == "missing":
            msg = f"required key {path[-1]!r} is missing"
        else:
            msg = err["msg"]
            if "input" in err and etype not in ("value_error", "assertion_error"):
                msg += f", got {_describe_input(err['input'])}"
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
        issues.append(loc.issue(path, msg))
    return issues


def _known_keys(model: type[BaseModel] | None, sub: PathKey) -> list[str]:
    m: Any = model
    for part in sub:
        if isinstance(part, int) or m is None:
            continue
        f = getattr(m, "model_fields", {}).get(part)
        if f is None:
            return []
        ann = f.annotation
        m = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    if m is None or not hasattr(m, "model_fields"):
        return []
    return sorted(m.model_fields)


def _validation_context(spec_path: Path, loc: _Located) -> dict[str, Any]:
    dirs = [Path(f).resolve().parent for f in reversed(loc.files) if not f.startswith("<")]
    dirs.append(Path.cwd())
    return {"base_dirs": list(dict.fromkeys(dirs)), "spec_path": str(spec_path)}


def _validate_component(
    section_path: PathKey,
    section: str,
    raw: Any,
    loc: _Located,
    context: dict[str, Any],
    issues: list[SpecIssue],
) -> tuple[Component, BaseModel] | None:
    from .plugins import get_registry

    registry = get_registry()
    kind = raw.get("kind")
    comp = registry.components.get((section, kind))
    if comp is None:
        issues.append(
            loc.issue(section_path + ("kind",), registry.unknown_kind_message(section, kind))
        )
        return None
    params_raw = {k: v for k, v in raw.items() if k != "kind"}
    try:
        params = comp.params.model_validate(params_raw, context=context)
    except ValidationError as exc:
        issues.extend(_pydantic_issues(exc, section_path, loc, comp.params))
        return None
    return comp, params


def _resolve_space_path(data: dict[str, Any], path: PathKey) -> bool:
    node: Any = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


def _check_sweep(data: dict[str, Any], loc: _Located, issues: list[SpecIssue]) -> None:
    sweep = data.get("sweep") or {}
    for key in sweep.get("space", {}):
        try:
            path = parse_dotted(key)
        except ValueError as exc:
            issues.append(loc.issue(("sweep", "space", key), str(exc)))
            continue
        if path and path[0] in ("sweep", "name", "extends"):
            issues.append(loc.issue(("sweep", "space", key), f"{path[0]} cannot be swept"))
        elif not _resolve_space_path(data, path):
            parent = path[:-1]
            known: list[str] = []
            node: Any = data
            for part in parent:
                node = (
                    node.get(part)
                    if isinstance(node, dict)
                    else (
                        node[part]
                        if isinstance(node, list) and isinstance(part, int) and part < len(node)
                        else None
                    )
                )
            if isinstance(node, dict):
                known = sorted(node)
            hint = did_you_mean(str(path[-1]), known) if known else ""
            issues.append(
                loc.issue(
                    ("sweep", "space", key), f"sweeps a path that is not in the spec: {key}{hint}"
                )
            )


def plugin_sections() -> dict[str, Any]:
    """Top-level sections that installed plugins own (``register_spec_sections``); core's
    own sections cannot be taken over."""
    from .plugins import get_registry

    return {k: v for k, v in get_registry().sections.items() if k not in TOP_LEVEL}


def _validate_plugin_sections(
    data: dict[str, Any], loc: _Located, context: dict[str, Any], issues: list[SpecIssue]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, section in plugin_sections().items():
        if name not in data:
            continue
        raw = data[name]
        try:
            out[name] = section.params.model_validate(
                {} if raw is None else raw, context=context
            ).model_dump(mode="json")
        except ValidationError as exc:
            issues.extend(_pydantic_issues(exc, (name,), loc, section.params))
    return out


def validate(
    data: dict[str, Any], loc: _Located, spec_path: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate frame and components; return (resolved data, components)."""
    issues: list[SpecIssue] = []
    owned = plugin_sections()
    context = _validation_context(spec_path, loc)
    extra = _validate_plugin_sections(data, loc, context, issues)
    try:
        frame = SpecFrame.model_validate({k: v for k, v in data.items() if k not in owned})
    except ValidationError as exc:
        sections = (*TOP_LEVEL, *owned)
        for issue in _pydantic_issues(exc, (), loc, SpecFrame):
            if (
                issue.message.startswith("unknown key")
                and "." not in issue.path
                and "[" not in issue.path
            ):
                key = issue.path
                issue = SpecIssue(
                    issue.file,
                    issue.line,
                    issue.column,
                    issue.path,
                    f"unknown section {key!r}{did_you_mean(key, sections)}; sections are: {', '.join(sections)}",
                )
            issues.append(issue)
        # Components of sections that did validate are still checked, for one full report.
        frame = None
    resolved: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for section in SECTIONS:
        raw = data.get(section)
        if raw is None:
            continue
        if section in LIST_SECTIONS:
            if not isinstance(raw, list):
                continue  # the frame reported it
            items = []
            for i, item in enumerate(raw):
                if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
                    continue
                got = _validate_component((section, i), section, item, loc, context, issues)
                if got:
                    items.append(got)
            components[section] = items
            resolved[section] = [{"kind": c.kind, **p.model_dump(mode="json")} for c, p in items]
        else:
            if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
                continue
            got = _validate_component((section,), section, raw, loc, context, issues)
            if got:
                components[section] = got
                resolved[section] = {"kind": got[0].kind, **got[1].model_dump(mode="json")}
    _check_pairing(data, loc, issues)
    if frame is not None:
        _check_workers(data, frame.resources.workers, loc, issues)
    if issues or frame is None:
        raise SpecError(_dedupe(issues))
    out = frame.model_dump(mode="json", exclude={"data", "augment", "model", "trainer", "metrics"})
    # workers: 1 and max_failures: 0 (today's runs) stay out of the resolved spec: its hash
    # and stored form do not change for every spec written before these keys existed.
    for key, default in (("workers", 1), ("max_failures", 0)):
        if out["resources"].get(key) == default:
            out["resources"].pop(key)
    out.update(resolved)
    out.update(extra)
    if out.get("trainer") is None:
        out.pop("trainer", None)
    _check_sweep(out, loc, issues)
    _check_columns(out, components, loc, issues)
    if issues:
        raise SpecError(issues)
    return out, components


def _check_pairing(data: dict[str, Any], loc: _Located, issues: list[SpecIssue]) -> None:
    """A model that needs a trainer has one, and the trainer says it can train that model
    (checked on the kinds alone, so a spec with wrong params hears of this too)."""
    from .plugins import get_registry

    registry = get_registry()

    def component(section: str) -> Component | None:
        raw = data.get(section)
        kind = raw.get("kind") if isinstance(raw, dict) else None
        return registry.components.get((section, kind)) if isinstance(kind, str) else None

    model, trainer = component("model"), component("trainer")
    if model is None or (trainer is None and data.get("trainer") is not None):
        return  # an unknown kind, reported already
    fitting = sorted(
        c.kind
        for (section, _), c in registry.components.items()
        if section == "trainer" and model.kind in c.trains
    )
    if trainer is None and model.needs_trainer:
        choice = f"; trainers that train it: {', '.join(fitting)}" if fitting else ""
        issues.append(
            loc.issue(
                ("model", "kind"),
                f"model kind {model.kind!r} needs a trainer: section "
                f"(it does not train itself){choice}",
            )
        )
    elif trainer is not None and trainer.trains and model.kind not in trainer.trains:
        choice = f" (trainers of {model.kind!r}: {', '.join(fitting)})" if fitting else ""
        issues.append(
            loc.issue(
                ("trainer", "kind"),
                f"trainer kind {trainer.kind!r} cannot train model kind "
                f"{model.kind!r}: it trains {', '.join(trainer.trains)}{choice}",
            )
        )


def _check_workers(
    data: dict[str, Any], workers: int, loc: _Located, issues: list[SpecIssue]
) -> None:
    """workers > 1: the component that trains (the trainer, or a model that trains itself)
    must declare ``distributed=True``; sweeps and cross-validation of such runs are not
    supported yet."""
    if workers <= 1:
        return
    from .plugins import get_registry

    where = ("resources", "workers")
    section = "trainer" if isinstance(data.get("trainer"), dict) else "model"
    raw = data.get(section)
    kind = raw.get("kind") if isinstance(raw, dict) else None
    comp = get_registry().components.get((section, kind)) if isinstance(kind, str) else None
    if comp is not None and not comp.distributed:
        issues.append(
            loc.issue(
                where,
                f"workers: {workers}: {section} kind {kind!r} cannot train on several "
                "workers (it does not declare distributed support); use workers: 1",
            )
        )
    for other in ("sweep", "cv"):
        if data.get(other) is not None:
            issues.append(
                loc.issue(
                    where,
                    f"workers: {workers}: a {other}: section of multi-worker runs is "
                    "not supported yet; use workers: 1 with " + other,
                )
            )


def _check_columns(
    data: dict[str, Any], components: dict[str, Any], loc: _Located, issues: list[SpecIssue]
) -> None:
    """Columns the spec names that the data file does not have, found at validate time: a
    data kind whose params can tell its columns cheaply (``known_columns()``, the table
    kind reads its header) lets `validate` catch what used to fail only once the run began."""
    from .errors import UserError, names

    got = components.get("data")
    known = getattr(got[1], "known_columns", None) if got else None
    if known is None:
        return
    try:
        cols = known()
    except UserError as exc:
        issues.append(loc.issue(("data", "path"), str(exc)))
        return
    if cols is None:
        return
    have = set(cols)
    where = f"{data['data'].get('path', 'the data')}"
    named: list[tuple[PathKey, Any]] = []
    named += [(("data", "require", i), c) for i, c in enumerate(data["data"].get("require") or [])]
    split = data["data"].get("split") or {}
    named += [(("data", "split", k), split.get(k)) for k in ("stratify", "column")]
    named.append((("cv", "stratify"), (data.get("cv") or {}).get("stratify")))
    model = data.get("model") or {}
    if not data.get("augment") and isinstance(model.get("text"), str):  # augments may add columns
        named.append((("model", "text"), model["text"]))
    for path, col in named:
        if isinstance(col, str) and col not in have:
            issues.append(
                loc.issue(
                    path,
                    f"column {col!r} is not in {where}{did_you_mean(col, cols)} "
                    f"(it has: {names(cols)})",
                )
            )


def _dedupe(issues: list[SpecIssue]) -> list[SpecIssue]:
    return list(dict.fromkeys(issues))


def load_spec(
    path: str | os.PathLike[str], overrides: list[str] | tuple[str, ...] = ()
) -> ResolvedSpec:
    """Load, merge, override and validate a spec file. Raises ``SpecError``."""
    p = Path(path)
    loc = _Located()
    data = _load_with_extends(p, loc, ())
    for text in overrides:
        apply_override(data, text, loc)
    resolved, components = validate(data, loc, p)
    text = read_bounded(p).decode("utf-8")
    return ResolvedSpec(
        str(p), text, resolved, spec_hash(resolved), components, list(overrides), loc
    )


def load_resolved(
    data: dict[str, Any],
    path: str = "<stored spec>",
    text: str = "",
    overrides: list[str] | tuple[str, ...] = (),
) -> ResolvedSpec:
    """Validate an already resolved spec (a rerun, a sweep trial) with optional overrides."""
    loc = _Located()
    loc.files.append(path)
    data = copy.deepcopy(data)
    data.pop("extends", None)
    for o in overrides:
        apply_override(data, o, loc)
    resolved, components = validate(data, loc, Path(path))
    return ResolvedSpec(
        path,
        text or canonical_json(data),
        resolved,
        spec_hash(resolved),
        components,
        list(overrides),
    )


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a (resolved) spec dict in place."""
    keys = parse_dotted(path)
    node: Any = data
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


def json_schema() -> dict[str, Any]:
    """A JSON Schema of the spec with every installed component's params (for editors)."""
    from .plugins import get_registry

    registry = get_registry()
    schema = SpecFrame.model_json_schema()
    defs = schema.setdefault("$defs", {})

    def one_of(section: str) -> dict[str, Any]:
        variants = []
        for kind in registry.kinds(section):
            comp = registry.components[(section, kind)]
            sub = comp.params.model_json_schema(ref_template="#/$defs/{model}")
            for name, d in sub.pop("$defs", {}).items():
                defs.setdefault(name, d)
            sub.setdefault("properties", {})
            sub["properties"] = {
                "kind": {"const": kind, "description": comp.description},
                **sub["properties"],
            }
            sub["required"] = ["kind", *sub.get("required", [])]
            sub["additionalProperties"] = False
            sub["title"] = f"{section}: {kind}"
            variants.append(sub)
        return {"oneOf": variants} if variants else {"type": "object"}

    props = schema["properties"]
    for section in SECTIONS:
        entry = one_of(section)
        if section in LIST_SECTIONS:
            props[section] = {"type": "array", "items": entry}
        else:
            props[section] = entry
    for name, section in plugin_sections().items():
        sub = section.params.model_json_schema(ref_template="#/$defs/{model}")
        for def_name, d in sub.pop("$defs", {}).items():
            defs.setdefault(def_name, d)
        props[name] = {**sub, "description": section.description or sub.get("description", "")}
    defs.pop("ComponentRef", None)
    schema["title"] = "specrun spec"
    return schema
