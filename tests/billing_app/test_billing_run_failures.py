"""A run is never stopped by one retainer; numbers follow the business's date whatever the zones."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from relationship_core import BillingInterruptedError, LineItem, ManualClock, Money
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM, open_store
from relationship_core._app.uow import UnitOfWork
from relationship_core._domain.events import DomainEvent
from relationship_core._storage.contract import Write
from relationship_core.exceptions import BackendUnavailableError

from .conftest import save_parties, terms

#: 11:00 UTC on 31 December: 1 January 01:00 on Kiritimati (UTC+14), still
#: 31 December 00:00 in Pago Pago (UTC-11).
NEW_YEAR = datetime(2026, 12, 31, 11, tzinfo=UTC)


def fulfilled_order(billing: BillingService, order_id: str, party_id: str, price: str) -> None:
    save_parties(billing.crm, [party_id])  # references are checked: the party first
    billing.place_order(party_id, [LineItem("Work", 1, Money(price, "USD"))], order_id=order_id)
    billing.assign_order(order_id, "team")
    billing.start_order(order_id)
    billing.fulfil_order(order_id)


def far_apart(billing: BillingService) -> None:
    """Two retainers starting on their own local today: 1 January and 31 December."""
    # Ids sort the early zone first, so it is billed first.
    for rid, zone, day in (
        ("A-kiritimati", "Pacific/Kiritimati", date(2027, 1, 1)),
        ("B-pago", "Pacific/Pago_Pago", date(2026, 12, 31)),
    ):
        save_parties(billing.crm, [f"P-{rid}"])  # references are checked: the party first
        billing.start_retainer(f"P-{rid}", terms(time_zone=zone), retainer_id=rid, starts_on=day)


def test_a_run_around_new_year_numbers_every_document_by_the_business_date(
    crm_by_the_run: CRM, clock: ManualClock
) -> None:
    crm = crm_by_the_run  # the order waits for the run's order pass
    clock.set(NEW_YEAR)
    billing = BillingService(crm, business="acme")  # the business keeps UTC: 31 December
    far_apart(billing)
    fulfilled_order(billing, "O1", "P9", "50.00")
    run = billing.run()
    assert run.ok, run.failures
    # Each document is dated by its account's calendar and numbered in the
    # business's year, in issue order.
    issued = [(i.source_id, i.issued_on, i.number) for i in run.invoices]
    assert issued == [
        ("A-kiritimati", date(2027, 1, 1), "INV-2026-000001"),
        ("B-pago", date(2026, 12, 31), "INV-2026-000002"),
        ("O1", date(2026, 12, 31), "INV-2026-000003"),
    ]
    assert billing.run().invoices_issued == 0  # a rerun finds nothing


def test_a_business_far_east_numbers_into_its_new_year(crm: CRM, clock: ManualClock) -> None:
    clock.set(NEW_YEAR)
    billing = BillingService(crm, business="island", time_zone="Pacific/Kiritimati")
    far_apart(billing)
    run = billing.run()
    assert run.ok, run.failures
    assert [(i.issued_on, i.number) for i in run.invoices] == [
        (date(2027, 1, 1), "INV-2027-000001"),
        (date(2026, 12, 31), "INV-2027-000002"),
    ]


@pytest.mark.parametrize("batch_size", [1, 3, 50], ids=["one-by-one", "batch-3", "batch-50"])
def test_one_retainer_that_cannot_be_billed_does_not_stop_the_run(
    crm_by_the_run: CRM, billing_by_the_run: BillingService, batch_size: int
) -> None:
    crm, billing = crm_by_the_run, billing_by_the_run  # the run's order pass bills O1
    billing.start_retainer("P1", terms(), retainer_id="R1", starts_on=date(2026, 1, 1))
    billing.start_retainer("P3", terms(), retainer_id="R3", starts_on=date(2026, 1, 1))
    # A damaged record between them, due like the others.
    with crm.backend.transaction() as tx:
        tx.put_many(
            [
                Write(
                    "retainer",
                    "R2",
                    {"id": "R2", "garbage": True},
                    {
                        "business": "acme",
                        "party_id": "P2",
                        "engagement_id": None,
                        "status": "active",
                        "starts_on": date(2026, 1, 1),
                        "ends_on": None,
                        "next_billing_date": date(2026, 1, 1),
                    },
                    None,
                    crm.registry.get("retainer").schema_version,
                )
            ]
        )
    fulfilled_order(billing, "O1", "P9", "10.00")
    # Batched, R2 is taken out of its batch and the batch is retried without it.
    run = billing.run(date(2026, 1, 1), batch_size=batch_size)
    assert [(f.kind, f.id, f.error_type) for f in run.failures] == [
        # The damaged record cannot be loaded: named by kind and id (CorruptRecordError).
        ("retainer", "R2", "CorruptRecordError")
    ]
    assert run.failures[0].error  # the reason, naming the field to fix
    assert sorted(i.source_id or "" for i in run.invoices) == ["O1", "R1", "R3"]
    assert (run.retainers_billed, run.orders_invoiced, run.ok) == (2, 1, False)
    # The others are done; the damaged one is reported again.
    again = billing.run(date(2026, 1, 1), batch_size=batch_size)
    assert (again.invoices_issued, [f.id for f in again.failures]) == (0, ["R2"])


def test_an_unavailable_store_stops_the_run_with_what_was_done(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    lockers: list[sqlite3.Connection] = []

    def lock_the_database(event: DomainEvent, uow: UnitOfWork) -> None:
        # R1 is committed; as R2's invoice is about to be written, another
        # process takes the write lock, so R2's transaction cannot begin.
        if getattr(event, "party_id", None) == "P2" and not lockers:
            locker = sqlite3.connect(path, isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")
            lockers.append(locker)

    with open_store(f"sqlite:///{path}?timeout=0.05", clock=clock) as crm:
        billing = BillingService(crm, business="acme")
        save_parties(crm, [f"P{n}" for n in range(1, 5)])  # references are checked: parties first
        for n in range(1, 5):
            billing.start_retainer(
                f"P{n}", terms(), retainer_id=f"R{n}", starts_on=date(2026, 1, 1)
            )
        crm.bus.register("invoice.issued", lock_the_database, name="test.lock")
        with pytest.raises(BillingInterruptedError) as info:
            billing.run(date(2026, 1, 1))
        assert isinstance(info.value, BackendUnavailableError)
        done = info.value.run
        assert ([i.source_id for i in done.invoices], done.failures) == (["R1"], ())
        assert "run again" in str(info.value)
        assert lockers
        lockers[0].rollback()
        lockers[0].close()
        rest = billing.run(date(2026, 1, 1))  # the store is back: the rest, once
        assert sorted(i.source_id or "" for i in rest.invoices) == ["R2", "R3", "R4"]
        assert rest.ok
