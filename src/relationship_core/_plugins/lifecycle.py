"""The "lifecycle" feature: party lifecycles and the deal pipeline, stored, and moved by engagements.

A built-in plugin (``relationship_core.lifecycle``) pointing the feature hooks
at `relationship_core._lifecycle`: the ``party_lifecycle`` and
``opportunity`` kinds and every lifecycle and deal event.

The handlers that move a party's stage when its engagements start, are
promoted, lapse or end (`ENGAGEMENT_HANDLERS`) are contributed to every
store. Settings (``open(url, config={"lifecycle": {...}})``):

* ``follow_engagements`` (default ``True``): ``False`` leaves parties'
  stages to explicit moves (`LifecycleService.move`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._lifecycle import EVENTS
from relationship_core._lifecycle.kinds import LIFECYCLE_MAPPINGS
from relationship_core._lifecycle.reactions import ENGAGEMENT_HANDLERS
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import EventHandlerSpec

__all__ = [
    "relationship_core_event_handlers",
    "relationship_core_event_types",
    "relationship_core_kinds",
]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Party lifecycles (one per party) and opportunities."""
    return list(LIFECYCLE_MAPPINGS)


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """Stage changes, ``engagement.ended`` and the deal events."""
    return list(EVENTS)


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """Engagement events move the party's stage (``lifecycle.follow_engagements``)."""
    return list(ENGAGEMENT_HANDLERS)
