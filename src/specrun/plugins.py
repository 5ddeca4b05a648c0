"""The plugin manager: built-ins and entry points through the same hooks.

``SPECRUN_PLUGINS`` narrows which entry points load (comma separated names, e.g.
``builtins,hf``); tests use it to keep runs small and deterministic.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from importlib import metadata

import pluggy

from . import hookspecs
from .components import SECTIONS, Component, SpecSection
from .errors import UserError, did_you_mean

ENTRY_POINT_GROUP = "specrun"


@dataclass
class BrokenPlugin:
    name: str
    package: str
    error: str
    detail: str


class Registry:
    def __init__(self) -> None:
        self.components: dict[tuple[str, str], Component] = {}
        self.broken: list[BrokenPlugin] = []
        self.plugins: dict[str, tuple[str, str]] = {}  # entry-point name -> (package, version)
        self.sections: dict[str, SpecSection] = {}  # top-level spec sections owned by plugins

    def kinds(self, section: str) -> list[str]:
        return sorted(k for s, k in self.components if s == section)

    def get(self, section: str, kind: str) -> Component:
        comp = self.components.get((section, kind))
        if comp is not None:
            return comp
        raise UserError(self.unknown_kind_message(section, kind))

    def unknown_kind_message(self, section: str, kind: str) -> str:
        kinds = self.kinds(section)
        msg = f'unknown {section} kind "{kind}"{did_you_mean(kind, kinds)}; installed: '
        msg += ", ".join(kinds) if kinds else "(none)"
        for b in self.broken:
            msg += f"\n  note: plugin {b.name!r} from package {b.package} failed to load: {b.error}"
        return msg


_manager: pluggy.PluginManager | None = None
_registry: Registry | None = None


def _allowed() -> set[str] | None:
    raw = os.environ.get("SPECRUN_PLUGINS")
    if raw is None or raw.strip() in ("", "all"):
        return None
    # The built-ins are part of core: narrowing never removes them.
    return {p.strip() for p in raw.split(",") if p.strip()} | {"builtins"}


def get_manager() -> pluggy.PluginManager:
    global _manager, _registry
    if _manager is not None:
        return _manager
    pm = pluggy.PluginManager("specrun")
    pm.add_hookspecs(hookspecs)
    registry = Registry()
    allowed = _allowed()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        if ep.name in registry.plugins:
            continue  # the same plugin found twice on sys.path (editable + installed)
        package = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - report any import failure by name
            registry.broken.append(
                BrokenPlugin(
                    ep.name, package, f"{type(exc).__name__}: {exc}", traceback.format_exc()
                )
            )
            continue
        registry.plugins[ep.name] = (package, version)
    _manager, _registry = pm, registry
    _collect_components(pm, registry)
    _collect_sections(pm, registry)
    return pm


def _collect_sections(pm: pluggy.PluginManager, registry: Registry) -> None:
    for impl in pm.hook.register_spec_sections.get_hookimpls():
        name = impl.plugin_name
        package, _version = registry.plugins.get(name, ("?", "?"))

        def register(section: SpecSection, _name: str = name, _pkg: str = package) -> None:
            section.plugin, section.package = _name, _pkg
            other = registry.sections.get(section.name)
            if other is not None and other.plugin != _name:
                registry.broken.append(
                    BrokenPlugin(
                        _name,
                        _pkg,
                        f"spec section {section.name!r} is already owned by plugin "
                        f"{other.plugin!r}; this one was ignored",
                        "",
                    )
                )
                return
            registry.sections[section.name] = section

        try:
            impl.function(register=register)
        except Exception as exc:  # noqa: BLE001
            registry.broken.append(
                BrokenPlugin(name, package, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            )


def _collect_components(pm: pluggy.PluginManager, registry: Registry) -> None:
    for impl in pm.hook.register_components.get_hookimpls():
        name = impl.plugin_name
        package, version = registry.plugins.get(name, ("?", "?"))

        def register(
            component: Component, _name: str = name, _pkg: str = package, _ver: str = version
        ) -> None:
            component.plugin, component.package, component.version = _name, _pkg, _ver
            key = (component.section, component.kind)
            other = registry.components.get(key)
            if other is not None and other.plugin != _name:
                # Keep the first and report the clash: one bad plugin must not break every command.
                registry.broken.append(
                    BrokenPlugin(
                        _name,
                        _pkg,
                        f"{component.section} kind {component.kind!r} is already registered "
                        f"by plugin {other.plugin!r} ({other.package}); this one was ignored",
                        "",
                    )
                )
                return
            registry.components[key] = component

        try:
            impl.function(register=register)
        except Exception as exc:  # noqa: BLE001
            registry.broken.append(
                BrokenPlugin(name, package, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            )


def get_registry() -> Registry:
    get_manager()
    assert _registry is not None
    return _registry


def reset() -> None:
    """Forget loaded plugins (tests change SPECRUN_PLUGINS or install a plugin)."""
    global _manager, _registry
    _manager = None
    _registry = None


def plugin_versions() -> dict[str, str]:
    reg = get_registry()
    return {name: f"{pkg} {ver}" for name, (pkg, ver) in sorted(reg.plugins.items())}


__all__ = ["SECTIONS", "Registry", "get_manager", "get_registry", "reset", "plugin_versions"]
