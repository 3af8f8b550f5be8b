"""The work kinds: tasks, recurrence series, requirement documents and comments.

Contributed by the built-in "work" plugin (``relationship_core.work``). The
indexed fields are what the service and a client's view query: tasks by
party, order, assignee, status, due day and priority; documents by
engagement; comments by subject and party. References are checked when a
unit of work commits (a task's party, order, engagement and parent must exist).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from relationship_core import _serialize
from relationship_core._app.mapping import KindMapping
from relationship_core._domain.business import WorkingCalendar
from relationship_core._domain.timeutil import to_zone
from relationship_core._work.comments import Comment
from relationship_core._work.recurrence import Mode, RecurrenceSeries, Roll
from relationship_core._work.requirements import DiscoveryNote, RequirementDocument
from relationship_core._work.tasks import Task
from relationship_core.exceptions import ValidationError

__all__ = [
    "COMMENTS",
    "DISCOVERY_NOTES",
    "RECURRENCE_SERIES",
    "REQUIREMENTS",
    "TASKS",
    "WORK_MAPPINGS",
    "series_document",
    "series_from_document",
]

#: relativedelta's relative parts, the only ones a when-done delay uses.
_DELTA_PARTS = ("years", "months", "weeks", "days", "hours", "minutes")


def _assignee(task: Task) -> str | None:
    return None if task.assignee is None else f"{task.assignee.kind.value}:{task.assignee.id}"


def _task_out(task: Task) -> dict[str, Any]:
    """The task as JSON; its estimate in whole microseconds (JSON has no durations)."""
    data: dict[str, Any] = _serialize.unstructure(task)
    estimate = task.estimate
    data["estimate"] = None if estimate is None else estimate // timedelta(microseconds=1)
    return data


def _task_in(data: dict[str, Any], cls: type[Task]) -> Task:
    micros = data.get("estimate")
    task = _serialize.structure({**data, "estimate": None}, cls)
    if micros is not None:
        if isinstance(micros, bool) or not isinstance(micros, int):
            raise ValidationError("task.estimate", micros, "stored estimate is not microseconds")
        task.estimate = timedelta(microseconds=micros)
    return task


TASKS: KindMapping[Task] = KindMapping(
    "task",
    Task,
    unstructure=_task_out,
    structure=_task_in,
    indexed={
        "party_id": ("str?", lambda t: t.party_id),
        "order_id": ("str?", lambda t: t.order_id),
        "engagement_id": ("str?", lambda t: t.engagement_id),
        "parent_id": ("str?", lambda t: t.parent_id),
        "assignee": ("str?", _assignee),
        "status": ("str", lambda t: t.status),
        "due": ("date?", lambda t: t.due_on),
        "priority": ("str", lambda t: t.priority.value),
        "shared": ("bool", lambda t: t.shared),
        # For the workload report: done or cancelled, whatever the workflow calls it.
        "closed": ("bool", lambda t: t.is_closed),
    },
    references={
        "party_id": "party",
        "order_id": "order",
        "engagement_id": "engagement",
        "parent_id": "task",
    },
)


def series_document(series: RecurrenceSeries) -> dict[str, Any]:
    """The series as JSON: its start is a naive local wall time, its delay relative parts."""
    delay = series.after_done
    return {
        "id": series.id,
        "time_zone": series.time_zone.key,
        "start": series.start.isoformat(),
        "mode": series.mode.value,
        "rule": series.rule,
        "after_done": None
        if delay is None
        else {part: getattr(delay, part) for part in _DELTA_PARTS if getattr(delay, part)},
        "at_time": None if series.at_time is None else series.at_time.isoformat(),
        "roll": series.roll.value,
        "calendar": None if series.calendar is None else _serialize.unstructure(series.calendar),
    }


def series_from_document(data: dict[str, Any]) -> RecurrenceSeries:
    """The series `series_document` stored (``ValidationError`` for another document)."""
    try:
        delay = data["after_done"]
        calendar = data["calendar"]
        return RecurrenceSeries(
            id=data["id"],
            time_zone=to_zone("time_zone", data["time_zone"]),
            start=datetime.fromisoformat(data["start"]),
            mode=Mode(data["mode"]),
            rule=data["rule"],
            after_done=None if delay is None else relativedelta(**delay),
            at_time=None if data["at_time"] is None else time.fromisoformat(data["at_time"]),
            roll=Roll(data["roll"]),
            calendar=None if calendar is None else _serialize.structure(calendar, WorkingCalendar),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            "recurrence_series", data.get("id"), f"stored document is not a series: {exc}"
        ) from None


RECURRENCE_SERIES: KindMapping[RecurrenceSeries] = KindMapping(
    "recurrence_series",
    RecurrenceSeries,
    indexed={
        "mode": ("str", lambda s: s.mode.value),
        "time_zone": ("str", lambda s: s.time_zone.key),
    },
    unstructure=series_document,
    structure=lambda data, _: series_from_document(data),
)

REQUIREMENTS: KindMapping[RequirementDocument] = KindMapping(
    "requirement",
    RequirementDocument,
    indexed={"engagement_id": ("str", lambda d: d.engagement_id)},
    references={"engagement_id": "engagement"},
)

DISCOVERY_NOTES: KindMapping[DiscoveryNote] = KindMapping(
    "discovery_note",
    DiscoveryNote,
    indexed={
        "engagement_id": ("str", lambda n: n.engagement_id),
        "at": ("datetime", lambda n: n.at),
    },
    references={"engagement_id": "engagement"},
)

COMMENTS: KindMapping[Comment] = KindMapping(
    "comment",
    Comment,
    indexed={
        "subject_kind": ("str", lambda c: c.subject_kind.value),
        "subject_id": ("str", lambda c: c.subject_id),
        "party_id": ("str?", lambda c: c.party_id),
        "visibility": ("str", lambda c: c.visibility.value),
        "at": ("datetime", lambda c: c.at),
    },
    references={"party_id": "party"},
)

#: Every work mapping, in registration order.
WORK_MAPPINGS: tuple[KindMapping[Any], ...] = (
    TASKS,
    RECURRENCE_SERIES,
    REQUIREMENTS,
    COMMENTS,
    DISCOVERY_NOTES,
)
