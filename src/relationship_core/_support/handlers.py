"""The support feature's reactions, run by the bus inside the unit of work that recorded the event.

A ticket resolved gets its CSAT survey record in the same commit; sending it
(e-mail, portal) is the notifications' and rule engine's job, later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relationship_core._domain.events import DomainEvent
from relationship_core._support.csat import Survey
from relationship_core._support.events import TicketStatusChanged
from relationship_core._support.tickets import Ticket, TicketStatus
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["create_survey", "survey_id"]


def survey_id(ticket: Ticket) -> str:
    """The survey of the ticket's latest resolution: ``"<ticket>:csat:<n>"`` (n counts resolutions).

    Deterministic, so a handler run twice for the same resolution meets the
    same id instead of creating a second survey.
    """
    n = sum(1 for change in ticket.history if change.to_status is TicketStatus.RESOLVED)
    return f"{ticket.id}:csat:{n}"


def create_survey(event: DomainEvent, uow: UnitOfWork) -> None:
    """A ticket was resolved: record its survey (one per resolution)."""
    if not isinstance(event, TicketStatusChanged):
        raise ValidationError("event", event.name, "expected ticket.status_changed")
    if event.to_status != TicketStatus.RESOLVED.value:
        return
    ticket = uow.repository(Ticket).get(event.aggregate_id)
    sid = survey_id(ticket)
    surveys = uow.repository(Survey)
    if surveys.find(sid) is None:
        surveys.add(Survey.for_ticket(ticket, at=event.occurred_at, id=sid))
