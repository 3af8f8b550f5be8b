"""Recurring work on the runner: each occurrence of a series becomes one task, exactly once.

`WorkService.start_series` stores the series and enqueues its first
occurrence as a job on queue ``work.occurrence`` (idempotency key: the
occurrence's key, group ``series:<id>``). When it comes due, the runner's job
creates the task, whose id is the occurrence key (``<series>@<local
time>``), and, for a schedule series, enqueues the next occurrence in the
same transaction; a "when done" series' next occurrence is enqueued when
the occurrence's task is closed, computed from that instant. A worker that
crashes runs the job again: the task id and the keys make every occurrence
exist once, and no occurrence is skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relationship_core._storage.contract import Job, NewJob
from relationship_core._work.events import TaskStatusChanged
from relationship_core._work.recurrence import Mode, Occurrence, RecurrenceSeries, next_occurrence
from relationship_core._work.tasks import Task
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._domain.events import DomainEvent

__all__ = ["OCCURRENCE_QUEUE", "create_occurrence", "next_when_done", "occurrence_job"]

#: The queue of recurring work's occurrences (its handler is the work plugin's).
OCCURRENCE_QUEUE = "work.occurrence"


def occurrence_job(occurrence: Occurrence, template: dict[str, Any]) -> NewJob:
    """The job creating *occurrence*'s task from *template* (title, party, checklists)."""
    key = occurrence.key
    payload = {"series": occurrence.series_id, "key": key, "template": template}
    return NewJob(
        OCCURRENCE_QUEUE,
        payload,
        occurrence.at,
        idempotency_key=f"occurrence:{key}",
        group=f"series:{occurrence.series_id}",
    )


def create_occurrence(job: Job, uow: UnitOfWork) -> None:
    """An occurrence came due: its task, and for a schedule series the next occurrence's job."""
    try:
        series_id = str(job.payload["series"])
        key = str(job.payload["key"])
        template = dict(job.payload["template"])
    except (KeyError, TypeError, ValueError):
        raise ValidationError("job.payload", dict(job.payload), "not an occurrence job") from None
    series = uow.repository(RecurrenceSeries).get(series_id)
    tasks = uow.repository(Task)
    if tasks.find(key) is None:
        task = Task.create(
            str(template["title"]),
            by="recurrence",
            at=job.due_at,
            id=key,
            party_id=template.get("party_id"),
        )
        for name, items in dict(template.get("checklists") or {}).items():
            task.add_checklist(str(name), [str(i) for i in items])
        uow.add(task)
    if series.mode is Mode.SCHEDULE:
        following = next_occurrence(series, key)
        if following is not None:
            uow.enqueue(occurrence_job(following, template))


def next_when_done(event: DomainEvent, uow: UnitOfWork) -> None:
    """A "when done" occurrence's task closed: enqueue the next one, from that instant."""
    if not isinstance(event, TaskStatusChanged):
        raise ValidationError("event", event.name, "expected task.status_changed")
    if not event.closed or "@" not in event.aggregate_id:
        return
    series_id = event.aggregate_id.split("@", 1)[0]
    series = uow.repository(RecurrenceSeries).find(series_id)
    if series is None or series.mode is not Mode.WHEN_DONE:
        return
    task = uow.repository(Task).get(event.aggregate_id)
    following = next_occurrence(series, event.aggregate_id, completed_at=event.occurred_at)
    if following is not None:
        template: dict[str, Any] = {"title": task.title, "party_id": task.party_id}
        template["checklists"] = {c.name: [item.text for item in c.items] for c in task.checklists}
        uow.enqueue(occurrence_job(following, template))
