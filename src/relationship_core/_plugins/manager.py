"""The plugin manager: explicit, lazy, fault-tolerant loading.

Nothing is imported when ``relationship_core`` is imported. The first time a
store is opened, `get_plugin_manager` loads the built-in plugins
(``DEFAULT_PLUGINS``) and then whatever is registered under the
``relationship_core`` entry-point group, skipping the names listed in
``RELATIONSHIP_CORE_BLOCK_PLUGINS``. A plugin that fails to import, register
or answer a hook is recorded in ``load_errors`` and logged by name; the host
carries on with the others.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from typing import cast

import pluggy

from relationship_core._plugins.markers import PROJECT, HookSpecs
from relationship_core._plugins.specs import StorageBackendSpec
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import Schema
from relationship_core._storage.url import StorageURL, parse_url
from relationship_core.exceptions import (
    DuplicateBackendError,
    PluginLoadError,
    UnknownBackendError,
)

__all__ = [
    "BLOCK_ENV",
    "DEFAULT_PLUGINS",
    "PluginManager",
    "TypedHooks",
    "get_plugin_manager",
]

log = logging.getLogger("relationship_core.plugins")

#: Environment variable: comma-separated plugin names never to load.
BLOCK_ENV = "RELATIONSHIP_CORE_BLOCK_PLUGINS"

#: Built-in plugins as ``(name, "module:attribute")``, loaded like third-party ones.
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("relationship_core.memory", "relationship_core._plugins.builtin:memory"),
    ("relationship_core.sqlite", "relationship_core._plugins.builtin:sqlite"),
    ("relationship_core.postgresql", "relationship_core._plugins.builtin:postgresql"),
)


def blocked_from_env() -> frozenset[str]:
    """Plugin names listed in ``RELATIONSHIP_CORE_BLOCK_PLUGINS``."""
    raw = os.environ.get(BLOCK_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


class TypedHooks:
    """Typed calls of the hooks (pluggy's ``pm.hook`` returns ``Any``).

    Each plugin's implementation is called on its own, so one that raises or
    returns nonsense is reported by name and the others still count.
    """

    def __init__(self, manager: PluginManager) -> None:
        self._manager = manager

    def storage_backends(self) -> list[tuple[str, StorageBackendSpec]]:
        """``(plugin name, spec)`` for every backend every plugin offers, in call order."""
        pm = self._manager.pm
        caller = pm.hook.relationship_core_storage_backends
        out: list[tuple[str, StorageBackendSpec]] = []
        for impl in reversed(caller.get_hookimpls()):
            try:
                specs = list(cast(Iterable[object], impl.function()))
                for spec in specs:
                    if not isinstance(spec, StorageBackendSpec):
                        raise TypeError(  # noqa: TRY301 - reported below like any failure
                            f"relationship_core_storage_backends returned {spec!r}, "
                            "expected StorageBackendSpec records"
                        )
            except Exception as exc:
                self._manager.report(PluginLoadError(impl.plugin_name, exc))
                continue
            out.extend(
                (impl.plugin_name, spec) for spec in specs if isinstance(spec, StorageBackendSpec)
            )
        return out


class PluginManager:
    """Loads relationship_core plugins and resolves storage URLs to backends.

    Args:
        default_plugins: Built-ins as ``(name, "module:attribute")``.
        entry_points: Whether to load third-party plugins from the
            ``relationship_core`` entry-point group.
        blocked: Plugin names never to load; default: from ``RELATIONSHIP_CORE_BLOCK_PLUGINS``.
    """

    def __init__(
        self,
        *,
        default_plugins: Sequence[tuple[str, str]] = DEFAULT_PLUGINS,
        entry_points: bool = True,
        blocked: Iterable[str] | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(HookSpecs)
        self.hooks = TypedHooks(self)
        self.load_errors: list[PluginLoadError] = []
        self.blocked = frozenset(blocked) if blocked is not None else blocked_from_env()
        self._defaults = tuple(default_plugins)
        self._entry_points = entry_points
        self._loaded = False
        self._lock = threading.RLock()
        self._backends: list[tuple[str, StorageBackendSpec]] | None = None

    def report(self, error: PluginLoadError) -> None:
        """Record and log a plugin failure; the host carries on."""
        self.load_errors.append(error)
        log.error("%s", error)

    def load(self) -> PluginManager:
        """Load built-ins and entry points once (later calls do nothing); returns self."""
        with self._lock:
            if self._loaded:
                return self
            self._loaded = True
            for name, target in self._defaults:
                self._load_one(name, lambda target=target: _import_target(target))
            if self._entry_points:
                for ep in entry_points(group=PROJECT):
                    self._load_one(ep.name, ep.load)
            return self

    def _load_one(self, name: str, loader: object) -> None:
        if name in self.blocked:
            self.pm.set_blocked(name)
            log.info("plugin %r blocked by %s", name, BLOCK_ENV)
            return
        if self.pm.has_plugin(name) or self.pm.is_blocked(name):
            return
        try:
            plugin = loader()  # type: ignore[operator]
            self.pm.register(plugin, name=name)
        except Exception as exc:
            self.report(PluginLoadError(name, exc))
        self._backends = None

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (module or instance) directly; returns its name."""
        with self._lock:
            self.load()
            if name is not None and name in self.blocked:
                self.pm.set_blocked(name)
                return name
            registered = self.pm.register(plugin, name=name)
            self._backends = None
            return registered or (name or "")

    def unregister(self, name: str) -> None:
        """Remove a registered plugin by name."""
        with self._lock:
            self.pm.unregister(name=name)
            self._backends = None

    def plugin_names(self) -> list[str]:
        """Names of the registered plugins."""
        self.load()
        return sorted(name for name, plugin in self.pm.list_name_plugin() if plugin is not None)

    def _all_backends(self) -> list[tuple[str, StorageBackendSpec]]:
        with self._lock:
            self.load()
            if self._backends is None:
                self._backends = self.hooks.storage_backends()
            return self._backends

    def storage_backends(self) -> dict[str, StorageBackendSpec]:
        """Every offered backend by URL scheme.

        Raises:
            DuplicateBackendError: Two plugins offer one scheme.
        """
        out: dict[str, tuple[str, StorageBackendSpec]] = {}
        order = [name for name, _ in self.pm.list_name_plugin()]
        offered = sorted(
            self._all_backends(),
            key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order),
        )
        for plugin, spec in offered:
            for scheme in spec.schemes:
                if scheme in out and out[scheme][0] != plugin:
                    raise DuplicateBackendError(scheme, out[scheme][0], plugin)
                out[scheme] = (plugin, spec)
        return {scheme: spec for scheme, (_, spec) in out.items()}

    def backend_for(self, scheme: str) -> StorageBackendSpec:
        """The backend serving *scheme*.

        Raises:
            UnknownBackendError: No plugin offers it (the message lists the schemes offered).
            DuplicateBackendError: Two plugins offer it.
        """
        found: list[tuple[str, StorageBackendSpec]] = [
            (plugin, spec) for plugin, spec in self._all_backends() if scheme in spec.schemes
        ]
        order = [name for name, _ in self.pm.list_name_plugin()]
        plugins = sorted(
            dict.fromkeys(plugin for plugin, _ in found),
            key=lambda name: order.index(name) if name in order else len(order),
        )
        if len(plugins) > 1:
            raise DuplicateBackendError(scheme, plugins[0], plugins[1])
        if not found:
            available = sorted({s for _, spec in self._all_backends() for s in spec.schemes})
            error = UnknownBackendError(scheme, available)
            for failure in self.load_errors:
                error.add_note(f"not loaded: {failure}")
            raise error
        return found[0][1]

    def open_backend(self, url: str | StorageURL, schema: Schema) -> StorageBackend:
        """Parse *url*, find the backend for its scheme and open it with *schema*."""
        parsed = parse_url(url)
        return self.backend_for(parsed.scheme).factory(parsed, schema)


def _import_target(target: str) -> object:
    module, _, attr = target.partition(":")
    obj: object = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


_default: PluginManager | None = None
_default_lock = threading.Lock()


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, loaded on first use."""
    global _default  # noqa: PLW0603 - one lazily built manager per process
    with _default_lock:
        if _default is None:
            _default = PluginManager().load()
        return _default
