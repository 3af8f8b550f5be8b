"""Billing aggregates and events are plain data: they round-trip through the converter."""

from __future__ import annotations

import json
from datetime import date

from relationship_core import Money
from relationship_core._billing import events as billing_events
from relationship_core._billing.biller import bill_retainer, credit_note_for_refund
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.hours import HoursPolicy
from relationship_core._billing.invoices import CreditNote, Invoice, Payment
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import Order, Refund
from relationship_core._billing.proration import Proration
from relationship_core._billing.retainer import BillingTiming, Retainer, RetainerTerms
from relationship_core._plugins.manager import get_plugin_manager
from relationship_core._serialize import event_from_dict, event_to_dict, structure, unstructure

from .conftest import AT


def roundtrip(obj: object) -> object:
    return structure(json.loads(json.dumps(unstructure(obj))), type(obj))


def test_retainer_with_everything_round_trips() -> None:
    terms = RetainerTerms(
        Money("500.00", "GBP"),
        BillingCycle.quarterly(),
        "Europe/London",
        timing=BillingTiming.ARREARS,
        proration=Proration.fixed_days_per_month(30),
        tax_rate="0.2",
        minimum_periods=4,
        hours=HoursPolicy("20", Money("75.00", "GBP"), rollover_cap="10", expire_after=2),
    )
    r = Retainer.start("R1", "P1", terms, AT, starts_on=date(2026, 1, 10), engagement_id="E1")
    bill_retainer(r, date(2026, 7, 1), AT)
    r.record_hours("25", date(2026, 7, 2), AT)
    r.change_fee(Money("600.00", "GBP"), AT, effective_on=date(2026, 7, 15))
    r.pause(AT, on=date(2026, 8, 1))
    assert roundtrip(r) == r


def test_documents_and_orders_round_trip() -> None:
    seq = InvoiceNumberSequence("acme")
    invoice = Invoice(
        "I1", "P1", "EUR", (LineItem("x", "1.5", Money("10.005", "EUR"), tax_rate="0.2"),)
    )
    invoice.issue(seq, date(2026, 1, 1), AT)
    invoice.record_payment(Payment("p1", Money("5.00", "EUR"), AT, "card"))
    assert roundtrip(invoice) == invoice
    assert roundtrip(seq) == seq
    order = Order.place(
        "O1", "C1", [LineItem("Cake", 2, Money("3.10", "EUR"), LineKind.PRODUCT)], AT
    )
    order.assign("t", AT)
    order.start_work(AT)
    order.fulfil(AT)
    order.mark_invoiced("I", AT)
    order.mark_paid(AT)
    note = credit_note_for_refund(order, Refund("r1", Money("1.00", "EUR"), AT))
    assert roundtrip(order) == order
    assert roundtrip(note) == note
    assert isinstance(note, CreditNote)


def test_every_billing_event_is_contributed_by_the_plugin_and_round_trips() -> None:
    classes = [getattr(billing_events, n) for n in billing_events.__all__]
    names = [cls.name for cls in classes]
    assert len(set(names)) == len(names) == 24
    contributed = get_plugin_manager().event_types()  # the feature registry, not EVENT_TYPES
    types = {name: contributed.get(name) for name in names}
    assert types == dict(zip(names, classes, strict=True))
    assert {contributed.contribution(n).plugin for n in names} == {"relationship_core.billing"}
    r = Retainer.start(
        "R1", "P1", RetainerTerms(Money("1.00", "USD"), BillingCycle.monthly(), "UTC"), AT
    )
    r.change_fee(Money("2.00", "USD"), AT)
    r.cancel(AT)
    for event in r.pull_events():
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event))), types) == event


def test_the_billers_fast_invoice_equals_a_validated_one() -> None:
    terms = RetainerTerms(Money("99.00", "USD"), BillingCycle.monthly(), "UTC")
    r = Retainer.start("R1", "P1", terms, AT, starts_on=date(2026, 1, 1))
    (step,) = bill_retainer(r, date(2026, 1, 1), AT)
    fast = step.document
    assert isinstance(fast, Invoice)
    slow = Invoice(
        id=fast.id,
        party_id="P1",
        currency="USD",
        lines=fast.lines,
        payment_terms_days=30,
        source="retainer",
        source_id="R1",
        idempotency_key=fast.id,
    )
    assert fast == slow
    assert unstructure(fast) == unstructure(slow)
    assert fast.pending_events == ()
