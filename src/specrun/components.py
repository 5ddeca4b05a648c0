"""What a plugin registers, and the base class for component parameters."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

SECTIONS = ("data", "augment", "model", "trainer", "metrics")
LIST_SECTIONS = ("augment", "metrics")


class Params(BaseModel):
    """Base of every component's parameters: unknown keys are errors, values are checked
    on assignment too (sweeps and overrides set them)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


@dataclass
class Component:
    section: str
    kind: str
    params: type[BaseModel]
    factory: Callable[[Any], Any] | str
    description: str = ""
    plugin: str = ""  # entry-point name that registered it
    package: str = ""  # distribution that ships it
    version: str = ""
    # Frameworks the component draws random numbers from ("torch", "tensorflow", ... or a
    # "module:function" seeder): core imports and seeds each before the run builds anything.
    seeds: tuple[str | Callable[[int, bool], None], ...] = ()
    # A model that does not train itself (no fit/predict of its own) says so, and
    # `specrun validate` then wants a trainer: section for it.
    needs_trainer: bool = False
    # A trainer names the model kinds it can train; empty means any model (checked in fit).
    trains: tuple[str, ...] = ()
    # A trainer (or a model that trains itself) that can run data-parallel on several
    # workers (``resources.workers``) says so; see docs/PLUGINS.md for what it must do.
    distributed: bool = False
    # The run's worker process environment (see specrun.worker_env): variables set there
    # unless the user's environment sets them, and prefixes of the user's variables passed on.
    worker_env: Mapping[str, str] = field(default_factory=dict)
    worker_env_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise ValueError(
                f"unknown section {self.section!r}; sections are {', '.join(SECTIONS)}"
            )
        if not self.description:
            doc = (self.params.__doc__ or "").strip()
            if doc and not doc.startswith("Base of every"):
                self.description = doc.splitlines()[0]
        from .seeding import check_frameworks

        self.seeds = tuple(self.seeds)
        check_frameworks(self.seeds)
        self.trains = (self.trains,) if isinstance(self.trains, str) else tuple(self.trains)
        if self.trains and self.section != "trainer":
            raise ValueError(f"{self.section} kind {self.kind!r}: only a trainer declares trains=")
        if self.distributed and self.section not in ("trainer", "model"):
            raise ValueError(
                f"{self.section} kind {self.kind!r}: only a trainer or model declares distributed="
            )
        if self.needs_trainer and self.section != "model":
            raise ValueError(
                f"{self.section} kind {self.kind!r}: only a model declares needs_trainer="
            )

    def build(self, params: BaseModel) -> Any:
        """Call the factory; a ``"module:attr"`` factory is imported only now."""
        factory = self.factory
        if isinstance(factory, str):
            module_name, _, attr = factory.partition(":")
            factory = getattr(importlib.import_module(module_name), attr)
        return factory(params)


@dataclass
class SpecSection:
    """A top-level spec section owned by a plugin (``notify:``, ``wandb:``): validated by
    ``params`` with the same file:line errors as a component, kept in the resolved spec
    (``ctx.spec``, ``RunInfo.spec``) and left out of the spec hash: such a section says
    how a run is observed, not what it does."""

    name: str
    params: type[BaseModel]
    description: str = ""
    plugin: str = ""  # entry-point name that registered it
    package: str = ""

    def __post_init__(self) -> None:
        if not self.description:
            doc = (self.params.__doc__ or "").strip()
            if doc and not doc.startswith("Base of every"):
                self.description = doc.splitlines()[0]
