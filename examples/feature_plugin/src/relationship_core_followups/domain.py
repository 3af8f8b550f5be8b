"""The follow-up aggregate, its event and its storage mapping."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import attrs

from relationship_core import DomainEvent, KindMapping
from relationship_core._domain.events import EventRecorder, events_field

__all__ = ["FOLLOWUPS", "FollowUp", "FollowUpScheduled"]


@attrs.frozen(kw_only=True)
class FollowUpScheduled(DomainEvent):
    """Someone should get back to the party on *due_on*."""

    name: ClassVar[str] = "followup.scheduled"

    engagement_id: str
    due_on: date


@attrs.define(kw_only=True)
class FollowUp(EventRecorder):
    """A reminder to contact an engagement's party again."""

    id: str
    engagement_id: str
    due_on: date
    reminded: bool = False
    _events: list[DomainEvent] = events_field()

    @classmethod
    def schedule(cls, engagement_id: str, due_on: date, at: datetime) -> FollowUp:
        """A new follow-up, recording `FollowUpScheduled`."""
        follow_up = cls(id=f"followup:{engagement_id}", engagement_id=engagement_id, due_on=due_on)
        follow_up._record(
            FollowUpScheduled(
                aggregate_id=follow_up.id,
                occurred_at=at,
                engagement_id=engagement_id,
                due_on=due_on,
            )
        )
        return follow_up


FOLLOWUPS: KindMapping[FollowUp] = KindMapping(
    "followup",
    FollowUp,
    indexed={
        "engagement_id": ("str", lambda f: f.engagement_id),
        "due_on": ("date", lambda f: f.due_on),
    },
    references={"engagement_id": "engagement"},
)
