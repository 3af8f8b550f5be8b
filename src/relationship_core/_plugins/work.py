"""The "work" feature: tasks, recurrence series, requirement documents, comments, and their events.

A built-in plugin (``relationship_core.work``) using the same hooks a
third-party feature uses. Its handler turns a done order task into the
order's fulfilment, in the same unit of work (`relationship_core._work.handlers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import EventHandlerSpec, JobHandlerSpec
from relationship_core._work.events import (
    WORK_EVENTS,
    OrderFulfilmentRequested,
    TaskStatusChanged,
)
from relationship_core._work.handlers import fulfil_order
from relationship_core._work.kinds import WORK_MAPPINGS
from relationship_core._work.series_jobs import OCCURRENCE_QUEUE, create_occurrence, next_when_done

__all__ = [
    "relationship_core_event_handlers",
    "relationship_core_event_types",
    "relationship_core_job_handlers",
    "relationship_core_kinds",
]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Tasks, recurrence series, requirement documents and comments."""
    return list(WORK_MAPPINGS)


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """Every work event class."""
    return list(WORK_EVENTS)


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """A done order task fulfils its order (billing's `Order.fulfil`), in the same commit."""
    return [
        EventHandlerSpec("work.fulfil-order", OrderFulfilmentRequested.name, fulfil_order),
        EventHandlerSpec("work.next-when-done", TaskStatusChanged.name, next_when_done),
    ]


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """Recurring work: an occurrence's job creates its task (and the next one's job)."""
    return [JobHandlerSpec(OCCURRENCE_QUEUE, create_occurrence, "a recurring task's occurrence")]
