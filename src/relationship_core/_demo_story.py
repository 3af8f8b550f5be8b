"""The demo's story: the store, the clock walking through the year, and the writer.

Every chapter (`_demo.py`'s billing year and each feature's `_demo_*.py`)
takes the one `_Story`, so the chapters share a clock and a store without
importing each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from relationship_core._app.billing import BillingService
from relationship_core._app.facade import CRM
from relationship_core._billing.invoices import Invoice, InvoiceStatus, Payment
from relationship_core._billing.lines import LineItem
from relationship_core._billing.orders import Order
from relationship_core._domain.clock import ManualClock
from relationship_core._domain.engagements import Channel, Engagement
from relationship_core._domain.ids import IdGenerator
from relationship_core._domain.money import Money

__all__ = ["BUSINESS", "ZONE", "Write", "_heading", "_m", "_Story"]

Write = Callable[[str], None]
ZONE = "Europe/London"
BUSINESS = "studio"


def _m(money: Money) -> str:
    return f"{money.amount:,.2f}"


def _heading(write: Write, text: str) -> None:
    write("")
    write(text)
    write("-" * len(text))


class _Story:
    """The year, day by day: actions at 10:00 UTC, the biller at 18:00 UTC.

    Orders are invoiced when fulfilled; the evening run bills the retainer.
    """

    def __init__(self, crm: CRM, clock: ManualClock, write: Write) -> None:
        self.crm = crm
        self.write = write
        self.clock = clock
        self.new_id = IdGenerator(self.clock)
        self.billing = BillingService(
            crm, business=BUSINESS, clock=self.clock, time_zone=ZONE, payment_terms_days=14
        )
        self.pay_on: dict[date, list[tuple[str, str]]] = defaultdict(list)
        self.issued: list[Invoice] = []

    def at(self, day: date, hour: int = 10) -> datetime:
        return self.clock.set(datetime.combine(day, time(hour), UTC))

    def _issued(self, invoice: Invoice, day: date, delay: int) -> None:
        self.issued.append(invoice)
        self.pay_on[day + timedelta(days=delay)].append((invoice.id, invoice.number or ""))

    def nightly_run(self, day: date) -> list[Invoice]:
        self.at(day, 18)
        run = self.billing.run()
        for invoice in run.invoices:
            self._issued(invoice, day, 10)
        return list(run.invoices)

    def fulfil(self, order_id: str, day: date) -> tuple[Order, Invoice]:
        """Fulfil *order_id*: the fulfilment handler issues its invoice in the same commit."""
        order = self.billing.fulfil_order(order_id)
        invoice = self.billing.invoices.get(order.invoice_id or f"order:{order_id}")
        self._issued(invoice, day, 7)
        return order, invoice

    def payments_due(self, day: date) -> None:
        for invoice_id, number in self.pay_on.pop(day, []):
            invoice = self.billing.invoices.get(invoice_id)
            if invoice.status is not InvoiceStatus.ISSUED:
                continue
            self.billing.record_payment(
                invoice_id, Payment(f"pay-{number}", invoice.balance, self.clock.now(), "transfer")
            )

    def order(self, party_id: str, order_id: str, lines: list[LineItem], team: str) -> Order:
        self.billing.place_order(party_id, lines, order_id=order_id)
        return self.billing.assign_order(order_id, team)

    def log(self, engagement_id: str, channel: Channel, summary: str, by: str | None) -> None:
        with self.crm.unit_of_work() as uow:
            engagement: Engagement = uow.engagements.get(engagement_id)
            interaction = engagement.log_interaction(
                channel, at=self.clock.now(), summary=summary, by=by, id=self.new_id()
            )
            uow.interactions.add(interaction)
