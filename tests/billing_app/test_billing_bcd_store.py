"""Bill-cycle-day retainers through the billing service, and the layout 3 upgrade of retainers."""

from __future__ import annotations

from datetime import date

from relationship_core import BillingCycle, Money, RetainerTerms
from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM
from relationship_core._storage.contract import Write


def _terms(**extra: object) -> RetainerTerms:
    return RetainerTerms(Money("49.95", "USD"), BillingCycle.monthly(), "UTC", **extra)  # type: ignore[arg-type]


def test_a_bill_cycle_day_retainer_bills_a_prorated_first_period(crm: CRM) -> None:
    billing = BillingService(crm)
    billing.start_retainer(
        "P1", _terms(bill_cycle_day=1), retainer_id="BCD", starts_on=date(2026, 4, 4)
    )
    run = billing.run(date(2026, 6, 15))
    totals = [(i.lines[0].period_start, i.total) for i in run.invoices]
    # 4-30 April is 27 of 30 days: 49.95 - round(49.95 x 3 / 30) = 44.95; then whole months.
    assert totals == [
        (date(2026, 4, 4), Money("44.95", "USD")),
        (date(2026, 5, 1), Money("49.95", "USD")),
        (date(2026, 6, 1), Money("49.95", "USD")),
    ]
    stored = crm.repository("retainer").get("BCD")
    assert stored.terms.bill_cycle_day == 1


def test_layout_2_retainers_gain_no_bill_cycle_day_on_read_and_by_migrate(crm: CRM) -> None:
    billing = BillingService(crm)
    billing.start_retainer("P1", _terms(), retainer_id="OLD", starts_on=date(2026, 1, 31))
    record = crm.backend.get_many("retainer", ["OLD"])["OLD"]
    terms = {k: v for k, v in record.data["terms"].items() if k != "bill_cycle_day"}
    data = {**record.data, "terms": terms}
    with crm.backend.transaction() as tx:
        tx.put_many([Write("retainer", "OLD", data, record.indexed, record.version, 2)])
    assert crm.repository("retainer").get("OLD").terms.bill_cycle_day is None
    summary = crm.migrate()
    assert "retainer: 1 upgraded to layout 4" in summary
    upgraded = crm.backend.get_many("retainer", ["OLD"])["OLD"]
    assert upgraded.data["terms"]["bill_cycle_day"] is None
    # An anchor date of 31 January still clamps through February.
    starts = [i.lines[0].period_start for i in billing.run(date(2026, 3, 31)).invoices]
    assert starts == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
