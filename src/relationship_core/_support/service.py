"""The support service: form submissions to tickets of the right party, moves, SLA, surveys.

Every call is one unit of work by the given `Actor`. A submission finds its
party through the `SupportContact` of its normalised address, then through
the parties' e-mail index; a new address gets a `Person` with a customer
engagement served by the team the form routes to, and a `SupportContact`,
all in the ticket's unit of work. Two submissions from one new address race
into the same contact id: the loser's commit fails with ``ConflictError``,
writes nothing, and is retried once, finding the winner's party.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from relationship_core._app.repository import require_store
from relationship_core._app.search import parties_by_email
from relationship_core._billing.invoices import CreditNote
from relationship_core._billing.orders import Order
from relationship_core._domain.actor import Actor
from relationship_core._domain.business import DEFAULT_BUSINESS, Business
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.parties import Party, Person
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import to_enum, tuple_of
from relationship_core._support.csat import Answer, CsatResponse, Survey
from relationship_core._support.forms import FormSubmission, TicketPriority
from relationship_core._support.kinds import SupportContact, normalise_email
from relationship_core._support.sla import SlaPolicy, SlaState, select_policy, sla_state
from relationship_core._support.sla_setup import SLA_SETUP_ID, SLA_SETUPS, SlaSetup
from relationship_core._support.tickets import SettlementKind, Ticket, TicketStatus
from relationship_core._support.timers import replace_timers, use_setup
from relationship_core._work.service import actor_name, attempt
from relationship_core.exceptions import ConflictError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import Repository, UnitOfWork

__all__ = ["SupportService"]


class SupportService:
    """Tickets from forms, their moves, their SLA state in the business's hours, and surveys.

    Args:
        crm: The open store (with the support feature, as ``relationship_core.open`` gives).
        business: Whose support this is: a `Business`, or the key of one stored
            (the default business when none is stored); its `WorkingCalendar`
            measures SLA time and dates new customers' engagements.
        policies: The SLA policies, first match wins (`select_policy`); given,
            they and the business's calendar are stored as the store's
            `SlaSetup` (replacing another), and then every change of a ticket,
            here or in any unit of work, replaces its SLA timer jobs (group
            ``sla:<ticket>``, queue ``support.sla``), which the runner turns into
            ``ticket.sla_near_breach`` and ``ticket.sla_breached`` events. Not
            given: the stored setup's, if any.
        default_team: The team a form without one routes to.
    """

    def __init__(
        self,
        crm: CRM,
        *,
        business: Business | str = DEFAULT_BUSINESS,
        policies: Sequence[SlaPolicy] = (),
        default_team: str = "support",
    ) -> None:
        require_store("crm", crm)
        for kind in ("ticket", "survey", "support_contact", "party", "engagement"):
            if kind not in crm.registry:
                raise ValidationError(
                    "crm.registry",
                    kind,
                    "this store lacks the support feature; open it with "
                    "the default plugins (relationship_core.support)",
                )
        if not isinstance(business, Business):
            stored = crm.repository(Business).find(business) if "business" in crm.registry else None
            if stored is None and business != DEFAULT_BUSINESS:
                raise ValidationError(
                    "business", business, "no such business stored; pass a Business or store it"
                )
            business = stored or Business.create(DEFAULT_BUSINESS)
        if not isinstance(default_team, str) or not default_team.strip():
            raise ValidationError("default_team", default_team, "give a team name")
        self.crm = crm
        self.business = business
        self.policies = tuple_of("policies", SlaPolicy, policies)
        self.default_team = default_team
        self._setup: SlaSetup | None = None
        if self.policies:
            self._setup = SlaSetup(policies=self.policies, calendar=business.calendar)
            self._store_setup(self._setup)
        else:
            self._setup = crm.repository(SLA_SETUPS).find(SLA_SETUP_ID)
            if self._setup is not None:
                self.policies = self._setup.policies

    def _store_setup(self, setup: SlaSetup) -> None:
        def work(uow: UnitOfWork) -> None:
            repo = uow.repository(SLA_SETUPS)
            stored = repo.find(SLA_SETUP_ID)
            if stored is None:
                repo.add(setup)
            elif stored != setup:
                stored.policies, stored.calendar = setup.policies, setup.calendar

        attempt(self.crm, Actor.system(), work)

    @property
    def tickets(self) -> Repository[Ticket]:
        """Tickets (indexed by party, status, closed, priority, type, team, assignee)."""
        return self.crm.repository(Ticket)

    @property
    def surveys(self) -> Repository[Survey]:
        """CSAT surveys (indexed by ticket, party, answered, expires)."""
        return self.crm.repository(Survey)

    def party_for(self, email: str) -> str | None:
        """The party writing from *email*, if support knows it or a party has it as primary address."""
        key = normalise_email(email)
        contact = self.crm.repository(SupportContact).find(key)
        if contact is not None:
            return contact.party_id
        party = parties_by_email(self.crm.repository(Party), [key]).get(key.casefold())
        return None if party is None else party.id

    def link_contact(self, party_id: str, email: str, *, actor: Actor) -> SupportContact:
        """Record that *party_id* writes from *email* (any case); an address taken is refused."""
        key = normalise_email(email)

        def work(uow: UnitOfWork) -> SupportContact:
            contacts = uow.repository(SupportContact)
            existing = contacts.find(key)
            if existing is not None:
                if existing.party_id != party_id:
                    raise ValidationError("email", key, "is another party's support contact")
                return existing
            return contacts.add(SupportContact(id=key, party_id=party_id))

        return attempt(self.crm, actor, work)

    # -- submissions --------------------------------------------------------------------
    def submit(
        self, form: FormSubmission, *, team: str | None = None, actor: Actor | None = None
    ) -> Ticket:
        """A ticket for a checked submission, for the party writing from its address."""
        if not isinstance(form, FormSubmission):
            raise ValidationError("form", form, "build a FormSubmission first; it checks the input")
        routed = team or self.default_team
        who = actor or Actor.form()
        try:
            return attempt(self.crm, who, lambda uow: self._submit(uow, form, routed), attempts=1)
        except ConflictError:  # another submission from this address won: retry once
            return attempt(self.crm, who, lambda uow: self._submit(uow, form, routed), attempts=1)

    def _submit(self, uow: UnitOfWork, form: FormSubmission, team: str) -> Ticket:
        now = self.crm.clock.now()
        self._given(uow)
        key = normalise_email(form.email)
        contacts = uow.repository(SupportContact)
        contact = contacts.find(key)
        if contact is None:
            party = parties_by_email(uow.repository(Party), [key]).get(key.casefold())
            if party is None:
                party = Person(name=form.name, emails=[form.email])
                uow.add(party)
                uow.add(
                    Engagement.start(
                        party,
                        kind="customer",
                        acquired_on=self.business.today(now),
                        at=now,
                        support_team=team,
                        time_zone=self.business.time_zone,
                    )
                )
            contact = SupportContact(id=key, party_id=party.id)
            contacts.add(contact)
        ticket = Ticket.open(form, at=now, team=team, party_id=contact.party_id)
        uow.add(ticket)  # its event has the plugin's handler set its SLA timers
        return ticket

    def _given(self, uow: UnitOfWork) -> None:
        """This service's changes are timed by its setup (stored when it was built), unread."""
        if self._setup is not None:
            use_setup(uow, self._setup)

    def _timers(self, uow: UnitOfWork, ticket: Ticket, now: datetime) -> None:
        """Replace the ticket's SLA timer jobs now (only when SLA policies are given)."""
        if self.policies:
            policy = select_policy(self.policies, ticket)
            replace_timers(uow, ticket, policy, self.business.calendar, now)

    # -- moves ----------------------------------------------------------------------------
    def _change(self, ticket_id: str, actor: Actor, change: str, **kwargs: object) -> Ticket:
        by = actor_name(actor)
        now = self.crm.clock.now()

        def work(uow: UnitOfWork) -> Ticket:
            self._given(uow)
            ticket = uow.repository(Ticket).get(ticket_id)
            getattr(ticket, change)(by=by, at=now, **kwargs)  # its events replace the timers
            return ticket

        return attempt(self.crm, actor, work)

    def assign(
        self, ticket_id: str, agent: str, *, actor: Actor, team: str | None = None
    ) -> Ticket:
        """Give a ticket to *agent* (and *team*)."""
        return self._change(ticket_id, actor, "assign", agent=agent, team=team)

    def respond(self, ticket_id: str, *, actor: Actor) -> Ticket:
        """Staff answered the customer (the first answer stops the first-response clock)."""
        return self._change(ticket_id, actor, "respond")

    def move(self, ticket_id: str, to: TicketStatus | str, *, actor: Actor) -> Ticket:
        """Move a ticket; resolving it records its CSAT survey in the same commit."""
        return self._change(ticket_id, actor, "move", to=to)

    def reopen(self, ticket_id: str, *, actor: Actor) -> Ticket:
        """Open a closed ticket again (assigned when it has an agent, else new)."""
        return self._change(ticket_id, actor, "reopen")

    def set_priority(
        self, ticket_id: str, priority: TicketPriority | str, *, actor: Actor
    ) -> Ticket:
        """Change a ticket's priority: its SLA policy is chosen again, its timers replaced."""
        return self._change(ticket_id, actor, "set_priority", priority=priority)

    def settle(
        self, ticket_id: str, kind: SettlementKind | str, document_id: str, *, actor: Actor
    ) -> Ticket:
        """Link the refund (of the ticket's order) or credit note (of its party) that settled it."""
        settlement = to_enum(SettlementKind, "kind", kind)

        def work(uow: UnitOfWork) -> Ticket:
            ticket = uow.repository(Ticket).get(ticket_id)
            if settlement is SettlementKind.REFUND:
                if ticket.order_id is None:
                    raise ValidationError("order_id", None, "a refund settles a ticket on an order")
                order = uow.repository(Order).get(ticket.order_id)
                if document_id not in {r.id for r in order.refunds}:
                    raise ValidationError(
                        "document_id", document_id, f"not a refund of order {order.id!r}"
                    )
            else:
                note = uow.repository(CreditNote).get(document_id)
                if note.party_id != ticket.party_id:
                    raise ValidationError("document_id", document_id, "another party's credit note")
            ticket.settle(settlement, document_id)
            return ticket

        return attempt(self.crm, actor, work)

    def customer_wrote(self, ticket_id: str, *, actor: Actor | None = None) -> Ticket:
        """The customer wrote again (the update clock restarts; pending on them ends)."""
        now = self.crm.clock.now()

        def work(uow: UnitOfWork) -> Ticket:
            ticket = uow.repository(Ticket).get(ticket_id)
            ticket.customer_wrote(at=now)
            return ticket

        return attempt(self.crm, actor or Actor.form(), work)

    def reschedule(self, ticket_id: str, *, actor: Actor) -> Ticket:
        """Replace a ticket's SLA timers after a change made without this service."""
        now = self.crm.clock.now()

        def work(uow: UnitOfWork) -> Ticket:
            ticket = uow.repository(Ticket).get(ticket_id)
            self._timers(uow, ticket, now)
            return ticket

        return attempt(self.crm, actor, work)

    # -- SLA and surveys --------------------------------------------------------------------
    def sla(self, ticket_id: str, now: datetime | None = None) -> SlaState | None:
        """The stored ticket's SLA state in the business's working hours (``None``: no policy)."""
        at = self.crm.clock.now() if now is None else require_aware("now", now)
        ticket = self.tickets.get(ticket_id)
        policy = select_policy(self.policies, ticket)
        return None if policy is None else sla_state(ticket, policy, self.business.calendar, at)

    def csat_responses(self) -> list[CsatResponse]:
        """Every answered survey with its ticket's team, agent and product, for `csat_by`."""
        surveys = list(self.surveys.iterate(answered=True))
        tickets = self.tickets.get_many(sorted({s.ticket_id for s in surveys}))
        return [CsatResponse.of(s, tickets[s.ticket_id]) for s in surveys]

    def answer_survey(
        self, survey_id: str, score: int, comment: str = "", *, actor: Actor | None = None
    ) -> Answer:
        """The customer's one answer to a survey, before it expires."""
        now = self.crm.clock.now()
        return attempt(
            self.crm,
            actor or Actor.form(),
            lambda uow: uow.repository(Survey).get(survey_id).respond(score, comment, at=now),
        )
