"""specrun: declarative experiment runner. The public Python API.

Plugin authors need: ``hookimpl``, ``Component``, ``Params``, ``Dataset``, ``Predictions``,
``RunContext`` (what components receive), ``ExistingFile``/``ExistingDir``, ``SplitSpec``
and the errors. Everything here imports lightly; heavy modules load on first use.
"""

from __future__ import annotations

from typing import Any

from .components import Component, Params
from .context import Dataset, Predictions, RunContext
from .errors import DataError, ResourceError, SpecError, StoreError, UserError
from .hookspecs import hookimpl
from .types import ExistingDir, ExistingFile, ExistingPath


def __getattr__(name: str) -> Any:
    if name == "SplitSpec":
        from .builtins.splits import SplitSpec

        return SplitSpec
    if name in ("split_frame",):
        from .builtins.splits import split_frame

        return split_frame
    if name == "__version__":  # the installed distribution's (one source: pyproject.toml),
        from importlib.metadata import version  # read on first use: it scans sys.path

        return version("specrun")
    raise AttributeError(name)


def load_spec(path: str, overrides: list[str] | tuple[str, ...] = ()) -> Any:
    """Load and validate a spec file; raises ``SpecError`` listing every problem."""
    from .spec import load_spec as _load

    return _load(path, overrides)


def run(
    spec: str | Any,
    overrides: list[str] | tuple[str, ...] = (),
    store: str | None = None,
    local: bool = False,
    address: str | None = None,
    quiet: bool = True,
) -> Any:
    """Run a spec (a path or a loaded spec): one run's ``RunResult``, or for a spec with a
    ``sweep:`` or ``cv:`` section the sweep's or cross-validation's result."""
    from .runner.driver import run_spec

    if isinstance(spec, str) or hasattr(spec, "__fspath__"):
        spec = load_spec(str(spec), overrides)
    if spec.data.get("sweep"):
        from .sweep.driver import run_sweep

        return run_sweep(spec, store=store, address=address, quiet=quiet)
    if spec.data.get("cv"):
        from .cv.driver import run_cv

        return run_cv(
            spec, store=store, mode="local" if local else "ray", address=address, quiet=quiet
        )
    return run_spec(
        spec, store=store, mode="local" if local else "ray", address=address, quiet=quiet
    )


def open_store(path: str | None = None) -> Any:
    """The run store for reading: ``open_store().query("SELECT ...")`` gives a Polars frame."""
    from .store.query import open_store as _open

    return _open(path)


def load_model(run_ref: str, store: str | None = None) -> Any:
    """Load the trained model of a run from its artifacts, through the plugin that made it.

    The model card core saved beside the model (``specrun.model_card``), or for older runs
    the stored spec, names the model kind; the plugin that registers that kind is asked
    alone, with the kind. A kind no installed plugin registers falls back to asking every
    plugin's ``load_model`` hook, as before cards existed."""
    from .model_card import model_kind_of, read_card
    from .plugins import get_manager, get_registry
    from .store.query import open_store as _open

    st = _open(store)
    row = st.run(run_ref)
    run_dir = st.artifact_root / row["run_id"]
    card = read_card(run_dir)
    kind = card["kind"] if card else model_kind_of(row)
    pm = get_manager()
    component = get_registry().components.get(("model", kind)) if kind else None
    model = None
    if component is not None:
        for impl in pm.hook.load_model.get_hookimpls():
            if impl.plugin_name == component.plugin:
                kwargs = {"run": row, "artifact_dir": run_dir, "kind": kind, "card": card or {}}
                model = impl.function(**{a: kwargs[a] for a in impl.argnames})
                break
    if model is None and component is None:
        model = pm.hook.load_model(run=row, artifact_dir=run_dir, kind=kind, card=card or {})
    if model is None:
        made_by = f" (model kind {kind!r}, plugin {component.plugin!r})" if component else ""
        raise UserError(
            f"no installed plugin can load the model of run {row['run_id']} ({row['name']}){made_by}"
        )
    return model


__all__ = [
    "Component",
    "Params",
    "Dataset",
    "Predictions",
    "RunContext",
    "hookimpl",
    "ExistingFile",
    "ExistingDir",
    "ExistingPath",
    "UserError",
    "DataError",
    "SpecError",
    "StoreError",
    "ResourceError",
    "load_spec",
    "run",
    "open_store",
    "load_model",
    "__version__",
]
