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
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pluggy

from relationship_core._domain.validators import check_text, items
from relationship_core._plugins.markers import PROJECT, HookSpecs
from relationship_core._plugins.named import Contribution, Named
from relationship_core._plugins.specs import (
    EventHandlerSpec,
    JobHandlerSpec,
    NotificationChannelSpec,
    RuleActionSpec,
    StorageBackendSpec,
)
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import Schema
from relationship_core._storage.url import StorageURL, parse_url
from relationship_core.exceptions import (
    CapabilityError,
    DuplicateBackendError,
    PluginLoadError,
    UnknownBackendError,
    ValidationError,
)

if TYPE_CHECKING:
    from relationship_core._app.mapping import KindMapping
    from relationship_core._domain.events import DomainEvent

__all__ = [
    "BLOCK_ENV",
    "DEFAULT_PLUGINS",
    "PluginManager",
    "TypedHooks",
    "get_plugin_manager",
]

T = TypeVar("T")

log = logging.getLogger("relationship_core.plugins")

#: Environment variable: comma-separated plugin names never to load.
BLOCK_ENV = "RELATIONSHIP_CORE_BLOCK_PLUGINS"

#: Built-in plugins as ``(name, "module:attribute")``, loaded like third-party ones.
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("relationship_core.memory", "relationship_core._plugins.builtin:memory"),
    ("relationship_core.sqlite", "relationship_core._plugins.builtin:sqlite"),
    ("relationship_core.postgresql", "relationship_core._plugins.builtin:postgresql"),
    # Features: the library's own parts, wired exactly like a third-party feature.
    ("relationship_core.core", "relationship_core._plugins.core"),
    ("relationship_core.billing", "relationship_core._plugins.billing"),
    ("relationship_core.lifecycle", "relationship_core._plugins.lifecycle"),
    ("relationship_core.scoring", "relationship_core._plugins.scoring"),
    ("relationship_core.work", "relationship_core._plugins.work"),
    ("relationship_core.support", "relationship_core._plugins.support"),
    ("relationship_core.rules", "relationship_core._plugins.rules"),
    ("relationship_core.notify", "relationship_core._plugins.notify"),
    ("relationship_core.web", "relationship_core._plugins.web"),
    ("relationship_core.privacy", "relationship_core._plugins.privacy"),
)


def _default_plugin(n: int, value: object) -> tuple[str, str]:
    if not (
        isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
    ):
        raise ValidationError(f"default_plugins[{n}]", value, "expected (name, 'module:attribute')")
    return value


def blocked_from_env() -> frozenset[str]:
    """Plugin names listed in ``RELATIONSHIP_CORE_BLOCK_PLUGINS``."""
    raw = os.environ.get(BLOCK_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


class TypedHooks:
    """Typed calls of the hooks (pluggy's ``pm.hook`` returns ``Any``).

    Each plugin's implementation is called on its own, so one that raises or
    returns nonsense is reported by name and the others still count. Results
    come in plugin registration order.
    """

    def __init__(self, manager: PluginManager) -> None:
        self._manager = manager

    def collect(self, hook: str, expected: type[T] | tuple[type, ...]) -> list[tuple[str, T]]:
        """``(plugin name, item)`` for every item every implementation of *hook* returns."""
        pm = self._manager.pm
        caller = getattr(pm.hook, hook)
        order = [name for name, _ in pm.list_name_plugin()]
        out: list[tuple[str, T]] = []
        for impl in reversed(caller.get_hookimpls()):
            try:
                items = list(cast(Iterable[object], impl.function()))
                for item in items:
                    if not _is(item, expected):
                        raise TypeError(  # noqa: TRY301 - reported below like any failure
                            f"{hook} returned {item!r}, expected {_names(expected)} records"
                        )
            except Exception as exc:
                self._manager.report(PluginLoadError(impl.plugin_name, exc))
                continue
            out.extend((impl.plugin_name, cast(T, item)) for item in items)
        out.sort(key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))
        return out

    def storage_backends(self) -> list[tuple[str, StorageBackendSpec]]:
        """``(plugin name, spec)`` for every backend every plugin offers, in plugin order."""
        return self.collect("relationship_core_storage_backends", StorageBackendSpec)


def _is(item: object, expected: type | tuple[type, ...]) -> bool:
    if expected is type:  # event types: classes, checked by their consumer
        return isinstance(item, type)
    return isinstance(item, expected)


def _names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


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
        self.blocked = (
            frozenset(
                check_text(f"blocked[{n}]", b) for n, b in enumerate(items("blocked", blocked))
            )
            if blocked is not None
            else blocked_from_env()
        )
        self._defaults = tuple(
            _default_plugin(n, d) for n, d in enumerate(items("default_plugins", default_plugins))
        )
        self._entry_points = entry_points
        self._loaded = False
        self._lock = threading.RLock()
        self._cache: dict[str, list[tuple[str, Any]]] = {}

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
        self._cache.clear()

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (module or instance) directly; returns its name."""
        with self._lock:
            self.load()
            if name is not None and name in self.blocked:
                self.pm.set_blocked(name)
                return name
            registered = self.pm.register(plugin, name=name)
            self._cache.clear()
            return registered or (name or "")

    def unregister(self, name: str) -> None:
        """Remove a registered plugin by name."""
        with self._lock:
            self.pm.unregister(name=name)
            self._cache.clear()

    def plugin_names(self) -> list[str]:
        """Names of the registered plugins."""
        self.load()
        return sorted(name for name, plugin in self.pm.list_name_plugin() if plugin is not None)

    def contributions(self, hook: str, expected: type[T] | tuple[type, ...]) -> list[tuple[str, T]]:
        """``(plugin, item)`` from every plugin implementing *hook*, loaded once and cached."""
        with self._lock:
            self.load()
            if hook not in self._cache:
                self._cache[hook] = self.hooks.collect(hook, expected)
            return list(self._cache[hook])

    def named(
        self,
        what: str,
        hook: str,
        expected: type[T] | tuple[type, ...],
        name_of: Callable[[T], Iterable[str]],
        **errors: Any,
    ) -> Named[T]:
        """The contributions of *hook* by name: the one lookup every sort of contribution uses."""
        items = [
            Contribution(plugin, name, item)
            for plugin, item in self.contributions(hook, expected)
            for name in name_of(item)
        ]
        notes = [f"not loaded: {failure}" for failure in self.load_errors]
        return Named(what, items, notes=notes, **errors)

    def _schemes(self) -> Named[StorageBackendSpec]:
        return self.named(
            "storage scheme",
            "relationship_core_storage_backends",
            StorageBackendSpec,
            lambda spec: spec.schemes,
            duplicate=lambda _what, name, first, second: DuplicateBackendError(name, first, second),
            unknown=lambda _what, name, known: UnknownBackendError(name, known),
        )

    def storage_backends(self) -> dict[str, StorageBackendSpec]:
        """Every offered backend by URL scheme.

        Raises:
            DuplicateBackendError: Two plugins offer one scheme.
        """
        return {c.name: c.value for c in self._schemes().contributions()}

    def backend_for(self, scheme: str) -> StorageBackendSpec:
        """The backend serving *scheme*.

        Raises:
            UnknownBackendError: No plugin offers it (the message lists the schemes offered).
            DuplicateBackendError: Two plugins offer it.
        """
        return self._schemes().get(scheme)

    def kinds(self) -> Named[KindMapping[Any]]:
        """Every contributed record kind, by kind name."""
        from relationship_core._app.mapping import KindMapping

        return self.named("kind", "relationship_core_kinds", KindMapping, lambda m: [m.kind])

    def event_types(self) -> Named[type[DomainEvent]]:
        """Every contributed event class, by event name."""
        return self.named(
            "event type", "relationship_core_event_types", type, lambda cls: [cls.name]
        )

    def event_handlers(self) -> Named[EventHandlerSpec]:
        """Every contributed event handler, by handler name."""
        return self.named(
            "event handler",
            "relationship_core_event_handlers",
            EventHandlerSpec,
            lambda spec: [spec.name],
        )

    def job_handlers(self) -> Named[JobHandlerSpec]:
        """Every contributed job handler, by queue."""
        return self.named(
            "job queue", "relationship_core_job_handlers", JobHandlerSpec, lambda s: [s.queue]
        )

    def rule_actions(self) -> Named[RuleActionSpec]:
        """Every contributed rule action, by name."""
        return self.named(
            "rule action", "relationship_core_rule_actions", RuleActionSpec, lambda s: [s.name]
        )

    def notification_channels(self) -> Named[NotificationChannelSpec]:
        """Every contributed notification channel, by name."""
        return self.named(
            "notification channel",
            "relationship_core_notification_channels",
            NotificationChannelSpec,
            lambda s: [s.name],
        )

    def open_backend(self, url: str | StorageURL, schema: Schema) -> StorageBackend:
        """Parse *url*, find the backend for its scheme and open it with *schema*."""
        parsed = parse_url(url)
        backend = self.backend_for(parsed.scheme).factory(parsed, schema)
        unique = [k.name for k in getattr(schema, "kinds", ()) if k.unique]
        if unique and "unique_keys" not in getattr(backend, "capabilities", ()):
            backend.close()  # keys it cannot enforce must not be silently ignored
            raise CapabilityError(
                type(backend).__name__,
                "unique_keys",
                f"; kinds {', '.join(unique)} declare unique keys: "
                "use the memory, SQLite or PostgreSQL backend",
            )
        return backend


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
