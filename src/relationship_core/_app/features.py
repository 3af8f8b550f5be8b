"""The composition root's work: a store's kinds, event types and handlers, from the plugins.

`relationship_core.open` calls `wire` once per store: every feature plugin
(the built-in "core" and "billing" ones and any installed package) contributes
through the same hooks, and nothing is read from registries filled at import
time, except, for one release, what the deprecated ``register_mapping`` /
``register_event`` calls left there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from relationship_core._app.bus import DEFAULT_MAX_DEPTH, EventBus
from relationship_core._app.envelope import EventTypes
from relationship_core._app.kinds import DEFAULT_MAPPINGS
from relationship_core._app.mapping import MappingRegistry
from relationship_core._app.unique_emails import unique_emails_wanted, with_unique_emails
from relationship_core._domain.events import EVENT_TYPES
from relationship_core._plugins.manager import PluginManager
from relationship_core._plugins.named import Named
from relationship_core._plugins.specs import (
    EventHandlerSpec,
    JobHandlerSpec,
    NotificationChannelSpec,
    RuleActionSpec,
)
from relationship_core.exceptions import ValidationError

__all__ = ["FeatureConfig", "Features", "feature_config", "wire"]

#: Settings per feature, as given to ``open(url, config={"billing": {...}})``; read-only.
FeatureConfig = Mapping[str, Mapping[str, Any]]


def feature_config(config: object) -> FeatureConfig:
    """*config* checked (feature name -> mapping of settings) and frozen.

    The composition root only carries settings; what a setting means, and
    its default, belongs to the feature that reads it (``uow.config("billing")``).
    """
    if config is None:
        return MappingProxyType({})
    if not isinstance(config, Mapping):
        raise ValidationError(
            "config", config, "give a mapping of feature name to settings, e.g. {'billing': {...}}"
        )
    out: dict[str, Mapping[str, Any]] = {}
    for feature, settings in config.items():
        if not isinstance(feature, str) or not isinstance(settings, Mapping):
            raise ValidationError(
                f"config[{feature!r}]", settings, "give a mapping of setting name to value"
            )
        out[feature] = MappingProxyType(dict(settings))
    return MappingProxyType(out)


@attrs.frozen
class Features:
    """What the plugins contribute to one store.

    Attributes:
        registry: The record kinds.
        event_types: The event classes, by name.
        bus: The event handlers (the plugins' first, then the application's).
        job_handlers: The job handlers, by queue (the job runner looks them up here).
        rule_actions: Rule actions, by name.
        notification_channels: Notification channels, by name.
        config: The settings `open` was given, per feature (a feature's handlers
            read theirs with ``uow.config(name)``).
    """

    registry: MappingRegistry
    event_types: EventTypes
    bus: EventBus
    job_handlers: Named[JobHandlerSpec]
    rule_actions: Named[RuleActionSpec]
    notification_channels: Named[NotificationChannelSpec]
    config: FeatureConfig = attrs.field(factory=lambda: MappingProxyType({}))


def _kinds(manager: PluginManager) -> MappingRegistry:
    contributed = manager.kinds()
    registry = MappingRegistry(contributed.values())
    for legacy in DEFAULT_MAPPINGS:  # register_mapping() leftovers, deprecated
        if legacy.kind not in contributed:
            registry.register(legacy)
    return registry


def _event_types(manager: PluginManager) -> EventTypes:
    contributed = manager.event_types()
    types = EventTypes(contributed.values())
    for name, cls in EVENT_TYPES.items():  # register_event() leftovers, deprecated
        if name not in contributed:
            types.add(cls)
    return types


def wire(
    manager: PluginManager,
    *,
    registry: MappingRegistry | None = None,
    handlers: Iterable[EventHandlerSpec] = (),
    max_event_depth: int = DEFAULT_MAX_DEPTH,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Features:
    """Build one store's features from *manager*'s plugins (and the application's *handlers*)."""
    contributed: list[EventHandlerSpec] = manager.event_handlers().values()
    bus = EventBus(contributed, max_depth=max_event_depth)
    for spec in handlers:
        bus.register(spec)
    settings = feature_config(config)
    kinds = registry if registry is not None else _kinds(manager)
    if unique_emails_wanted(settings):  # opt-in: parties claim their addresses (unique_emails.py)
        kinds = with_unique_emails(kinds)
    return Features(
        kinds,
        _event_types(manager),
        bus,
        manager.job_handlers(),
        manager.rule_actions(),
        manager.notification_channels(),
        settings,
    )
