"""The ticket aggregate: a support query from form, e-mail, phone or portal to its closure."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.parties import EmailAddress
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import non_empty_text, to_enum
from relationship_core._support.events import (
    TicketAssigned,
    TicketCustomerWrote,
    TicketOpened,
    TicketPriorityChanged,
    TicketReopened,
    TicketResponded,
    TicketStatusChanged,
)
from relationship_core._support.forms import (
    FormSubmission,
    TicketChannel,
    TicketPriority,
    TicketType,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "TICKET_TRANSITIONS",
    "Settlement",
    "SettlementKind",
    "StatusChange",
    "Ticket",
    "TicketStatus",
]


class TicketStatus(enum.Enum):
    """Two levels: open (new, assigned, pending) and closed (resolved, rejected, duplicate)."""

    NEW = "new"
    ASSIGNED = "assigned"
    PENDING_CUSTOMER = "pending_customer"  #: waiting on the customer: SLA clocks pause
    PENDING_US = "pending_us"  #: waiting on us or a third party: clocks run
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"

    @property
    def is_closed(self) -> bool:
        """Resolved, rejected or duplicate."""
        return self in _CLOSED


_CLOSED = frozenset({TicketStatus.RESOLVED, TicketStatus.REJECTED, TicketStatus.DUPLICATE})
_S = TicketStatus
_ORDER = tuple(TicketStatus)

#: Allowed moves. Closed to open is a reopen; a duplicate is final (reopen the original).
TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    _S.NEW: frozenset({_S.ASSIGNED, _S.PENDING_CUSTOMER, _S.PENDING_US, *_CLOSED}),
    _S.ASSIGNED: frozenset({_S.PENDING_CUSTOMER, _S.PENDING_US, *_CLOSED}),
    _S.PENDING_CUSTOMER: frozenset({_S.ASSIGNED, _S.PENDING_US, _S.RESOLVED, _S.REJECTED}),
    _S.PENDING_US: frozenset({_S.ASSIGNED, _S.PENDING_CUSTOMER, _S.RESOLVED, _S.REJECTED}),
    _S.RESOLVED: frozenset({_S.NEW, _S.ASSIGNED}),
    _S.REJECTED: frozenset({_S.NEW, _S.ASSIGNED}),
    _S.DUPLICATE: frozenset(),
}


class SettlementKind(enum.Enum):
    """What settled a dispute or a return."""

    REFUND = "refund"
    CREDIT_NOTE = "credit_note"


@attrs.frozen
class Settlement:
    """The billing document that settled a dispute or return.

    Attributes:
        kind: Refund or credit note.
        id: Its id in billing.
    """

    kind: SettlementKind
    id: str = attrs.field(validator=non_empty_text)


@attrs.frozen
class StatusChange:
    """One move of a ticket, as history (SLA clocks are computed from it).

    Attributes:
        from_status: Before.
        to_status: After.
        at: When.
        by: Who.
    """

    from_status: TicketStatus
    to_status: TicketStatus
    at: datetime
    by: str


@attrs.define(kw_only=True)
class Ticket(EventRecorder):
    """A support query. Open with `Ticket.open` from a checked `FormSubmission`.

    Examples:
        >>> from datetime import UTC, datetime
        >>> form = FormSubmission(name="Ada", email="ada@example.com", problem="No invoice")
        >>> t = Ticket.open(form, at=datetime(2026, 3, 2, 9, tzinfo=UTC), id="T-1")
        >>> t.move("resolved", by="sam", at=datetime(2026, 3, 2, 10, tzinfo=UTC))
        >>> t.move("pending_us", by="sam", at=datetime(2026, 3, 2, 11, tzinfo=UTC))
        Traceback (most recent call last):
        ...
        relationship_core.exceptions.InvalidTransitionError: ticket cannot move from 'resolved' to 'pending_us'; allowed moves: new, assigned (reopen)

    Attributes:
        id: The ticket's id.
        name: The customer's name.
        email: Where answers go.
        problem: What they wrote.
        product: The product it is about.
        priority: How urgent.
        type: Question, problem, dispute or return.
        channel: How it arrived.
        attachments: References to stored files.
        order_id: The order a dispute or return is about.
        status: Where it is now.
        created_at: When it arrived.
        assignee: The agent handling it.
        team: The support team.
        history: Every status change, oldest first.
        responses: When staff answered the customer, oldest first.
        customer_contacts: When the customer wrote again after opening it
            (replies, portal comments), oldest first.
        settlement: The refund or credit note that settled a dispute or return.
        duplicate_of: The ticket a duplicate repeats.
        party_id: The customer (matched by e-mail, or created) it belongs to.
    """

    id: str
    name: str
    email: EmailAddress
    problem: str
    product: str | None
    priority: TicketPriority
    type: TicketType
    channel: TicketChannel
    attachments: tuple[str, ...]
    order_id: str | None
    status: TicketStatus
    created_at: datetime
    assignee: str | None = None
    team: str | None = None
    history: list[StatusChange] = attrs.field(factory=list)
    responses: list[datetime] = attrs.field(factory=list)
    customer_contacts: list[datetime] = attrs.field(factory=list)
    settlement: Settlement | None = None
    duplicate_of: str | None = None
    party_id: str | None = None
    _events: list[DomainEvent] = events_field()

    @classmethod
    def open(
        cls,
        form: FormSubmission,
        *,
        at: datetime,
        id: str | None = None,
        team: str | None = None,
        party_id: str | None = None,
    ) -> Ticket:
        """A new ticket from a submission (already checked by `FormSubmission`)."""
        if not isinstance(form, FormSubmission):
            raise ValidationError("form", form, "build a FormSubmission first; it checks the input")
        ticket = cls(
            id=new_id() if id is None else id,
            name=form.name,
            email=form.email,
            problem=form.problem,
            product=form.product,
            priority=form.priority,
            type=form.type,
            channel=form.channel,
            attachments=form.attachments,
            order_id=form.order_id,
            status=TicketStatus.NEW,
            created_at=require_aware("at", at),
            team=team,
            party_id=party_id,
        )
        ticket._record(
            TicketOpened(
                aggregate_id=ticket.id,
                occurred_at=at,
                channel=form.channel.value,
                priority=form.priority.value,
                type=form.type.value,
                email=str(form.email),
            )
        )
        return ticket

    @property
    def is_closed(self) -> bool:
        """Resolved, rejected or duplicate."""
        return self.status.is_closed

    @property
    def allowed(self) -> tuple[TicketStatus, ...]:
        """Where it may move from here."""
        return tuple(s for s in _ORDER if s in TICKET_TRANSITIONS[self.status])

    @property
    def first_response_at(self) -> datetime | None:
        """When staff first answered."""
        return self.responses[0] if self.responses else None

    @property
    def first_closed_at(self) -> datetime | None:
        """When it was first closed (kept when it is reopened)."""
        return next((c.at for c in self.history if c.to_status.is_closed), None)

    @property
    def closed_at(self) -> datetime | None:
        """When it was closed, while it is."""
        return self.history[-1].at if self.is_closed and self.history else None

    def move(self, to: TicketStatus | str, *, by: str, at: datetime) -> None:
        """Move along `TICKET_TRANSITIONS`; closed to open counts as a reopen."""
        target = to_enum(TicketStatus, "status", to)
        if target not in TICKET_TRANSITIONS[self.status]:
            allowed = [s.value for s in self.allowed]
            if self.is_closed and allowed:
                allowed[-1] += " (reopen)"
            raise InvalidTransitionError("ticket", self.status.value, target.value, allowed)
        require_aware("at", at)
        last = self.history[-1].at if self.history else self.created_at
        if at < last:
            raise ValidationError("at", at, f"before the ticket's last change at {last}")
        before = self.status
        self.history.append(StatusChange(before, target, at, by))
        self.status = target
        if before.is_closed:
            self._record(
                TicketReopened(
                    aggregate_id=self.id, occurred_at=at, from_status=before.value, by=by
                )
            )
        self._record(
            TicketStatusChanged(
                aggregate_id=self.id,
                occurred_at=at,
                from_status=before.value,
                to_status=target.value,
                closed=target.is_closed,
                by=by,
            )
        )

    def assign(self, agent: str, *, by: str, at: datetime, team: str | None = None) -> None:
        """Give it to *agent* (and *team*); a new ticket becomes assigned."""
        if not isinstance(agent, str) or not agent.strip():
            raise ValidationError("agent", agent, "give the agent's id")
        if self.is_closed:
            raise InvalidTransitionError(
                "ticket", self.status.value, "assigned", [s.value for s in self.allowed]
            )
        require_aware("at", at)
        self.assignee = agent
        if team is not None:
            self.team = team
        self._record(
            TicketAssigned(aggregate_id=self.id, occurred_at=at, agent=agent, team=team, by=by)
        )
        if self.status is TicketStatus.NEW:
            self.move(TicketStatus.ASSIGNED, by=by, at=at)

    def reopen(self, *, by: str, at: datetime) -> None:
        """Open a closed ticket again: assigned when it has an agent, else new."""
        if not self.is_closed:
            raise InvalidTransitionError(
                "ticket", self.status.value, "reopened", [s.value for s in self.allowed]
            )
        self.move(TicketStatus.ASSIGNED if self.assignee else TicketStatus.NEW, by=by, at=at)

    def respond(self, *, by: str, at: datetime) -> None:
        """Record that staff answered the customer (the first answer stops that SLA clock)."""
        require_aware("at", at)
        if at < self.created_at or (self.responses and at < self.responses[-1]):
            raise ValidationError("at", at, "before the ticket or its last response")
        self.responses.append(at)
        self._record(
            TicketResponded(
                aggregate_id=self.id, occurred_at=at, by=by, first=len(self.responses) == 1
            )
        )

    def set_priority(
        self, priority: TicketPriority | str, *, by: str = "system", at: datetime | None = None
    ) -> None:
        """Change the priority (the SLA policy is chosen again from it).

        *at* defaults to the ticket's last change (the domain has no clock).
        """
        wanted = to_enum(TicketPriority, "priority", priority)
        when = self.last_change_at if at is None else require_aware("at", at)
        if wanted is self.priority:
            return
        before, self.priority = self.priority, wanted
        self._record(
            TicketPriorityChanged(
                aggregate_id=self.id,
                occurred_at=when,
                from_priority=before.value,
                to_priority=wanted.value,
                by=by,
            )
        )

    def customer_wrote(self, *, at: datetime, by: str = "customer") -> None:
        """The customer wrote again: a ticket pending on them is pending on us now."""
        require_aware("at", at)
        if at < self.last_change_at:
            raise ValidationError(
                "at", at, f"before the ticket's last change at {self.last_change_at}"
            )
        self.customer_contacts.append(at)
        self._record(TicketCustomerWrote(aggregate_id=self.id, occurred_at=at))
        if self.status is TicketStatus.PENDING_CUSTOMER:
            self.move(TicketStatus.PENDING_US, by=by, at=at)

    @property
    def last_contact_at(self) -> datetime:
        """The latest contact of either side: opening, a staff answer or the customer writing."""
        return max([self.created_at, *self.responses[-1:], *self.customer_contacts[-1:]])

    @property
    def last_change_at(self) -> datetime:
        """The latest instant the ticket records (a move, an answer, the customer writing)."""
        return max([self.last_contact_at, *(c.at for c in self.history[-1:])])

    def mark_duplicate(self, original_id: str, *, by: str, at: datetime) -> None:
        """Close it as a duplicate of *original_id*."""
        if not isinstance(original_id, str) or not original_id or original_id == self.id:
            raise ValidationError("original_id", original_id, "name another ticket")
        self.move(TicketStatus.DUPLICATE, by=by, at=at)
        self.duplicate_of = original_id

    def settle(self, kind: SettlementKind | str, document_id: str) -> None:
        """Link the refund or credit note that settled this dispute or return."""
        if self.type not in (TicketType.DISPUTE, TicketType.RETURN):
            raise ValidationError("type", self.type.value, "only disputes and returns are settled")
        self.settlement = Settlement(to_enum(SettlementKind, "kind", kind), document_id)
