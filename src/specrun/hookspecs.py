"""The pluggy hooks a specrun plugin may implement. One docstring each; keep it short.

A plugin is a module named by an entry point in the ``specrun`` group. Its module must
import quickly (pydantic at most): heavy frameworks are imported by the component factory
when a run starts, never when the plugin is loaded.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("specrun")
hookimpl = pluggy.HookimplMarker("specrun")


@hookspec
def register_components(register: Any) -> None:
    """Register components: call ``register(Component(section, kind, params, factory))``.

    ``section`` is one of data, augment, model, trainer, metrics; ``params`` a pydantic
    model of the kind's parameters (unknown keys are errors); ``factory`` a callable or a
    ``"module:attr"`` string called with the validated params when a run starts.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add subcommands to the ``specrun`` click group (for example ``serve``)."""


@hookspec
def run_started(run: Any) -> None:
    """A run began on the driver. ``run`` is a ``RunInfo`` (id, name, resolved spec)."""


@hookspec
def metrics_logged(run: Any, metrics: list[Any]) -> None:
    """Metric points (``MetricPoint``) were written to the store for ``run``."""


@hookspec
def artifact_saved(run: Any, artifact: Any) -> None:
    """An artifact (``ArtifactInfo``: name, path in the store, sha256, bytes) was saved."""


@hookspec
def run_finished(run: Any, status: str, error: str | None) -> None:
    """A run ended with ``status`` (finished, failed, interrupted, stopped)."""


@hookspec(firstresult=True)
def load_model(run: Any, artifact_dir: Any, kind: str | None, card: dict[str, Any]) -> Any:
    """Load the trained model of ``run`` from its artifacts (a folder).

    ``specrun.load_model`` calls only the plugin that registered the run's model ``kind``
    (read from the model card core saved beside the model, ``card``, or from the stored spec
    for older runs); take the arguments you need (``def load_model(kind, artifact_dir)`` is a
    valid implementation). Return None when the run saved no model you can load. A kind no
    installed plugin registers is offered to every plugin: there, return None if not yours."""


# -- provenance of a run's inputs (issue 19: DVC) ------------------------------------------------


@hookspec
def collect_provenance(run: Any) -> dict[str, Any] | None:
    """Facts about where a run's inputs come from, gathered on the driver before it starts
    (``run`` is a ``RunInfo``; its resolved spec names the files). Return ``{section: value}``
    (JSON-able, e.g. ``{"dvc": {...}}``) or None; core stores the merged dict in
    ``environment.provenance`` and ``specrun show`` prints it. Strings in a section's
    ``"warnings"`` list are printed as warnings when the run starts. An exception here is a
    warning too: provenance never stops a run."""


# ----------------------------------------------------------------------------- observers
# Hooks for plugins that observe runs and sweeps (issue 19: W&B, TensorBoard, alerts).
# All are called on the driver, in the process that writes the store; an observer must
# never raise (a failure of its own is reported once by the plugin and the run goes on).


@hookspec
def register_spec_sections(register: Any) -> None:
    """Own a top-level spec section: call ``register(SpecSection(name, params))``.

    The section's value is validated by ``params`` (a pydantic model) like a component's
    params, may be overridden with ``-o name.key=value``, is kept in the resolved spec and
    is not part of the spec hash. A name that core or another plugin owns is refused.
    """


@hookspec
def samples_logged(run: Any, split: str, step: int | None, samples: list[dict[str, Any]]) -> None:
    """Samples (dicts with input, reference, output and any extra keys) were stored."""


@hookspec
def sweep_started(sweep: Any) -> None:
    """A sweep began (or resumed). ``sweep`` is a ``SweepInfo`` (id, name, spec, metric, mode)."""


@hookspec
def sweep_finished(sweep: Any, status: str, error: str | None, best: dict[str, Any] | None) -> None:
    """A sweep ended with ``status``; ``best`` is the best trial (run_id, value, ...) or None."""
