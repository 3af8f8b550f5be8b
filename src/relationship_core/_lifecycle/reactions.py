"""The lifecycle feature's event handlers: engagement events move the party's stage.

They run on the bus, inside the unit of work that recorded the engagement
event, so the engagement change and the stage it causes commit together (or
not at all). Application side of `relationship_core._lifecycle`.

**Idempotent on replay.** The moves an event causes carry its own identity
(``<event name>:<engagement id>:<instant>``, the source id
`moves_for_engagement_event` gives), not the envelope id: an envelope id is
new each time an event is published, so a redelivered or replayed copy would
look new. The party's lifecycle also keeps the live engagements it has seen,
so following the same event twice changes nothing.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from relationship_core._domain.events import DomainEvent
from relationship_core._lifecycle.history import PartyLifecycle
from relationship_core._lifecycle.kinds import PARTY_LIFECYCLES
from relationship_core._plugins.specs import EventHandlerSpec
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = [
    "ENGAGEMENT_EVENT_NAMES",
    "ENGAGEMENT_HANDLERS",
    "FOLLOW_ENGAGEMENTS",
    "follow_engagement",
    "lifecycle_of",
]

#: The engagement events that move a party's lifecycle.
ENGAGEMENT_EVENT_NAMES = (
    "engagement.started",
    "engagement.promoted",
    "engagement.lapsed",
    "engagement.ended",
)


def lifecycle_of(uow: UnitOfWork, party_id: str) -> PartyLifecycle:
    """The party's lifecycle in *uow*, added (empty) when it has none yet."""
    repo = uow.repository(PARTY_LIFECYCLES)
    found = repo.find(party_id)
    return found if found is not None else repo.add(PartyLifecycle(party_id=party_id))


#: The ``lifecycle`` setting switching the handlers (default ``True``).
FOLLOW_ENGAGEMENTS = "follow_engagements"


def follow_engagement(event: DomainEvent, uow: UnitOfWork) -> None:
    """Move the event's party through its lifecycle, in the same unit of work.

    Switched off with ``open(url, config={"lifecycle": {"follow_engagements": False}})``.
    """
    if not uow.config("lifecycle").get(FOLLOW_ENGAGEMENTS, True):
        return
    party_id = getattr(event, "party_id", None)
    if not isinstance(party_id, str):
        raise ValidationError("event.party_id", party_id, f"{event.name} names no party")
    lifecycle_of(uow, party_id).follow(event, recorded_at=event.occurred_at, actor=uow.actor)


#: The handlers the lifecycle plugin contributes to every store (on by default).
ENGAGEMENT_HANDLERS: tuple[EventHandlerSpec, ...] = tuple(
    EventHandlerSpec(f"lifecycle.follow-{name}", name, follow_engagement)
    for name in ENGAGEMENT_EVENT_NAMES
)


def __getattr__(name: str) -> tuple[EventHandlerSpec, ...]:
    """``LIFECYCLE_HANDLERS``: deprecated (0.3), the handlers are on by default; it is ``()``."""
    if name == "LIFECYCLE_HANDLERS":
        warnings.warn(
            "LIFECYCLE_HANDLERS is deprecated: engagement events move parties' stages by "
            "default now, so open(url, handlers=LIFECYCLE_HANDLERS) adds nothing (it is "
            'empty); switch them off with open(url, config={"lifecycle": '
            '{"follow_engagements": False}})',
            DeprecationWarning,
            stacklevel=2,
        )
        return ()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
