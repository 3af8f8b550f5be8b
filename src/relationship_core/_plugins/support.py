"""The "support" feature: tickets, CSAT surveys, the e-mail lookup, and their events.

A built-in plugin (``relationship_core.support``) using the same hooks a
third-party feature uses. Its handler records a survey when a ticket is
resolved, in the same unit of work (`relationship_core._support.handlers`);
another replaces a changed ticket's SLA timers in the commit that changed it;
its job handler raises SLA breach events when a ticket's timers come due
(`relationship_core._support.timers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import EventHandlerSpec, JobHandlerSpec
from relationship_core._support.events import SUPPORT_EVENTS, TicketStatusChanged
from relationship_core._support.handlers import create_survey
from relationship_core._support.kinds import SUPPORT_MAPPINGS
from relationship_core._support.timers import (
    SLA_CHANGES,
    SLA_QUEUE,
    raise_sla_event,
    replace_on_change,
)

__all__ = [
    "relationship_core_event_handlers",
    "relationship_core_event_types",
    "relationship_core_job_handlers",
    "relationship_core_kinds",
]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """Tickets, surveys and support contacts."""
    return list(SUPPORT_MAPPINGS)


@hookimpl
def relationship_core_event_types() -> Sequence[type[DomainEvent]]:
    """Every support event class."""
    return list(SUPPORT_EVENTS)


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """A resolved ticket gets its survey; a changed one new SLA timers; both in the same commit."""
    return [
        EventHandlerSpec("support.survey-on-resolve", TicketStatusChanged.name, create_survey),
        *(EventHandlerSpec(f"support.sla-timers@{n}", n, replace_on_change) for n in SLA_CHANGES),
    ]


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """SLA timers: a due timer publishes the ticket's near-breach or breach event."""
    return [JobHandlerSpec(SLA_QUEUE, raise_sla_event, "a ticket's SLA timer came due")]
