"""The batched run: the same documents and numbers as one-by-one, fewer transactions."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core import BillingInterruptedError, ManualClock
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM, open_store
from relationship_core._app.uow import UnitOfWork
from relationship_core._domain.events import DomainEvent
from relationship_core.exceptions import ValidationError

from .conftest import START, save_parties, terms


def _started(crm: CRM, count: int, fees: list[str]) -> BillingService:
    billing = BillingService(crm, business="acme")
    save_parties(crm, [f"P{n}" for n in range(count)])
    for n in range(count):
        billing.start_retainer(f"P{n}", terms(fees[n % len(fees)]), retainer_id=f"R{n:02d}")
    return billing


def _documents(crm: CRM) -> list[tuple[str, str | None, str]]:
    return sorted((i.id, i.number, str(i.total)) for i in crm.repository("invoice").iterate())


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(1, 9),
    batch_size=st.integers(2, 10),
    fees=st.lists(st.sampled_from(["10.00", "49.95", "310.00"]), min_size=1, max_size=3),
    months=st.lists(st.integers(1, 12), min_size=1, max_size=4).map(sorted),
)
def test_batched_runs_issue_exactly_what_one_by_one_runs_issue(
    count: int, batch_size: int, fees: list[str], months: list[int]
) -> None:
    stores = []
    for size in (1, batch_size):
        clock = ManualClock(START)
        with open_store("memory://", clock=clock) as crm:
            billing = _started(crm, count, fees)
            reported = []
            for month in months:
                clock.set(datetime(2026, month, 1, 10, tzinfo=UTC))
                run = billing.run(date(2026, month, 1), batch_size=size)
                reported += [(i.id, i.number, str(i.total)) for i in run.invoices]
            assert sorted(reported) == _documents(crm)  # what a run reports is what it stored
            stores.append(_documents(crm))
    assert stores[0] == stores[1]


def test_batch_size_must_be_a_whole_number_of_one_or_more(crm: CRM) -> None:
    billing = BillingService(crm, business="acme")
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(ValidationError, match="batch_size"):
            billing.run(date(2026, 1, 1), batch_size=bad)  # type: ignore[arg-type]


def test_an_unavailable_store_stops_a_batched_run_keeping_the_batches_committed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    lockers: list[sqlite3.Connection] = []

    def lock_the_database(event: DomainEvent, uow: UnitOfWork) -> None:
        # The first batch (R1, R2) is committed; as the second batch's invoice
        # for P3 is issued, another process takes the write lock.
        if getattr(event, "party_id", None) == "P3" and not lockers:
            locker = sqlite3.connect(path, isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")
            lockers.append(locker)

    with open_store(f"sqlite:///{path}?timeout=0.05", clock=clock) as crm:
        billing = BillingService(crm, business="acme")
        save_parties(crm, [f"P{n}" for n in range(1, 7)])
        for n in range(1, 7):
            billing.start_retainer(
                f"P{n}", terms(), retainer_id=f"R{n}", starts_on=date(2026, 1, 1)
            )
        crm.bus.register("invoice.issued", lock_the_database, name="test.lock")
        with pytest.raises(BillingInterruptedError) as info:
            billing.run(date(2026, 1, 1), batch_size=2)
        done = info.value.run
        assert ([i.source_id for i in done.invoices], done.failures) == (["R1", "R2"], ())
        assert lockers
        lockers[0].rollback()
        lockers[0].close()
        rest = billing.run(date(2026, 1, 1), batch_size=2)  # the store is back: the rest, once
        assert sorted(i.source_id or "" for i in rest.invoices) == ["R3", "R4", "R5", "R6"]
        numbers = sorted(i.number or "" for i in crm.repository("invoice").iterate())
        assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 7)]  # gapless
