"""The "lifecycle" feature: party lifecycles and the deal pipeline, stored, and moved by engagements.

A built-in plugin (``relationship_core.lifecycle``) pointing the feature hooks
at `relationship_core._lifecycle`: the ``party_lifecycle`` and
``opportunity`` kinds and every lifecycle and deal event.

The handlers that move a party's stage when its engagements start, are
promoted, lapse or end (`LIFECYCLE_HANDLERS`) are NOT contributed to every
store: a store opts in, with ``open(url, handlers=LIFECYCLE_HANDLERS)`` or
``LifecycleService(crm).follow_engagements()``. Contributed by default they
would add a record and an event to every engagement change of every
application (and refuse engagements of parties never saved, as the lifecycle
references its party). Once ``open(url, config=...)`` lands, a
``{"lifecycle": {...}}`` setting is the natural switch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._lifecycle import EVENTS
from relationship_core._lifecycle.kinds import LIFECYCLE_MAPPINGS
from relationship_core._plugins.markers import hookimpl

__all__ = ["relationship_core_event_types", "relationship_core_kinds"]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Party lifecycles (one per party) and opportunities."""
    return list(LIFECYCLE_MAPPINGS)


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """Stage changes, ``engagement.ended`` and the deal events."""
    return list(EVENTS)
