"""Stores for the billing service tests: memory, SQLite (tmp_path) and PostgreSQL.

PostgreSQL runs when ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set (CI sets it)
and skips with the reason otherwise; its schemas come from tests/shared_fixtures.py
(``pg_fresh_url``), each dropped when its test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from relationship_core import BillingCycle, ManualClock, Money, Person, RetainerTerms
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM, open_store

START = datetime(2026, 1, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL of each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'billing.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
    return make()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


#: The parties these tests bill. Billing records reference their party, and a
#: unit of work refuses a dangling reference, so `crm` saves them first.
PARTIES = ("P1", "P2", "P3", "P5", "P-buyer")


def save_parties(crm: CRM, ids: Iterable[str]) -> None:
    """Save a person under each id (references are checked when a unit of work commits)."""
    with crm.unit_of_work() as uow:
        for pid in ids:
            if uow.parties.find(pid) is None:
                uow.parties.add(Person(id=pid, name=f"Client {pid}"))


#: The fulfilment handler switched off: fulfilled orders wait for the run's
#: order pass (or `invoice_order`). The default, on, invoices at fulfilment.
BY_THE_RUN = {"billing": {"invoice_on_fulfilment": False}}


@pytest.fixture
def crm(store_url: str, clock: ManualClock) -> Iterator[CRM]:
    """A store with the billing feature's defaults (fulfilment invoices at once)."""
    with open_store(store_url, clock=clock) as store:
        save_parties(store, PARTIES)
        yield store


@pytest.fixture
def billing(crm: CRM) -> BillingService:
    return BillingService(crm, business="acme")


@pytest.fixture
def crm_by_the_run(store_url: str, clock: ManualClock) -> Iterator[CRM]:
    """A store whose fulfilled orders are invoiced by the run (handler switched off)."""
    with open_store(store_url, clock=clock, config=BY_THE_RUN) as store:
        save_parties(store, PARTIES)
        yield store


@pytest.fixture
def billing_by_the_run(crm_by_the_run: CRM) -> BillingService:
    return BillingService(crm_by_the_run, business="acme")


def terms(fee: str = "310.00", currency: str = "USD", **extra: object) -> RetainerTerms:
    return RetainerTerms(
        Money(fee, currency),
        BillingCycle.monthly(),
        extra.pop("time_zone", "UTC"),
        anchor=date(2026, 1, 1),
        **extra,  # type: ignore[arg-type]
    )
