"""The support feature's events. Not registered at import: the platform registers `SUPPORT_EVENTS`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import attrs

from relationship_core._domain.events import DomainEvent

__all__ = [
    "SUPPORT_EVENTS",
    "SurveyAnswered",
    "TicketAssigned",
    "TicketCustomerWrote",
    "TicketOpened",
    "TicketPriorityChanged",
    "TicketReopened",
    "TicketResponded",
    "TicketSlaBreached",
    "TicketSlaNearBreach",
    "TicketStatusChanged",
]


@attrs.frozen(kw_only=True)
class TicketOpened(DomainEvent):
    """A ticket arrived (form, e-mail, phone or portal)."""

    name: ClassVar[str] = "ticket.opened"
    channel: str
    priority: str
    type: str
    email: str


@attrs.frozen(kw_only=True)
class TicketStatusChanged(DomainEvent):
    """A ticket moved; ``closed`` when it was resolved, rejected or marked duplicate."""

    name: ClassVar[str] = "ticket.status_changed"
    from_status: str
    to_status: str
    closed: bool
    by: str


@attrs.frozen(kw_only=True)
class TicketReopened(DomainEvent):
    """A closed ticket was opened again."""

    name: ClassVar[str] = "ticket.reopened"
    from_status: str
    by: str


@attrs.frozen(kw_only=True)
class TicketResponded(DomainEvent):
    """Staff answered the customer (the first one stops the first-response clock)."""

    name: ClassVar[str] = "ticket.responded"
    by: str
    first: bool


@attrs.frozen(kw_only=True)
class TicketAssigned(DomainEvent):
    """A ticket was given to an agent (and maybe a team)."""

    name: ClassVar[str] = "ticket.assigned"
    agent: str
    team: str | None
    by: str


@attrs.frozen(kw_only=True)
class TicketPriorityChanged(DomainEvent):
    """A ticket's priority changed (its SLA policy is chosen again)."""

    name: ClassVar[str] = "ticket.priority_changed"
    from_priority: str
    to_priority: str
    by: str


@attrs.frozen(kw_only=True)
class TicketCustomerWrote(DomainEvent):
    """The customer wrote again (a reply, a portal comment): the update clock restarts."""

    name: ClassVar[str] = "ticket.customer_wrote"


@attrs.frozen(kw_only=True)
class SurveyAnswered(DomainEvent):
    """A CSAT survey was answered."""

    name: ClassVar[str] = "survey.answered"
    ticket_id: str
    score: int


@attrs.frozen(kw_only=True)
class TicketSlaNearBreach(DomainEvent):
    """An SLA target's running clock reached its near-breach share (raised by the runner)."""

    name: ClassVar[str] = "ticket.sla_near_breach"
    target: str
    policy: str
    due_at: datetime  #: the instant the timer marked


@attrs.frozen(kw_only=True)
class TicketSlaBreached(DomainEvent):
    """An SLA target's running clock passed its goal (raised by the runner): escalate."""

    name: ClassVar[str] = "ticket.sla_breached"
    target: str
    policy: str
    due_at: datetime  #: the instant the timer marked


#: The event classes of the support feature, for the platform to register.
SUPPORT_EVENTS: tuple[type[DomainEvent], ...] = (
    TicketOpened,
    TicketStatusChanged,
    TicketReopened,
    TicketResponded,
    TicketAssigned,
    TicketPriorityChanged,
    TicketCustomerWrote,
    SurveyAnswered,
    TicketSlaNearBreach,
    TicketSlaBreached,
)
