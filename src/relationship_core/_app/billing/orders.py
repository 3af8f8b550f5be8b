"""Order commands: place, assign, start, fulfil, cancel, invoice, refund.

Fulfilling an order issues its invoice through the billing feature's
``billing.invoice-on-fulfilment`` handler (on unless the store was opened with
``config={"billing": {"invoice_on_fulfilment": False}}``); `invoice_order` and
the run's order pass invoice what is fulfilled and not invoiced yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from relationship_core._app.billing.context import (
    BillingContext,
    credit_note_numbers,
    invoice_numbers,
)
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.biller import credit_note_for_refund, invoice_for_order
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.lines import LineItem
from relationship_core._billing.orders import Order, Refund

__all__ = ["OrderCommands"]


class OrderCommands:
    """The order commands of one business."""

    def __init__(self, context: BillingContext) -> None:
        self.context = context

    def place_order(
        self, party_id: str, lines: Sequence[LineItem], *, order_id: str | None = None
    ) -> Order:
        """Place an order; with an *order_id*, placing it again returns the stored one."""
        ctx = self.context
        at = ctx.now()
        oid = order_id or ctx.crm.new_id()

        def work(uow: UnitOfWork) -> Order:
            orders = uow.repository(Order)
            existing = orders.find(oid)
            if existing is not None:
                return ctx.own("order", existing)
            return orders.add(
                Order.place(
                    oid,
                    party_id,
                    list(lines),
                    at,
                    business=ctx.key,
                    payment_terms_days=ctx.payment_terms_days,
                )
            )

        return ctx.attempt(work)[0]

    def assign_order(self, order_id: str, team: str) -> Order:
        """Assign (or reassign) an order to a fulfilment team."""
        return self.context.change(Order, order_id, lambda o, at: o.assign(team, at))

    def start_order(self, order_id: str) -> Order:
        """The team started work on the order."""
        return self.context.change(Order, order_id, lambda o, at: o.start_work(at))

    def fulfil_order(self, order_id: str) -> Order:
        """The order was delivered; the fulfilment handler invoices it in the same unit of work."""
        return self.context.change(Order, order_id, lambda o, at: o.fulfil(at))

    def cancel_order(self, order_id: str, reason: str) -> Order:
        """Cancel an order before fulfilment."""
        return self.context.change(Order, order_id, lambda o, at: o.cancel(reason, at))

    def invoice_order(self, order_id: str, on: date | None = None) -> Invoice:
        """Invoice a fulfilled order and issue the invoice on *on* (default: today, locally).

        Idempotent: an order invoiced already returns its invoice.
        """
        invoice, _ = self.invoice_fulfilled(order_id, on)
        if invoice is None:
            crm = self.context.crm
            order = crm.repository(Order).get(order_id)
            return crm.repository(Invoice).get(order.invoice_id or f"order:{order_id}")
        return invoice

    def invoice_fulfilled(self, order_id: str, on: date | None) -> tuple[Invoice | None, int]:
        """Invoice *order_id* unless it is invoiced already; ``(invoice or None, retries)``."""
        ctx = self.context
        at = ctx.now()
        day = on if on is not None else ctx.today(at)

        def work(uow: UnitOfWork) -> Invoice | None:
            order = ctx.own("order", uow.repository(Order).get(order_id))
            if order.invoice_id is not None:
                return None
            invoice = invoice_for_order(order, at)
            invoice.issue(invoice_numbers(uow, ctx.business), day, at)
            return uow.add(invoice)

        return ctx.attempt(work)

    def refund_order(self, order_id: str, refund: Refund, on: date | None = None) -> CreditNote:
        """Refund part or all of a paid order and issue the matching credit note.

        Idempotent on the refund's id: a refund recorded already returns its note.
        """
        ctx = self.context
        day = on if on is not None else ctx.today(ctx.now())

        def work(uow: UnitOfWork) -> CreditNote:
            order = ctx.own("order", uow.repository(Order).get(order_id))
            if any(r.id == refund.id for r in order.refunds):
                return uow.repository(CreditNote).get(f"refund:{order.id}:{refund.id}")
            note = credit_note_for_refund(order, refund)
            note.issue(credit_note_numbers(uow, ctx.business), day, refund.refunded_at)
            return uow.add(note)

        return ctx.attempt(work)[0]
