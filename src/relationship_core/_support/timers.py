"""SLA timers as jobs: one job group per ticket, raised as events by the runner.

Every change to a ticket, in any unit of work (through `SupportService` or
a ticket saved through the repository), records an event; the support
plugin's handler `replace_on_change` reacts in that unit of work: at its
commit the ticket's `SlaState` is recomputed from the ticket as it is then,
under the store's `SlaSetup`, the group ``sla:<ticket>`` is cancelled and
the running targets' near-breach and breach instants are enqueued again on
queue ``support.sla`` (after the cancel, in the one transaction; once per
ticket however many events it recorded). So a pause (pending on the customer), a
first answer or a closure leaves no timer behind, and a resume gets new
ones. When a timer comes due, the runner's job publishes
`TicketSlaNearBreach` or `TicketSlaBreached` on the ticket, in the job's own
unit of work, so a rule can escalate.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from typing import TYPE_CHECKING

from relationship_core._domain.business import WorkingCalendar
from relationship_core._domain.clock import Clock
from relationship_core._domain.events import DomainEvent
from relationship_core._storage.contract import Job, NewJob
from relationship_core._support.events import (
    TicketAssigned,
    TicketCustomerWrote,
    TicketOpened,
    TicketPriorityChanged,
    TicketResponded,
    TicketSlaBreached,
    TicketSlaNearBreach,
    TicketStatusChanged,
)
from relationship_core._support.sla import (
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    TimerKind,
    select_policy,
    sla_state,
)
from relationship_core._support.sla_setup import SLA_SETUP_ID, SLA_SETUPS, SlaSetup
from relationship_core._support.tickets import Ticket, TicketStatus
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._storage.protocols import JobControlTransaction

__all__ = [
    "SLA_CHANGES",
    "SLA_QUEUE",
    "raise_sla_event",
    "replace_on_change",
    "replace_timers",
    "sla_group",
    "use_setup",
]

#: The queue of SLA timer jobs (its handler is the support plugin's).
SLA_QUEUE = "support.sla"
#: The ticket events after which its SLA timers are replaced (a reopen is a status change).
SLA_CHANGES: tuple[str, ...] = tuple(
    e.name
    for e in (
        TicketOpened,
        TicketStatusChanged,
        TicketResponded,
        TicketAssigned,
        TicketPriorityChanged,
        TicketCustomerWrote,
    )
)
#: Per unit of work, the tickets whose replacement is arranged already.
_ARRANGED: weakref.WeakKeyDictionary[UnitOfWork, set[str]] = weakref.WeakKeyDictionary()
#: Per unit of work, the setup its service stored (so the handler need not read it back).
_GIVEN: weakref.WeakKeyDictionary[UnitOfWork, SlaSetup] = weakref.WeakKeyDictionary()


def use_setup(uow: UnitOfWork, setup: SlaSetup) -> None:
    """Have *uow*'s ticket changes timed by *setup*, the one its service stored, unread."""
    _GIVEN[uow] = setup


def sla_group(ticket_id: str) -> str:
    """The job group holding a ticket's SLA timers: ``sla:<ticket>``."""
    return f"sla:{ticket_id}"


def _job(timer: SlaTimer, policy: str) -> NewJob:
    payload = {
        "ticket": timer.ticket_id,
        "target": timer.target.value,
        "kind": timer.kind.value,
        "at": timer.at.isoformat(),
        "policy": policy,
    }
    return NewJob(SLA_QUEUE, payload, timer.at, group=sla_group(timer.ticket_id))


def replace_timers(
    uow: UnitOfWork,
    ticket: Ticket,
    policy: SlaPolicy | None,
    calendar: WorkingCalendar,
    now: datetime,
) -> tuple[SlaTimer, ...]:
    """Cancel *ticket*'s timers and enqueue those of its SLA state at *now*, in *uow*'s commit."""
    uow.cancel_group(sla_group(ticket.id))
    if policy is None:
        return ()
    timers = sla_state(ticket, policy, calendar, now).timers
    jobs = [_job(timer, policy.name) for timer in timers]
    if jobs:

        def enqueue(tx: JobControlTransaction) -> None:  # after the group's cancel
            tx.enqueue(jobs)

        uow._within_commit(enqueue)
    return timers


def replace_on_change(event: DomainEvent, uow: UnitOfWork) -> None:
    """A ticket changed: at this unit of work's commit, replace its timers (once per ticket).

    The timers are computed when the commit writes, from the ticket as it is
    then (later events in the same unit of work count), under the stored
    `SlaSetup`; a store without one keeps no timers.
    """
    arranged = _ARRANGED.setdefault(uow, set())
    if event.aggregate_id in arranged:
        return
    setup = _GIVEN.get(uow) or uow.repository(SLA_SETUPS).find(SLA_SETUP_ID)
    if setup is None:
        return
    arranged.add(event.aggregate_id)
    ticket = uow.repository(Ticket).get(event.aggregate_id)
    clock: Clock | None = getattr(uow._crm, "clock", None)  # the CRM's; a bare session has none
    if not uow.is_new("ticket", ticket.id):  # a ticket stored now has no timers to cancel
        uow.cancel_group(sla_group(ticket.id))

    def enqueue(tx: JobControlTransaction) -> None:  # after the group's cancel
        policy = select_policy(setup.policies, ticket)
        if policy is None:
            return
        now = ticket.last_change_at if clock is None else max(clock.now(), ticket.last_change_at)
        state = sla_state(ticket, policy, setup.calendar, now)
        if state.timers:
            tx.enqueue([_job(timer, policy.name) for timer in state.timers])

    uow._within_commit(enqueue)


def raise_sla_event(job: Job, uow: UnitOfWork) -> None:
    """A timer came due: publish its near-breach or breach event, unless it no longer applies."""
    payload = job.payload
    try:
        target = SlaTarget(payload["target"])
        kind = TimerKind(payload["kind"])
        due = datetime.fromisoformat(payload["at"])
        ticket_id = str(payload["ticket"])
        policy = str(payload["policy"])
    except (KeyError, ValueError, TypeError):
        raise ValidationError("job.payload", dict(payload), "not an SLA timer's payload") from None
    ticket = uow.repository(Ticket).find(ticket_id)
    if ticket is None or ticket.is_closed or ticket.status is TicketStatus.PENDING_CUSTOMER:
        return  # replaced timers are cancelled; this guards a timer that raced a change
    if target is SlaTarget.FIRST_RESPONSE and ticket.first_response_at is not None:
        return
    event_type = TicketSlaBreached if kind is TimerKind.BREACH else TicketSlaNearBreach
    event = event_type(
        aggregate_id=ticket.id, occurred_at=due, target=target.value, policy=policy, due_at=due
    )
    uow.publish(event, kind="ticket")
