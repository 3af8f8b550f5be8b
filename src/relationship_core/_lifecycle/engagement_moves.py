"""Engagement events become lifecycle moves: one truth for "customer", "client" and "churned".

The engagement says what kind of relationship there is (client or
customer); the lifecycle says where the party stands. So they can never
disagree, the party's commercial stages are *derived* from its live
engagements by `moves_for_engagement_event`, a pure function: the most
advanced live engagement decides (any client engagement makes the party a
client, else any customer engagement a customer), and the end of the last
live engagement is churn.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from relationship_core._domain.actor import Actor, ActorKind
from relationship_core._domain.engagements import (
    ClientLapsed,
    CustomerPromoted,
    EngagementEnded,
    EngagementKind,
    EngagementStarted,
)
from relationship_core._domain.events import DomainEvent
from relationship_core._lifecycle.definition import DEFAULT_LIFECYCLE, Lifecycle, StageKind
from relationship_core.exceptions import ValidationError

__all__ = [
    "EngagementEnded",
    "EngagementStageNames",
    "PlannedMove",
    "engagement_stage",
    "moves_for_engagement_event",
]


@attrs.frozen(kw_only=True)
class PlannedMove:
    """A move an engagement event calls for; `PartyLifecycle.apply` records it.

    Attributes:
        to_stage: The stage to enter.
        occurred_at: When (the event's instant).
        actor: Who or what caused it.
        source_id: Where it came from, so a redelivered event moves the party once.
        reason_code: Why, as a code (required for an ended stage).
        note: Why, in words.
    """

    to_stage: str
    occurred_at: datetime
    actor: Actor
    source_id: str
    reason_code: str | None = None
    note: str = ""


@attrs.frozen
class EngagementStageNames:
    """Which lifecycle stages engagements map to (for a lifecycle that renames them).

    Attributes:
        customer: Entered when the party's best live engagement is a customer one.
        client: Entered when any live engagement is a client one.
        ended: Entered when the last live engagement ends.
        recycled: Passed through when an engagement starts after an ended stage.
    """

    customer: str = "customer"
    client: str = "client"
    ended: str = "churned"
    recycled: str = "recycled"


_Engagements = (EngagementStarted, CustomerPromoted, ClientLapsed, EngagementEnded)


def engagement_stage(
    live: Mapping[str, EngagementKind], names: EngagementStageNames | None = None
) -> str | None:
    """The stage the party's live engagements put it in: the most advanced one wins."""
    names = names or EngagementStageNames()
    kinds = set(live.values())
    if EngagementKind.CLIENT in kinds:
        return names.client
    if EngagementKind.CUSTOMER in kinds:
        return names.customer
    return None


def _after(live: Mapping[str, EngagementKind], event: DomainEvent) -> dict[str, EngagementKind]:
    after = dict(live)
    if isinstance(event, EngagementStarted):
        after[event.aggregate_id] = event.kind
    elif isinstance(event, CustomerPromoted):
        after[event.aggregate_id] = EngagementKind.CLIENT
    elif isinstance(event, ClientLapsed):
        after[event.aggregate_id] = EngagementKind.CUSTOMER
    else:
        after.pop(event.aggregate_id, None)
    return after


def moves_for_engagement_event(
    event: DomainEvent,
    *,
    live: Mapping[str, EngagementKind],
    current: str | None,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    names: EngagementStageNames | None = None,
    actor: Actor | None = None,
) -> tuple[tuple[PlannedMove, ...], dict[str, EngagementKind]]:
    """The lifecycle moves one engagement event calls for, and the live engagements after it.

    *live* maps the party's live engagement ids to their kind before the
    event; *current* is the party's lifecycle stage. The rules:

    - ``engagement.started`` / ``engagement.promoted`` move the party
      forward to customer or client when that is more advanced than where it
      is (a lead becomes a customer; an advocate stays an advocate); after
      an ended stage they reactivate it: recycled, then customer or client.
    - ``engagement.lapsed`` moves a client back to customer, only when no
      other client engagement is live.
    - ``engagement.ended`` of the last live engagement is churn, with the
      event's reason code.

    Raises:
        ValidationError: *event* is not an engagement event, or the lifecycle lacks a stage.
    """
    if not isinstance(event, _Engagements):
        raise ValidationError(
            "event",
            type(event).__name__,
            "expected an engagement started/promoted/lapsed/ended event",
        )
    names = names or EngagementStageNames()
    for field in ("customer", "client", "ended", "recycled"):
        lifecycle.stage(getattr(names, field), field=f"names.{field}")
    actor = actor or Actor(ActorKind.SYSTEM, "engagements")
    after = _after(live, event)
    before_stage, after_stage = engagement_stage(live, names), engagement_stage(after, names)
    source = f"{event.name}:{event.aggregate_id}:{event.occurred_at.isoformat()}"
    note = getattr(event, "reason", "") or getattr(event, "note", "")

    def planned(to: str, reason_code: str | None = None) -> PlannedMove:
        return PlannedMove(
            to_stage=to,
            occurred_at=event.occurred_at,
            actor=actor,
            source_id=source,
            reason_code=reason_code,
            note=note,
        )

    if after_stage is None:
        churns = (
            isinstance(event, EngagementEnded)
            and before_stage is not None
            and current is not None
            and lifecycle.stage(current).kind is StageKind.ACTIVE
        )
        if churns and isinstance(event, EngagementEnded):
            return (planned(names.ended, event.reason_code),), after
        return (), after
    if current is None:
        return (planned(after_stage),), after
    kind = lifecycle.stage(current).kind
    if kind is StageKind.ENDED:
        return (planned(names.recycled), planned(after_stage)), after
    if kind is StageKind.RECYCLED or lifecycle.is_backward(after_stage, current):
        return (planned(after_stage),), after
    dropped = before_stage is not None and lifecycle.is_backward(before_stage, after_stage)
    if dropped and lifecycle.is_backward(current, after_stage):
        return (planned(after_stage),), after
    return (), after
