"""Two businesses in one store: each run bills its own records, with its own numbers."""

from __future__ import annotations

from datetime import date

import pytest

from relationship_core import (
    Business,
    LineItem,
    Money,
    NumberingScheme,
    Payment,
)
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM
from relationship_core._storage.contract import Write
from relationship_core.exceptions import ValidationError

from .conftest import START, terms


def fulfilled(billing: BillingService, order_id: str) -> None:
    billing.place_order("P-buyer", [LineItem("Kit", 1, Money("20.00", "USD"))], order_id=order_id)
    billing.assign_order(order_id, "team")
    billing.start_order(order_id)
    billing.fulfil_order(order_id)


def test_each_business_bills_only_its_own_records(crm_by_the_run: CRM) -> None:
    # The run's order pass takes this business's fulfilled orders only: the
    # fulfilment handler is off, so the orders wait for it.
    crm = crm_by_the_run
    studio = BillingService(crm, business="studio")
    shop = BillingService(
        crm,
        business=Business.create(
            "shop", time_zone="Europe/Paris", numbering=NumberingScheme("F{year}-{seq:04d}")
        ),
    )
    studio.start_retainer("P1", terms(), retainer_id="S-R1", starts_on=date(2026, 1, 1))
    shop.start_retainer("P2", terms(), retainer_id="H-R1", starts_on=date(2026, 1, 1))
    fulfilled(studio, "S-O1")
    fulfilled(shop, "H-O1")

    mine = studio.run(date(2026, 2, 1))
    assert [(i.source_id, i.number, i.business) for i in mine.invoices] == [
        ("S-R1", "INV-2026-000001", "studio"),
        ("S-R1", "INV-2026-000002", "studio"),
        ("S-O1", "INV-2026-000003", "studio"),
    ]
    theirs = shop.run(date(2026, 2, 1))  # nothing of the shop's was taken
    assert [(i.source_id, i.number, i.business) for i in theirs.invoices] == [
        ("H-R1", "F2026-0001", "shop"),
        ("H-R1", "F2026-0002", "shop"),
        ("H-O1", "F2026-0003", "shop"),
    ]
    assert studio.due_retainers(date(2026, 3, 1)) == ["S-R1"]
    assert len(crm.repository("invoice").query(business="shop")) == 3
    # A service refuses the other business's records, saying whose they are.
    with pytest.raises(ValidationError) as info:
        studio.bill("H-R1")
    assert (info.value.field, info.value.value) == ("retainer.business", "shop")
    with pytest.raises(ValidationError):
        studio.record_payment(theirs.invoices[0].id, Payment("p1", Money("310.00", "USD"), START))
    with pytest.raises(ValidationError):
        shop.pause("S-R1")


def test_the_business_record_is_stored_on_first_use_and_then_used(crm: CRM) -> None:
    BillingService(crm, business="studio", time_zone="Europe/London")
    stored = crm.repository("business").get("studio")
    assert (stored.key, stored.name, stored.time_zone.key) == ("studio", "studio", "Europe/London")
    assert stored.numbering == NumberingScheme()  # today's numbers, unchanged
    again = BillingService(crm, business="studio")  # the key alone: the stored settings
    assert again.time_zone.key == "Europe/London"
    with pytest.raises(ValidationError) as info:
        BillingService(crm, business="studio", time_zone="Asia/Tokyo")
    assert info.value.field == "business"
    with pytest.raises(ValidationError) as info:
        BillingService(crm, business="bad:key")
    assert info.value.field == "business"


def _legacy(kind: str, id: str, data: dict[str, object], indexed: dict[str, object]) -> Write:
    return Write(kind, id, data, {"business": None, **indexed}, None, 1)


def test_records_written_before_businesses_belong_to_the_default_one(crm: CRM) -> None:
    # Layout-1 documents, as the previous release wrote them (no business).
    billing = BillingService(crm)
    billing.start_retainer("P1", terms(), retainer_id="OLD", starts_on=date(2026, 1, 1))
    retainer = crm.registry.get("retainer")
    record = crm.backend.get_many("retainer", ["OLD"])["OLD"]
    data = {k: v for k, v in record.data.items() if k != "business"}
    indexed = {**record.indexed, "business": None}
    sequence = {"id": "acme:invoices", "prefix": "INV", "width": 6, "yearly": True}
    sequence.update({"year": 2025, "last": 7})
    with crm.backend.transaction() as tx:
        tx.put_many(
            [
                Write("retainer", "OLD", data, indexed, record.version, 1),
                _legacy("invoice_sequence", "acme:invoices", sequence, {"prefix": "INV"}),
            ]
        )
    assert retainer.schema_version == 4
    # Read: upgraded on the fly, to the default business; a sequence's id names its business.
    assert crm.repository("retainer").get("OLD").business == "default"
    assert crm.repository("invoice_sequence").get("acme:invoices").business == "acme"
    # The default business's run finds them before the migration, too.
    assert billing.due_retainers(date(2026, 1, 1)) == ["OLD"]
    summary = crm.migrate()
    assert "retainer: 1 upgraded to layout 4" in summary
    assert "invoice_sequence: 1 upgraded to layout 2" in summary
    assert [r.id for r in crm.repository("retainer").query(business="default")] == ["OLD"]
    acme = BillingService(crm, business="acme")
    acme.start_retainer("P2", terms(), retainer_id="NEW", starts_on=date(2026, 1, 1))
    # The legacy sequence keeps its layout and counter.
    assert [i.number for i in acme.run(date(2026, 1, 1)).invoices] == ["INV-2026-000001"]
    assert [i.source_id for i in billing.run(date(2026, 1, 1)).invoices] == ["OLD"]
