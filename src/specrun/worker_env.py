"""The environment of a run's worker process, from what the run's components declare.

Core passes ``SPECRUN_*`` on; each plugin's ``Component`` names the prefixes of the user's
variables its workers read (``worker_env_prefixes``, e.g. ``("HF_", "TRANSFORMERS_")``) and
the variables they need set (``worker_env``, e.g. ``{"HF_HUB_OFFLINE": "1"}``), which the
user's own environment overrides. Only the worker gets them: nothing here writes
``os.environ``, so one plugin's settings cannot leak into another plugin's run in the same
process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

CORE_PREFIXES = ("SPECRUN_",)


def spec_kinds(spec_data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(section, kind) of every component a resolved spec uses."""
    from .components import SECTIONS

    for section in SECTIONS:
        value = spec_data.get(section)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, Mapping) and isinstance(entry.get("kind"), str):
                yield section, entry["kind"]


def worker_env(
    spec_data: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Variables for the worker that runs ``spec_data``: the user's ``SPECRUN_*`` and the
    declared prefixes (of every installed plugin, as before), then the declared settings of
    the spec's own components where the user has not set them."""
    from .plugins import get_registry

    environ = os.environ if environ is None else environ
    components = get_registry().components
    prefixes = set(CORE_PREFIXES)
    for component in components.values():
        prefixes.update(component.worker_env_prefixes)
    env = {k: v for k, v in environ.items() if k.startswith(tuple(sorted(prefixes)))}
    for key in spec_kinds(spec_data):
        used = components.get(key)
        for name, value in (used.worker_env if used else {}).items():
            if name not in environ:
                env.setdefault(name, value)
    return env
