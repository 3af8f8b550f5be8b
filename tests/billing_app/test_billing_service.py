"""The billing service on memory, SQLite and PostgreSQL: idempotent, crash-safe, gapless."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest

from relationship_core import (
    Engagement,
    Invoice,
    InvoiceStatus,
    LineItem,
    LineKind,
    ManualClock,
    Money,
    OrderStatus,
    Payment,
    Person,
    Refund,
    RetainerStatus,
)
from relationship_core._app.billing import BillingService
from relationship_core._app.billing import retainer_billing as billing_module
from relationship_core._app.facade import CRM, open_store
from relationship_core._app.kinds import ENGAGEMENTS, INTERACTIONS, PARTIES
from relationship_core._app.mapping import MappingRegistry
from relationship_core._billing.biller import bill_retainer as real
from relationship_core.exceptions import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
)

from .conftest import START, save_parties, terms


def stored_invoices(crm: CRM) -> list[Invoice]:
    return list(crm.repository("invoice").iterate())


def assert_gapless(crm: CRM) -> list[str]:
    numbers = sorted(i.number for i in stored_invoices(crm) if i.number is not None)
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, len(numbers) + 1)]
    return numbers


def start_three(billing: BillingService) -> None:
    billing.start_retainer("P1", terms("310.00"), retainer_id="R1", starts_on=date(2026, 1, 1))
    billing.start_retainer(
        "P2", terms("500.00", "EUR"), retainer_id="R2", starts_on=date(2026, 1, 17)
    )
    billing.start_retainer("P3", terms("99.00"), retainer_id="R3", starts_on=date(2026, 2, 10))


def test_running_again_bills_nothing_and_numbers_stay_gapless(
    billing: BillingService, crm: CRM
) -> None:
    start_three(billing)
    first = billing.run(date(2026, 3, 1))
    # R1: Jan, Feb, Mar; R2: prorated Jan, Feb, Mar; R3: prorated Feb, Mar.
    assert first.invoices_issued == 8
    assert first.retainers_billed == 3
    assert first.ok
    assert [i.number for i in first.invoices] == [f"INV-2026-{n:06d}" for n in range(1, 9)]
    # R2: 500 x 15/31 = 241.94 for 17-31 January; R3: 99 x 19/28 = 67.18 for 10-28 February
    assert first.billed == {"USD": Money("1096.18", "USD"), "EUR": Money("1241.94", "EUR")}
    for _ in range(3):
        again = billing.run(date(2026, 3, 1))
        assert (again.invoices_issued, again.retainers_billed) == (0, 0)
    assert billing.due_retainers(date(2026, 3, 31)) == []
    assert billing.run(date(2026, 4, 1)).invoices_issued == 3
    keys = Counter(i.id for i in stored_invoices(crm))
    assert len(keys) == 11
    assert set(keys.values()) == {1}
    assert len(assert_gapless(crm)) == 11


def test_only_retainers_due_are_loaded(billing: BillingService) -> None:
    start_three(billing)
    assert billing.due_retainers(date(2026, 1, 16)) == ["R1"]
    assert billing.due_retainers(date(2026, 2, 9)) == ["R1", "R2"]
    billing.run(date(2026, 2, 9))
    assert billing.due_retainers(date(2026, 2, 28)) == ["R3"]


def test_a_crash_half_way_keeps_what_committed_and_the_rerun_completes(
    billing: BillingService, crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_three(billing)

    def crash_on_r2(retainer: Any, through: date, at: datetime) -> Any:
        steps = real(retainer, through, at)  # R2's marker moves, in memory only...
        if retainer.id == "R2":
            raise RuntimeError("power cut")  # ...and the unit of work is thrown away
        return steps

    monkeypatch.setattr(billing_module, "bill_retainer", crash_on_r2)
    with pytest.raises(RuntimeError, match="power cut"):
        billing.run(date(2026, 3, 1))
    assert {i.source_id for i in stored_invoices(crm)} == {"R1"}
    assert crm.repository("retainer").get("R2").next_period == 0
    monkeypatch.setattr(billing_module, "bill_retainer", real)
    rerun = billing.run(date(2026, 3, 1))
    assert [i.source_id for i in rerun.invoices] == ["R2"] * 3 + ["R3"] * 2
    assert len(assert_gapless(crm)) == 8
    assert Counter(i.source_id for i in stored_invoices(crm)) == {"R1": 3, "R2": 3, "R3": 2}


def test_lost_races_are_retried_then_reported_and_the_retainer_stays_due(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = BillingService(crm, business="acme", max_attempts=3)
    billing.start_retainer("P1", terms(), retainer_id="R1")
    mapping = crm.registry.get("retainer")
    attempts = []

    def someone_else_writes_first(retainer: Any, through: date, at: datetime) -> Any:
        attempts.append(retainer.id)
        record = crm.backend.get_many("retainer", ["R1"])["R1"]
        with crm.backend.transaction() as tx:  # another writer bumps the version
            tx.put_many([mapping.to_write(mapping.from_record(record), record.version)])
        return real(retainer, through, at)

    monkeypatch.setattr(billing_module, "bill_retainer", someone_else_writes_first)
    run = billing.run(date(2026, 2, 1))
    assert len(attempts) == 3
    assert run.invoices_issued == 0
    assert run.retries == 2
    assert [(f.kind, f.id, f.attempts) for f in run.failures] == [("retainer", "R1", 3)]
    assert not run.ok
    with pytest.raises(ConflictError):
        billing.bill("R1", date(2026, 2, 1))
    monkeypatch.setattr(billing_module, "bill_retainer", real)
    assert billing.due_retainers(date(2026, 2, 1)) == ["R1"]
    assert billing.run(date(2026, 2, 1)).invoices_issued == 2
    assert_gapless(crm)


def test_promotion_starts_a_retainer_and_a_lapse_ends_it(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    # Engagements declare their party as a reference (checked at commit): save it first.
    crm.parties.add(Person(id="P9", name="Pat Nine"))
    engagement = Engagement.start(
        "P9", kind="customer", acquired_on=date(2025, 11, 1), at=START, support_team="desk"
    )
    crm.engagements.add(engagement)
    clock.set(datetime(2026, 1, 15, 10, tzinfo=UTC))
    promoted, retainer = billing.promote(
        engagement.id, terms("620.00"), account_manager="amy", reason="signed", retainer_id="R9"
    )
    assert promoted.is_client
    assert retainer.starts_on == date(2026, 1, 15)
    stored = crm.repository("retainer").get("R9")
    assert (stored.engagement_id, stored.status) == (engagement.id, RetainerStatus.ACTIVE)
    assert crm.engagements.get(engagement.id).account_manager == "amy"
    names = [event.name for _, event in crm.events.read()]
    # One commit: the promotion, its retainer and the lifecycle's move to "client".
    assert set(names[-3:]) == {"engagement.promoted", "retainer.started", "lifecycle.stage_changed"}
    january = billing.run(date(2026, 1, 15)).invoices[0]
    assert january.subtotal == Money("340.00", "USD")  # 17 of 31 days of 620.00

    clock.set(datetime(2026, 3, 10, 10, tzinfo=UTC))
    _, ended = billing.lapse(engagement.id, reason="budget cut")
    assert [r.id for r in ended] == ["R9"]
    stored = crm.repository("retainer").get("R9")
    assert (stored.status, stored.ends_on) == (RetainerStatus.CANCELLED, date(2026, 4, 1))
    assert not crm.engagements.get(engagement.id).is_client
    assert billing.run(date(2026, 12, 31)).invoices_issued == 2  # February and March only
    assert billing.due_retainers(date(2027, 12, 31)) == []


def test_an_order_from_placement_to_payment_and_refund(
    billing: BillingService, crm: CRM, clock: ManualClock
) -> None:
    lines = [
        LineItem("Workshop kit", 2, Money("49.00", "GBP"), LineKind.PRODUCT, tax_rate="0.20"),
        LineItem("Setup", 1, Money("120.00", "GBP"), LineKind.SERVICE, tax_rate="0.20"),
    ]
    order = billing.place_order("P5", lines, order_id="O1")
    assert billing.place_order("P5", lines, order_id="O1").id == "O1"  # a retried request
    with pytest.raises(InvalidTransitionError):
        billing.fulfil_order("O1")
    billing.assign_order("O1", "workshop-team")
    billing.start_order("O1")
    fulfilled = billing.fulfil_order("O1")  # the fulfilment handler invoices it at once
    assert fulfilled.invoice_id == "order:O1"
    invoice = billing.invoices.get("order:O1")
    assert (invoice.number, invoice.total, invoice.issued_on) == (
        "INV-2026-000001",
        order.total,
        date(2026, 1, 1),
    )
    assert billing.invoice_order("O1").number == "INV-2026-000001"  # idempotent
    run = billing.run(date(2026, 1, 3))  # nothing left for the run's order pass
    assert (run.invoices_issued, run.orders_invoiced) == (0, 0)

    payment = Payment("pay-1", invoice.total, START, "card")
    paid = billing.record_payment("order:O1", payment)
    assert paid.status is InvoiceStatus.PAID
    assert billing.record_payment("order:O1", payment).paid == invoice.total  # webhook retried
    assert crm.repository("order").get("O1").status is OrderStatus.PAID

    refund = Refund("rf-1", Money("30.00", "GBP"), START, "late")
    note = billing.refund_order("O1", refund)
    assert (note.number, note.total) == ("CN-2026-000001", Money("30.00", "GBP"))
    assert billing.refund_order("O1", refund).id == note.id
    assert crm.repository("order").get("O1").status is OrderStatus.PARTIALLY_REFUNDED
    names = {event.name for _, event in crm.events.read(limit=1000)}
    assert {"order.placed", "order.fulfilled", "invoice.issued", "order.paid"} <= names
    assert {"invoice.payment_received", "credit_note.issued", "order.refunded"} <= names


def test_fee_changes_and_immediate_cancellation_make_adjustments(
    billing: BillingService, crm: CRM
) -> None:
    billing.start_retainer("P1", terms("310.00"), retainer_id="R1", starts_on=date(2026, 1, 1))
    billing.run(date(2026, 3, 1))
    billing.change_fee("R1", Money("400.00", "USD"), effective_on=date(2026, 3, 16))
    april = billing.run(date(2026, 4, 1)).invoices[0]
    assert april.total == Money("446.45", "USD")  # 400 + 206.45 - 160.00
    billing.cancel("R1", immediately=True, on=date(2026, 4, 21))
    run = billing.run(date(2026, 4, 21))
    (note,) = run.credit_notes
    assert note.number == "CN-2026-000001"
    assert run.credited == {"USD": note.total}
    # the credit is set against April's (unpaid) invoice
    assert crm.repository("invoice").get(april.id).credit_note_ids == (note.id,)


def test_pause_and_resume_through_the_service(billing: BillingService) -> None:
    billing.start_retainer("P1", terms("300.00"), retainer_id="R1", starts_on=date(2026, 1, 1))
    billing.pause("R1", on=date(2026, 2, 1))
    assert billing.run(date(2026, 3, 1)).invoices_issued == 1  # January only
    assert billing.resume("R1", on=date(2026, 3, 11)).status is RetainerStatus.ACTIVE
    (march,) = billing.run(date(2026, 3, 11)).invoices
    assert march.subtotal == Money("203.23", "USD")  # 21 of 31 days


def test_bad_input_is_refused_with_the_field_named(crm: CRM) -> None:
    for kwargs, field in [
        ({"business": " "}, "business"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"payment_terms_days": -1}, "payment_terms_days"),
    ]:
        with pytest.raises(ValidationError) as info:
            BillingService(crm, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
    with (
        open_store(
            "memory://", registry=MappingRegistry([PARTIES, ENGAGEMENTS, INTERACTIONS])
        ) as bare,
        pytest.raises(ValidationError, match="billing kinds"),
    ):
        BillingService(bare)
    with pytest.raises(NotFoundError):
        BillingService(crm).bill("nope", date(2026, 1, 1))


def test_without_a_date_each_retainer_is_billed_through_its_own_local_today(
    billing: BillingService, clock: ManualClock
) -> None:
    save_parties(billing.crm, ["R-AKL", "R-NYC"])  # references are checked: parties first
    for rid, zone in [("R-AKL", "Pacific/Auckland"), ("R-NYC", "America/New_York")]:
        billing.start_retainer(
            rid, terms("100.00", time_zone=zone), retainer_id=rid, starts_on=date(2026, 1, 1)
        )
    clock.set(datetime(2026, 1, 31, 12, tzinfo=UTC))  # 1 February 01:00 in Auckland
    run = billing.run()
    # Auckland is already in February; New York is still in January (billed on the 1st).
    assert [(i.source_id, i.issued_on) for i in run.invoices] == [
        ("R-AKL", date(2026, 2, 1)),
        ("R-AKL", date(2026, 2, 1)),
        ("R-NYC", date(2026, 1, 31)),
    ]
    assert billing.due_retainers() == ["R-NYC"]  # due tomorrow somewhere: loaded, not billed
    assert billing.run().invoices_issued == 0
    clock.set(datetime(2026, 2, 1, 5, tzinfo=UTC))  # midnight in New York
    assert [i.source_id for i in billing.run().invoices] == ["R-NYC"]
