"""The pure biller inside real units of work (memory store): idempotent and race-safe.

This drives ``bill_retainer`` directly with the library's own storage mappings,
below the ``BillingService`` that tests/billing_app covers on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from relationship_core import Money, Person
from relationship_core._app.facade import CRM, open_store
from relationship_core._billing.biller import bill_retainer
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.invoices import Invoice
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.retainer import Retainer, RetainerTerms
from relationship_core.exceptions import ConflictError

from .conftest import AT


@pytest.fixture
def crm() -> Iterator[CRM]:
    with open_store("memory://") as store:
        with store.unit_of_work() as uow:
            terms = RetainerTerms(Money("310.00", "USD"), BillingCycle.monthly(), "UTC")
            uow.parties.add(Person(id="P1", name="Pat"))  # references are checked: the party first
            retainer = Retainer.start("R1", "P1", terms, AT, starts_on=date(2026, 1, 1))
            uow.add(retainer)
            uow.add(InvoiceNumberSequence("acme"))
        yield store


def bill(crm: CRM, through: date) -> list[str]:
    """One retainer's billing step in one unit of work."""
    with crm.unit_of_work() as uow:
        retainer = uow.repository("retainer").get("R1")
        sequence = uow.repository("invoice_sequence").get("acme")
        numbers = []
        for step in bill_retainer(retainer, through, AT):
            if isinstance(step.document, Invoice):
                numbers.append(step.document.issue(sequence, through, AT))
                uow.add(step.document)
        return numbers


def test_running_twice_bills_once(crm: CRM) -> None:
    assert bill(crm, date(2026, 3, 1)) == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    assert bill(crm, date(2026, 3, 1)) == []
    assert bill(crm, date(2026, 4, 1)) == ["INV-2026-000004"]
    due = crm.repository("retainer").query(("next_billing_date", "le", date(2026, 4, 30)))
    assert list(due) == []


def crash_half_way(crm: CRM) -> None:
    with crm.unit_of_work() as uow:
        retainer = uow.repository("retainer").get("R1")
        for step in bill_retainer(retainer, date(2026, 3, 1), AT):
            uow.add(step.document)
        raise RuntimeError("power cut")


def test_a_crash_before_commit_changes_nothing(crm: CRM) -> None:
    with pytest.raises(RuntimeError, match="power cut"):
        crash_half_way(crm)
    assert crm.repository("invoice").find("retainer:R1:2026-01-01") is None
    assert bill(crm, date(2026, 3, 1)) == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]


def test_racing_billers_cannot_both_commit(crm: CRM) -> None:
    first = crm.unit_of_work()
    second = crm.unit_of_work()
    for uow in (first, second):
        retainer = uow.repository("retainer").get("R1")
        for step in bill_retainer(retainer, date(2026, 1, 1), AT):
            uow.add(step.document)
    first.commit()
    with pytest.raises(ConflictError):
        second.commit()
    invoices = list(crm.repository("invoice").query(party_id="P1"))
    assert [i.id for i in invoices] == ["retainer:R1:2026-01-01"]
