"""The plugin module named by the entry point: the feature's hook implementations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from relationship_core import DomainEvent, EngagementStarted, KindMapping
from relationship_core._app.uow import UnitOfWork
from relationship_core.plugins import EventHandlerSpec, Job, JobHandlerSpec, NewJob, hookimpl
from relationship_core_followups.domain import FOLLOWUPS, FollowUp, FollowUpScheduled

#: How long after a new engagement someone should get back to the party.
DELAY = timedelta(days=7)


def schedule_follow_up(event: DomainEvent, uow: UnitOfWork) -> None:
    """A new engagement: a follow-up a week later, in the same unit of work."""
    assert isinstance(event, EngagementStarted)
    due = event.occurred_at.date() + DELAY
    if uow.repository(FollowUp).find(f"followup:{event.aggregate_id}") is None:
        uow.add(FollowUp.schedule(event.aggregate_id, due, event.occurred_at))


def enqueue_reminder(event: DomainEvent, uow: UnitOfWork) -> None:
    """A scheduled follow-up: a reminder job due that morning (enqueued in the same commit)."""
    assert isinstance(event, FollowUpScheduled)
    uow.enqueue(
        NewJob(
            "followups.remind",
            {"followup_id": event.aggregate_id},
            datetime.combine(event.due_on, time(9), tzinfo=UTC),
            idempotency_key=f"remind:{event.aggregate_id}",
        )
    )


def remind(job: Job, uow: UnitOfWork) -> None:
    """The job: mark the follow-up reminded (a real one would also notify someone)."""
    follow_up = uow.repository(FollowUp).get(job.payload["followup_id"])
    follow_up.reminded = True


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """The follow-up kind."""
    return [FOLLOWUPS]


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """The follow-up event."""
    return [FollowUpScheduled]


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """Schedule on new engagements; remind on scheduled follow-ups."""
    return [
        EventHandlerSpec("followups.schedule", "engagement.started", schedule_follow_up),
        EventHandlerSpec("followups.enqueue-reminder", "followup.scheduled", enqueue_reminder),
    ]


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """The reminder queue."""
    return [JobHandlerSpec("followups.remind", remind, "mark a follow-up reminded")]
