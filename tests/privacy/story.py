"""A small store about two people: engagements, interactions, an invoice, jobs and a schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs

from relationship_core._app.facade import CRM
from relationship_core._billing.invoices import Invoice, InvoiceSource
from relationship_core._billing.lines import LineItem
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._domain.actor import Actor
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.money import Money
from relationship_core._domain.parties import Person

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

#: What identifies the person the tests erase; none of it may survive.
ANN = {"name": "Annabel Quixote", "email": "annabel.q@example.org", "phone": "+44 20 7946 0311"}
#: Someone else, whose data must stay and never appear in Annabel's export.
BEA = {"name": "Beatrix Umbridge", "email": "bea.u@example.net", "phone": "+1 202 555 0187"}


@attrs.frozen
class Story:
    """The ids the tests look for."""

    ann: str
    bea: str
    engagement: str
    interaction: str
    invoice: str
    number: str
    job: str
    schedule: str


def _person(crm: CRM, who: dict[str, str]) -> Person:
    return Person(id=crm.new_id(), name=who["name"], emails=[who["email"]], phone=who["phone"])


def build(crm: CRM) -> Story:
    """Annabel and Beatrix, each with an engagement and interactions; Annabel billed once."""
    ann, bea = _person(crm, ANN), _person(crm, BEA)
    clerk = Actor.person("clerk-7")
    engagements = {}
    with crm.unit_of_work(clerk) as uow:
        for p in (ann, bea):
            uow.parties.add(p)
            e = Engagement.start(
                p,
                kind="customer",
                acquired_on=T0.date(),
                at=T0,
                id=crm.new_id(),
                support_team="desk",
            )
            uow.engagements.add(e)
            engagements[p.id] = e
        talk = engagements[ann.id].log_interaction(
            "call", at=T0 + timedelta(hours=1), summary="Annabel's knee surgery delays the move"
        )
        engagements[bea.id].log_interaction(
            "call", at=T0 + timedelta(hours=2), summary=f"Beatrix asked about {BEA['email']}"
        )
    invoice = Invoice._trusted_draft(
        crm.new_id(),
        ann.id,
        currency=Money.zero("GBP").currency,
        lines=(
            LineItem(
                f"Coaching for {ANN['name']}",
                Decimal(2),
                Money("150.00", "GBP"),
                tax_rate=Decimal("0.20"),
            ),
        ),
        payment_terms_days=30,
        source=InvoiceSource.MANUAL,
        source_id=None,
        idempotency_key=None,
    )
    number = invoice.issue(InvoiceNumberSequence("test"), date(2026, 3, 2), T0)
    crm.repository(Invoice).add(invoice)
    job = crm.jobs.enqueue(
        "notify.email",
        {"to": ANN["email"], "party_id": ann.id, "text": f"Dear {ANN['name']}"},
        due_at=T0 + timedelta(days=3),
        idempotency_key=f"welcome:{ANN['email']}",
    )
    crm.jobs.enqueue("notify.email", {"to": BEA["email"], "party_id": bea.id}, due_at=T0)
    schedule = crm.schedules.start(
        f"check-in-{ann.id}",
        "notify.email",
        {"party_id": ann.id},
        every=timedelta(days=7),
        anchor=T0 + timedelta(days=7),
    )
    return Story(
        ann.id, bea.id, engagements[ann.id].id, talk.id, invoice.id, number, job, schedule.name
    )
