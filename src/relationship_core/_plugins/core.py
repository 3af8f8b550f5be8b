"""The "core" feature: parties, engagements and interactions, and their events.

Registered as a built-in plugin (``relationship_core.core``) through the same
feature hooks a third-party package uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.kinds import ENGAGEMENTS, INTERACTIONS, PARTIES
from relationship_core._app.mapping import KindMapping
from relationship_core._app.schedules import SCHEDULES
from relationship_core._domain.engagements import (
    ClientLapsed,
    CustomerPromoted,
    EngagementStarted,
    InteractionLogged,
)
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl

__all__ = ["relationship_core_event_types", "relationship_core_kinds"]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Parties, engagements, interactions, and the platform's durable schedules."""
    return [PARTIES, ENGAGEMENTS, INTERACTIONS, SCHEDULES]


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """The engagement lifecycle and interaction events."""
    return [EngagementStarted, CustomerPromoted, ClientLapsed, InteractionLogged]
