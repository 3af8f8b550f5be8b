"""The support feature in a store: submissions find or create their party, surveys on resolve, SLA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import relationship_core as rc
from relationship_core import Actor, EventHandlerSpec, Person
from relationship_core._domain.business import Business
from relationship_core._domain.events import DomainEvent
from relationship_core._support import FormSubmission, SlaPolicy, Survey, Ticket
from relationship_core._support.kinds import SupportContact, normalise_email
from relationship_core._support.service import SupportService
from relationship_core.exceptions import InvalidTransitionError, ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
SAM = Actor.person("sam")


def _form(email: str = "ada@example.com", name: str = "Ada") -> FormSubmission:
    return FormSubmission(name=name, email=email, problem="Parcel late", priority="high")


def test_a_submission_finds_the_party_or_creates_a_customer(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada", emails=["ada@example.com"]))
        support = SupportService(crm)
        first = support.submit(_form())
        assert first.party_id == ada.id
        assert first.team == "support"
        assert crm.repository(SupportContact).get("ada@example.com").party_id == ada.id
        again = support.submit(_form(" ADA@Example.com"))  # trimmed, any case
        assert again.party_id == ada.id
        new = support.submit(_form("Bob@Example.com", "Bob"), team="returns")
        assert new.party_id is not None
        bob = crm.parties.get(new.party_id)
        assert bob.name == "Bob"
        assert str(bob.email) == "Bob@example.com"
        [engagement] = crm.engagements.of_party(bob.id)
        assert engagement.kind.value == "customer"
        assert engagement.support_team == "returns"
        assert support.submit(_form("bob@example.com", "Robert")).party_id == bob.id
        assert len(crm.parties.query(limit=10)) == 2
        assert {t.id for t in support.tickets.query(party_id=ada.id)} == {first.id, again.id}
        assert support.party_for("BOB@example.com") == bob.id
        assert support.party_for("nobody@example.com") is None


def test_a_linked_address_of_another_case_finds_its_party(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada", emails=["Ada.Lovelace@example.com"]))
        support = SupportService(crm)
        support.link_contact(ada.id, "ada.lovelace@EXAMPLE.com", actor=SAM)
        assert support.submit(_form("ada.lovelace@example.com")).party_id == ada.id
        bob = crm.parties.add(Person(name="Bob"))
        with pytest.raises(ValidationError, match="another party's"):
            support.link_contact(bob.id, "Ada.Lovelace@example.com", actor=SAM)


def test_any_address_of_a_party_in_any_case_finds_it_without_a_link(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(
            Person(name="Ada", emails=["Ada.Lovelace@example.com", "ada@analytical.org"])
        )
        support = SupportService(crm)
        assert support.party_for("ADA@Analytical.org") == ada.id  # a secondary address
        assert support.submit(_form("ada.lovelace@EXAMPLE.com")).party_id == ada.id
        assert support.submit(_form("ada@analytical.org")).party_id == ada.id
        assert [p.id for p in crm.parties.iterate()] == [ada.id]  # no second person


def test_two_submissions_from_a_new_address_race_to_one_party(url: str) -> None:
    """The loser's unit of work conflicts on the contact id, writes nothing, retries once."""
    raced: list[str] = []

    def race(event: DomainEvent, uow: rc.UnitOfWork) -> None:
        if not raced:  # the first submission's handler lets a second one commit first
            raced.append("x")
            raced.append(SupportService(crm).submit(_form("new@example.com", "Nina")).id)

    with rc.open(
        url,
        clock=rc.ManualClock(T0),
        handlers=[EventHandlerSpec("test.race", "ticket.opened", race)],
    ) as crm:
        ticket = SupportService(crm).submit(_form("new@example.com", "Nina"))
        other = crm.repository(Ticket).get(raced[1])
        assert ticket.party_id == other.party_id
        assert [p.name for p in crm.parties.query(limit=10)] == ["Nina"]
        assert ticket.party_id is not None
        assert len(crm.engagements.of_party(ticket.party_id)) == 1


def test_a_resolved_ticket_gets_its_survey_in_the_same_commit(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        support = SupportService(crm)
        ticket = support.submit(_form())
        support.assign(ticket.id, "sam", actor=SAM, team="support")
        clock.advance(timedelta(hours=1))
        support.move(ticket.id, "resolved", actor=SAM)
        [survey] = support.surveys.query(ticket_id=ticket.id, answered=False)
        assert survey.id == f"{ticket.id}:csat:1"
        assert survey.party_id == ticket.party_id
        assert survey.expires_at == T0 + timedelta(hours=1, days=14)
        answer = support.answer_survey(survey.id, 5, "Thanks")
        assert support.surveys.get(survey.id).answer == answer
        with pytest.raises(InvalidTransitionError):
            support.answer_survey(survey.id, 1)
        support.move(ticket.id, "assigned", actor=SAM)  # reopened
        support.move(ticket.id, "rejected", actor=SAM)
        assert len(support.surveys.query(ticket_id=ticket.id)) == 1
        support.move(ticket.id, "assigned", actor=SAM)
        support.move(ticket.id, "resolved", actor=SAM)
        assert [s.id for s in support.surveys.query(ticket_id=ticket.id, answered=False)] == [
            f"{ticket.id}:csat:2"
        ]
        assert crm.repository(Survey).get(f"{ticket.id}:csat:1").answer is not None


def test_sla_of_a_stored_ticket_in_the_business_hours(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        shop = Business.create("shop", time_zone="Europe/London")
        crm.repository(Business).add(shop)
        policy = SlaPolicy(
            name="high",
            first_response=timedelta(hours=4),
            resolution=timedelta(hours=16),
            priorities=["high"],
        )
        support = SupportService(crm, business="shop", policies=[policy])
        ticket = support.submit(_form())
        clock.advance(timedelta(hours=1))
        support.respond(ticket.id, actor=SAM)
        clock.advance(timedelta(hours=1))
        support.move(ticket.id, "pending_customer", actor=SAM)
        clock.advance(timedelta(days=1))
        support.move(ticket.id, "assigned", actor=SAM)
        state = support.sla(ticket.id)
        assert state is not None
        resolution = state.target("resolution")
        assert resolution.elapsed == timedelta(hours=2)  # paused for the night and a day
        assert resolution.due_at == datetime(
            2026, 3, 4, 17, tzinfo=UTC
        )  # 6 h Tuesday, 8 h Wednesday
        assert SupportService(crm).sla(ticket.id) == state  # the stored setup's policies


def test_bad_input_is_refused() -> None:
    with rc.open("memory://", clock=rc.ManualClock(T0)) as crm:
        with pytest.raises(ValidationError, match="business"):
            SupportService(crm, business="nowhere")
        with pytest.raises(ValidationError, match="default_team"):
            SupportService(crm, default_team=" ")
        support = SupportService(crm)
        with pytest.raises(ValidationError, match="FormSubmission"):
            support.submit({"email": "a@b.c"})  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="email"):
            normalise_email("not an address")
        with pytest.raises(ValidationError, match="agent"):
            support.assign(support.submit(_form()).id, " ", actor=SAM)
    assert normalise_email(" Ada@Example.COM ") == "ada@example.com"


def test_a_layout_1_ticket_reads_without_customer_contacts() -> None:
    from relationship_core._storage.contract import Record
    from relationship_core._support.kinds import TICKETS

    ticket = Ticket.open(_form(), at=datetime(2026, 3, 2, 9, tzinfo=UTC), id="T-1")
    old = TICKETS.unstructure(ticket)
    del old["customer_contacts"]
    back = TICKETS.from_record(Record("ticket", "T-1", 1, 1, old))
    assert (back.customer_contacts, back.id, TICKETS.schema_version) == ([], "T-1", 2)


def test_a_dispute_settles_with_its_orders_refund_or_its_partys_credit_note(url: str) -> None:
    from decimal import Decimal

    from relationship_core import BillingService, LineItem, Money, Payment, Refund
    from relationship_core.exceptions import ValidationError

    clock = rc.ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    with rc.open(url, clock=clock) as crm:
        support = SupportService(crm)
        form = FormSubmission(
            name="Ada", email="ada@example.com", problem="Broken", type="dispute", order_id="O-1"
        )
        ticket = support.submit(form)
        billing = BillingService(crm)
        line = LineItem(description="Kit", quantity=Decimal(1), unit_price=Money("50.00", "GBP"))
        assert ticket.party_id is not None
        billing.place_order(ticket.party_id, [line], order_id="O-1")
        billing.assign_order("O-1", "shop")
        billing.start_order("O-1")
        invoice_id = billing.fulfil_order("O-1").invoice_id
        assert invoice_id is not None
        sale = billing.invoices.get(invoice_id)
        billing.record_payment(sale.id, Payment("pay-1", sale.total, clock.now(), "card"))
        note = billing.refund_order("O-1", Refund("rf-1", Money("50.00", "GBP"), clock.now()))
        with pytest.raises(ValidationError) as wrong:
            support.settle(ticket.id, "refund", "rf-2", actor=SAM)
        assert (wrong.value.field, wrong.value.value) == ("document_id", "rf-2")
        settled = support.settle(ticket.id, "refund", "rf-1", actor=SAM)
        assert settled.settlement is not None
        assert settled.settlement.id == "rf-1"
        again = support.settle(ticket.id, "credit_note", note.id, actor=SAM)
        assert support.tickets.get(again.id).settlement == again.settlement
