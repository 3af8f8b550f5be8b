"""A year of billing in a store: one retainer client and one per-purchase customer.

The billing service keeps retainers, orders and invoices in a store opened by
URL; an order is invoiced when it is fulfilled (in the same unit of work),
and the biller runs on the first of every month (as cron would) and is safe
to run again. Runs on ``memory://`` by default; pass a URL to use another
store, e.g. ``python examples/billing_year.py sqlite:///billing.db``.

Run: python examples/billing_year.py [URL]
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

from relationship_core import (
    BillingCycle,
    BillingService,
    Invoice,
    LineItem,
    LineKind,
    ManualClock,
    Money,
    Organisation,
    Payment,
    RetainerTerms,
    monthly_recurring_revenue,
)
from relationship_core import open as open_store


def main(url: str = "memory://") -> None:
    clock = ManualClock(datetime(2026, 1, 1, 8, tzinfo=UTC))
    with open_store(url, clock=clock) as crm:
        # Billing records reference their party: save the parties first.
        crm.parties.add(Organisation(id="client-1", name="Atelier Client"))
        crm.parties.add(Organisation(id="customer-1", name="Print Customer"))
        billing = BillingService(crm, business="studio", payment_terms_days=14)
        billing.start_retainer(
            "client-1",
            RetainerTerms(
                Money("2000.00", "EUR"),
                BillingCycle.monthly(),
                "Europe/Paris",
                anchor=date(2026, 1, 1),
                tax_rate="0.20",
            ),
            retainer_id="R-1",
            starts_on=date(2026, 1, 20),  # mid-month: the first invoice is prorated
        )
        print(f"{'on':<12}{'invoice':<18}{'for':<10}{'net':>10}{'total':>11}")
        year_total: dict[str, Money] = {}
        for month in range(1, 13):
            day = date(2026, month, 1)
            clock.set(datetime(2026, month, 1, 8, tzinfo=UTC))
            if month == 7:
                billing.change_fee("R-1", Money("2400.00", "EUR"), effective_on=date(2026, 7, 1))
            order_id = f"O-{month:02d}"
            billing.place_order(
                "customer-1",
                [
                    LineItem(
                        "Print run", 500, Money("0.42", "EUR"), LineKind.PRODUCT, tax_rate="0.055"
                    ),
                    LineItem("Design", 2, Money("75.00", "EUR"), LineKind.SERVICE, tax_rate="0.20"),
                ],
                order_id=order_id,
            )
            billing.assign_order(order_id, "print-shop")
            billing.start_order(order_id)
            order = billing.fulfil_order(order_id)  # the fulfilment handler invoices it
            run = billing.run(day)
            assert billing.run(day).invoices_issued == 0  # running again bills nothing
            sale = billing.invoices.get(order.invoice_id or f"order:{order_id}")
            issued: list[Invoice] = [sale, *run.invoices]  # in issue order
            for invoice in issued:
                who = "retainer" if invoice.source_id == "R-1" else "order"
                print(
                    f"{day.isoformat():<12}{invoice.number:<18}{who:<10}"
                    f"{invoice.subtotal.amount:>10,.2f}{invoice.total.amount:>11,.2f}"
                )
                billing.record_payment(
                    invoice.id, Payment(f"pay-{invoice.number}", invoice.total, clock.now())
                )
            for invoice in issued:
                code = invoice.currency.code
                year_total[code] = (
                    year_total[code] + invoice.total if code in year_total else invoice.total
                )
        retainers = list(billing.retainers.iterate())
        mrr = monthly_recurring_revenue(retainers, date(2026, 12, 31), "EUR")
        paid = sum(1 for _ in billing.invoices.iterate(status="paid"))
        print()
        print(f"billed in 2026: {', '.join(str(m) for m in year_total.values())} (tax included)")
        print(f"invoices paid: {paid}; MRR on 31 Dec: {mrr}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
