"""The billing policies are event handlers: each runs in the unit of work of its event, once.

Every handler is tested on, by replaying its event in a unit of work of its
own (a redelivered event must change nothing), on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from relationship_core import (
    DEFAULT_BUSINESS,
    Business,
    Engagement,
    EventHandlerSpec,
    InvoiceStatus,
    LineItem,
    ManualClock,
    Money,
    Order,
    OrderStatus,
    Payment,
    Person,
    RetainerStatus,
)
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM, open_store
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.lifecycle import RetainerPlan
from relationship_core._domain.events import DomainEvent
from relationship_core._storage.contract import Query
from relationship_core.exceptions import ValidationError

from .conftest import BY_THE_RUN, PARTIES, START, save_parties, terms


def replay(crm: CRM, name: str) -> None:
    """Publish the logged *name* event again, as a redelivery would: its handlers run again."""
    [event] = [e for _, e in crm.events.read(limit=1000) if e.name == name][-1:]
    with crm.unit_of_work() as uow:
        uow.publish(event)


def snapshot(crm: CRM) -> dict[str, list[tuple[str, int, dict[str, Any]]]]:
    """Every billing record (id, version, document): what a replay must leave alone."""
    kinds = ("retainer", "invoice", "order", "invoice_sequence", "retainer_plan", "credit_note")
    return {
        kind: [
            (r.id, r.version, r.data) for r in crm.backend.query(Query(kind, limit=1000)).records
        ]
        for kind in kinds
    }


def fulfilled(billing: BillingService, order_id: str = "O1", party: str = "P-buyer") -> None:
    billing.place_order(party, [LineItem("Kit", 2, Money("20.00", "USD"))], order_id=order_id)
    billing.assign_order(order_id, "team")
    billing.start_order(order_id)
    billing.fulfil_order(order_id)


# -- invoice on fulfilment ---------------------------------------------------------
def test_fulfilment_issues_the_invoice_in_the_same_unit_of_work_once(
    billing: BillingService, crm: CRM
) -> None:
    fulfilled(billing)
    order = billing.orders.get("O1")
    assert (order.status, order.invoice_id) == (OrderStatus.INVOICED, "order:O1")
    [invoice] = billing.invoices.query()
    assert (invoice.id, invoice.number, invoice.status) == (
        "order:O1",
        "INV-2026-000001",
        InvoiceStatus.ISSUED,
    )
    assert (invoice.total, invoice.issued_on, invoice.business) == (
        Money("40.00", "USD"),
        date(2026, 1, 1),
        "acme",
    )
    # One commit: the fulfilment and the invoice share a correlation, caused by it.
    logged = {e.event.name: e for e in crm.events.read_logged(limit=1000)}
    fulfilment, issued = logged["order.fulfilled"], logged["invoice.issued"]
    assert issued.envelope.correlation_id == fulfilment.envelope.correlation_id
    assert issued.envelope.causation_id == fulfilment.envelope.id

    before = snapshot(crm)
    replay(crm, "order.fulfilled")
    assert snapshot(crm) == before  # the order is invoiced already: nothing changes
    assert billing.invoice_order("O1").number == "INV-2026-000001"
    run = billing.run(date(2026, 1, 31))
    assert (run.invoices_issued, run.orders_invoiced) == (0, 0)
    assert snapshot(crm) == before


def test_a_failing_invoice_fails_the_fulfilment(store_url: str, clock: ManualClock) -> None:
    def refuse(event: DomainEvent, uow: UnitOfWork) -> None:
        raise ValidationError("invoice", event.aggregate_id, "refused by the test")

    handler = EventHandlerSpec("test.refuse-invoices", "invoice.issued", refuse)
    with open_store(store_url, clock=clock, handlers=[handler]) as crm:
        save_parties(crm, PARTIES)
        billing = BillingService(crm, business="acme")
        billing.place_order("P-buyer", [LineItem("Kit", 1, Money("5.00", "USD"))], order_id="O1")
        billing.assign_order("O1", "team")
        billing.start_order("O1")
        with pytest.raises(ValidationError, match="refused by the test"):
            billing.fulfil_order("O1")
        # Nothing of it was written: the order is still in progress, no number was taken.
        assert billing.orders.get("O1").status is OrderStatus.IN_PROGRESS
        assert list(billing.invoices.iterate()) == []
        assert list(crm.repository("invoice_sequence").iterate()) == []


def test_each_business_numbers_its_fulfilled_orders(crm: CRM) -> None:
    fulfilled(BillingService(crm, business="studio"), "S-O1")
    fulfilled(BillingService(crm, business="shop", invoice_prefix="SHOP"), "H-O1")
    numbers = {i.id: (i.number, i.business) for i in crm.repository("invoice").iterate()}
    assert numbers == {
        "order:S-O1": ("INV-2026-000001", "studio"),
        "order:H-O1": ("SHOP-2026-000001", "shop"),
    }


def fulfilled_in_domain(order_id: str, at: datetime, business: str = DEFAULT_BUSINESS) -> Order:
    """An order placed and fulfilled by pure-domain code, not saved yet."""
    lines = [LineItem("Kit", 1, Money("5.00", "EUR"))]
    order = Order.place(order_id, "P-buyer", lines, at, business=business)
    order.assign("team", at)
    order.start_work(at)
    order.fulfil(at)
    return order


def test_an_order_fulfilled_outside_the_service_is_invoiced_too(crm: CRM) -> None:
    # Pure-domain code: an order of the default business, fulfilled in a unit of work.
    with crm.unit_of_work() as uow:
        uow.add(fulfilled_in_domain("O-plain", crm.clock.now()))
    invoice = crm.repository("invoice").get("order:O-plain")
    assert (invoice.number, invoice.business) == ("INV-2026-000001", DEFAULT_BUSINESS)
    assert crm.repository("business").get(DEFAULT_BUSINESS) == Business.create(DEFAULT_BUSINESS)
    assert BillingService(crm).orders.get("O-plain").status is OrderStatus.INVOICED


def test_an_order_of_an_unknown_business_cannot_be_fulfilled(crm: CRM) -> None:
    order = fulfilled_in_domain("O-lost", crm.clock.now(), business="nowhere")
    with pytest.raises(ValidationError) as info, crm.unit_of_work() as uow:
        uow.add(order)
    assert (info.value.field, info.value.value) == ("order.business", "nowhere")
    assert crm.repository("order").find("O-lost") is None  # nothing was written


# -- switched off ------------------------------------------------------------------
@pytest.fixture
def by_the_run(store_url: str, clock: ManualClock) -> Iterator[BillingService]:
    with open_store(store_url, clock=clock, config=BY_THE_RUN) as crm:
        save_parties(crm, PARTIES)
        yield BillingService(crm, business="acme")


def test_switched_off_the_order_waits_for_the_run(by_the_run: BillingService) -> None:
    billing = by_the_run
    fulfilled(billing)
    assert billing.orders.get("O1").status is OrderStatus.FULFILLED
    assert list(billing.invoices.iterate()) == []
    replay(billing.crm, "order.fulfilled")  # still off: a replay invoices nothing either
    assert list(billing.invoices.iterate()) == []
    run = billing.run(date(2026, 1, 2))
    assert run.orders_invoiced == 1
    [invoice] = run.invoices
    assert (invoice.id, invoice.number, invoice.issued_on) == (
        "order:O1",
        "INV-2026-000001",
        date(2026, 1, 2),
    )
    assert billing.orders.get("O1").status is OrderStatus.INVOICED
    assert billing.run(date(2026, 1, 3)).invoices_issued == 0


def test_a_setting_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        open_store("memory://", config={"billing": False})  # type: ignore[dict-item]
    assert info.value.field == "config['billing']"


# -- payment -> order paid -----------------------------------------------------------
def test_paying_the_invoice_marks_the_order_paid_once(billing: BillingService, crm: CRM) -> None:
    fulfilled(billing)
    half = Payment("pay-1", Money("20.00", "USD"), START, "card")
    billing.record_payment("order:O1", half)
    assert billing.orders.get("O1").status is OrderStatus.INVOICED  # not in full yet
    billing.record_payment("order:O1", Payment("pay-2", Money("20.00", "USD"), START, "card"))
    assert billing.invoices.get("order:O1").status is InvoiceStatus.PAID
    assert billing.orders.get("O1").status is OrderStatus.PAID
    paid = [e for _, e in crm.events.read(limit=1000) if e.name == "order.paid"]
    assert [e.aggregate_id for e in paid] == ["O1"]

    before = snapshot(crm)
    replay(crm, "invoice.paid")
    assert snapshot(crm) == before
    assert [e for _, e in crm.events.read(limit=1000) if e.name == "order.paid"] == paid


def test_paying_a_retainer_invoice_touches_no_order(billing: BillingService) -> None:
    billing.start_retainer("P1", terms("10.00"), retainer_id="R1", starts_on=date(2026, 1, 1))
    [invoice] = billing.run(date(2026, 1, 1)).invoices
    paid = billing.record_payment(invoice.id, Payment("p", invoice.total, START, "card"))
    assert paid.status is InvoiceStatus.PAID
    assert list(billing.orders.iterate()) == []


# -- promotion and lapse -------------------------------------------------------------
def customer(crm: CRM, party: str = "P9") -> Engagement:
    crm.parties.add(Person(id=party, name="Pat Nine"))
    engagement = Engagement.start(
        party, kind="customer", acquired_on=date(2025, 11, 1), at=START, support_team="desk"
    )
    return crm.engagements.add(engagement)


def test_promotion_starts_the_retainer_the_plan_holds_once(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    engagement = customer(crm)
    clock.set(datetime(2026, 1, 15, 10, tzinfo=UTC))
    _, retainer = billing.promote(
        engagement.id,
        terms("620.00", "EUR"),
        account_manager="amy",
        reason="signed",
        retainer_id="R9",
    )
    stored = billing.retainers.get("R9")
    assert stored == retainer
    assert (stored.terms.fee, stored.starts_on, stored.engagement_id, stored.business) == (
        Money("620.00", "EUR"),
        date(2026, 1, 15),
        engagement.id,
        "acme",
    )
    plan = crm.repository(RetainerPlan).get(engagement.id)
    assert (plan.retainer_id, plan.terms, plan.business) == ("R9", None, "acme")  # used up

    before = snapshot(crm)
    replay(crm, "engagement.promoted")
    assert snapshot(crm) == before  # no second retainer, nothing changed
    assert [r.id for r in billing.retainers.iterate()] == ["R9"]


def test_a_promotion_without_a_plan_starts_no_retainer(crm: CRM, clock: ManualClock) -> None:
    engagement = customer(crm)
    with crm.unit_of_work() as uow:
        uow.engagements.get(engagement.id).promote_to_client(
            account_manager="amy", reason="signed elsewhere", at=clock.now()
        )
    assert crm.engagements.get(engagement.id).is_client
    assert list(crm.repository("retainer").iterate()) == []


def test_a_lapse_ends_the_open_retainers_once(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    engagement = customer(crm)
    billing.promote(
        engagement.id, terms("620.00"), account_manager="amy", reason="signed", retainer_id="R9"
    )
    clock.set(datetime(2026, 3, 10, 10, tzinfo=UTC))
    # A lapse recorded on the engagement alone (not through the service) ends it too.
    with crm.unit_of_work() as uow:
        uow.engagements.get(engagement.id).lapse_to_customer(
            reason="budget cut", at=clock.now(), support_team="desk"
        )
    stored = billing.retainers.get("R9")
    assert (stored.status, stored.ends_on) == (RetainerStatus.CANCELLED, date(2026, 4, 1))

    before = snapshot(crm)
    replay(crm, "engagement.lapsed")
    assert snapshot(crm) == before


def test_a_lapse_through_the_service_may_end_service_at_once(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    engagement = customer(crm)
    billing.promote(
        engagement.id, terms("310.00"), account_manager="amy", reason="signed", retainer_id="R9"
    )
    billing.run(date(2026, 3, 1))  # January to March billed
    clock.set(datetime(2026, 3, 16, 10, tzinfo=UTC))
    _, ended = billing.lapse(engagement.id, reason="moved on", immediately=True)
    assert [(r.id, r.status) for r in ended] == [("R9", RetainerStatus.CANCELLED)]
    assert crm.repository(RetainerPlan).get(engagement.id).end_immediately is False  # used up
    (note,) = billing.run(date(2026, 3, 16)).credit_notes  # the rest of March is credited
    assert note.total == Money("160.00", "USD")
