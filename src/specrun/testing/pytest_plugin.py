"""pytest fixtures for the tests of core, of each plugin and of any third-party plugin.

Loaded in every pytest process of an environment where specrun is installed (entry point
``pytest11``: ``specrun``); nothing here is autouse, so other projects' tests see no change.
A suite opts in from its conftest::

    @pytest.fixture
    def specrun_plugins():          # optional: load only these plugins (SPECRUN_PLUGINS)
        return "myplugin"

    @pytest.fixture(autouse=True)
    def _isolate(specrun_env):      # every test: its own store, quiet, registry reset
        yield

Fixtures: ``specrun_env`` (the isolated environment; returns the store path),
``specrun_store`` (that store's path), ``specrun_cache`` (SPECRUN_CACHE in the test's tmp
dir), ``specrun_write_spec`` (dict or YAML text -> file), ``specrun_cli`` (the CLI in a
subprocess), ``specrun_metric_series`` ({step: value} of a run's metric). The functions
behind them live in ``specrun.testing``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def specrun_plugins() -> str | None:
    """The plugins a test loads (``SPECRUN_PLUGINS``, comma-separated); None: every
    installed one. Override it in a suite's conftest."""
    return None


@pytest.fixture
def specrun_store(tmp_path: Path) -> Path:
    """The path of the test's own run store (created by the first run that writes it)."""
    return tmp_path / "store" / "specrun.duckdb"


@pytest.fixture
def specrun_env(
    monkeypatch: pytest.MonkeyPatch, specrun_store: Path, specrun_plugins: str | None
) -> Iterator[Path]:
    """An isolated environment: ``SPECRUN_STORE`` in the test's tmp dir, ``SPECRUN_QUIET``,
    ``SPECRUN_PLUGINS`` from the ``specrun_plugins`` fixture, no inherited augment cache, and
    the plugin registry reset before and after. Subprocesses (``specrun_cli``) inherit it."""
    from specrun import plugins

    monkeypatch.setenv("SPECRUN_STORE", str(specrun_store))
    monkeypatch.setenv("SPECRUN_QUIET", "1")
    monkeypatch.delenv("SPECRUN_AUGMENT_CACHE", raising=False)
    if specrun_plugins is not None:
        monkeypatch.setenv("SPECRUN_PLUGINS", specrun_plugins)
    plugins.reset()
    yield specrun_store
    plugins.reset()


@pytest.fixture
def specrun_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``SPECRUN_CACHE`` in the test's tmp dir (augmented data, generated images)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("SPECRUN_CACHE", str(path))
    return path


@pytest.fixture
def specrun_write_spec(tmp_path: Path) -> Callable[..., Path]:
    """``write(spec, name="spec.yaml") -> Path``: a spec (YAML text or a dict) written into
    the test's tmp dir."""
    from specrun.testing import write_spec

    def write(spec: str | Mapping[str, Any], name: str = "spec.yaml") -> Path:
        return write_spec(tmp_path, spec, name)

    return write


@pytest.fixture
def specrun_cli() -> Callable[..., Any]:
    """``cli(*args, env=None, cwd=None, timeout=600, expect=None)``: ``specrun ARGS`` in a
    fresh interpreter, returning the CompletedProcess; with ``expect=0`` a failure shows the
    command, its exit status and the tails of stdout and stderr."""
    from specrun.testing import run_cli

    return run_cli


@pytest.fixture
def specrun_metric_series() -> Callable[..., dict[int, float]]:
    """``series(store, run_id, name, split=None) -> {step: value}``."""
    from specrun.testing import metric_series

    return metric_series
