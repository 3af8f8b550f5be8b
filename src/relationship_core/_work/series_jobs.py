"""Recurring work on the platform's durable schedules: each occurrence becomes one task, once.

`WorkService.start_series` stores the series and, in the same transaction, a
durable schedule (`crm.schedules`, named by `schedule_name`) that runs the
series: its jobs are on queue ``work.occurrence``, in the group
``series:<id>``, each keyed ``schedule:<name>:<local time>``. When one comes
due, the runner's job creates the task, whose id is the occurrence key
(``<series>@<local time>``), with the series' template (title, party,
checklists, workflow); the runner then has the schedule enqueue the next
occurrence in that transaction. A "when done" series' next occurrence is
enqueued when the latest occurrence's task is closed, computed from that
instant (`occurrence_done`). A worker that crashes runs the job again: the
task id and the keys make every occurrence exist once, and none is skipped.

Series started by older code ran on jobs of their own (keys
``occurrence:<key>``). Such a job still creates its task, then hands the
series over to a schedule that carries on after it, so stored series upgrade
as they run.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from relationship_core import _serialize
from relationship_core._app import schedules
from relationship_core._storage.contract import Job
from relationship_core._work.events import TaskStatusChanged
from relationship_core._work.recurrence import Mode, RecurrenceSeries
from relationship_core._work.tasks import Task
from relationship_core._work.workflow import DEFAULT_WORKFLOW, Workflow
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._domain.events import DomainEvent

__all__ = [
    "OCCURRENCE_QUEUE",
    "create_occurrence",
    "next_when_done",
    "schedule_name",
    "series_schedule",
    "template_of",
]

#: The queue of recurring work's occurrences (its handler is the work plugin's).
OCCURRENCE_QUEUE = "work.occurrence"
_PLAIN = re.compile(r"[A-Za-z0-9._/-]{1,80}")
_LOCAL = 19  # len("2026-03-31T17:00:00"): keys hold whole seconds


def schedule_name(series_id: str) -> str:
    """The durable schedule running a series: ``work.series.<id>`` (hashed if the id will not do)."""
    if _PLAIN.fullmatch(series_id):
        return f"work.series.{series_id}"
    return f"work.series-h.{hashlib.sha256(series_id.encode()).hexdigest()[:40]}"


def template_of(
    title: str,
    party_id: str | None,
    checklists: dict[str, list[str]],
    workflow: Workflow = DEFAULT_WORKFLOW,
) -> dict[str, Any]:
    """What every occurrence's task is made from (JSON, in each job's payload)."""
    return {
        "title": title,
        "party_id": party_id,
        "checklists": checklists,
        "workflow": _serialize.unstructure(workflow),
    }


def series_schedule(series: RecurrenceSeries, template: dict[str, Any]) -> schedules.Schedule:
    """The (unstored) durable schedule running *series*' occurrences with *template*."""
    return schedules.new_schedule(
        schedule_name(series.id),
        OCCURRENCE_QUEUE,
        {"series": series.id, "template": template},
        series=series,
        group=f"series:{series.id}",
    )


def _workflow(template: dict[str, Any]) -> Workflow:
    data = template.get("workflow")  # absent from templates stored before 0.x: the default
    return DEFAULT_WORKFLOW if data is None else _serialize.structure(data, Workflow)


def _task(uow: UnitOfWork, task_id: str, template: dict[str, Any], at: datetime) -> None:
    tasks = uow.repository(Task)
    if tasks.find(task_id) is not None:
        return
    task = Task.create(
        str(template["title"]),
        by="recurrence",
        at=at,
        id=task_id,
        party_id=template.get("party_id"),
        workflow=_workflow(template),
    )
    for name, items in dict(template.get("checklists") or {}).items():
        task.add_checklist(str(name), [str(i) for i in items])
    uow.add(task)


def create_occurrence(job: Job, uow: UnitOfWork) -> None:
    """An occurrence came due: its task (the schedule enqueues the next one)."""
    try:
        series_id = str(job.payload["series"])
        template = dict(job.payload["template"])
        key = job.idempotency_key or ""
        if key.startswith(schedules.KEY_PREFIX):
            local = key[-_LOCAL:]
        else:  # a job of older code: its own key in the payload
            local = str(job.payload["key"]).rpartition("@")[2]
        wall = datetime.fromisoformat(local)
    except (KeyError, TypeError, ValueError):
        raise ValidationError("job.payload", dict(job.payload), "not an occurrence job") from None
    _task(uow, f"{series_id}@{local}", template, job.due_at)
    if not key.startswith(schedules.KEY_PREFIX):
        _take_over(uow, series_id, template, wall)


def _take_over(
    uow: UnitOfWork, series_id: str, template: dict[str, Any], after: datetime
) -> schedules.Schedule | None:
    """A series of older code, at its occurrence *after*: a schedule carries on from there."""
    name = schedule_name(series_id)
    found: schedules.Schedule | None = uow.repository(schedules.SCHEDULES).find(name)
    if found is not None:
        return found
    series = uow.repository(RecurrenceSeries).find(series_id)
    if series is None:
        return None
    return schedules.begin(uow, series_schedule(series, template), after=after)


def next_when_done(event: DomainEvent, uow: UnitOfWork) -> None:
    """A "when done" occurrence's task closed: its schedule enqueues the next one, from that instant."""
    if not isinstance(event, TaskStatusChanged):
        raise ValidationError("event", event.name, "expected task.status_changed")
    if not event.closed or "@" not in event.aggregate_id:
        return
    series_id, _, local = event.aggregate_id.rpartition("@")
    try:
        wall = datetime.fromisoformat(local)
    except ValueError:
        return  # a task id with an '@' of its own, not an occurrence
    name = schedule_name(series_id)
    if uow.repository(schedules.SCHEDULES).find(name) is None:
        series = uow.repository(RecurrenceSeries).find(series_id)
        if series is None or series.mode is not Mode.WHEN_DONE:
            return
        task = uow.repository(Task).get(event.aggregate_id)
        lists = {c.name: [item.text for item in c.items] for c in task.checklists}
        template = template_of(task.title, task.party_id, lists, task.workflow)
        _take_over(uow, series_id, template, wall)
    schedules.occurrence_done(uow, name, wall, event.occurred_at)
