"""Invoice commands: payments against issued invoices.

A payment that settles an order's invoice marks the order paid through the
billing feature's ``billing.order-paid`` handler, in the same unit of work.
"""

from __future__ import annotations

from relationship_core._app.billing.context import BillingContext
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.invoices import Invoice, Payment

__all__ = ["PaymentCommands"]


class PaymentCommands:
    """The invoice and payment commands of one business."""

    def __init__(self, context: BillingContext) -> None:
        self.context = context

    def record_payment(self, invoice_id: str, payment: Payment) -> Invoice:
        """Record a payment against an issued invoice.

        Idempotent on the payment's id (a retried webhook is not counted
        twice). When the payment settles an order's invoice, the order is
        marked paid in the same unit of work.
        """
        ctx = self.context

        def work(uow: UnitOfWork) -> Invoice:
            invoice = ctx.own("invoice", uow.repository(Invoice).get(invoice_id))
            if not any(p.id == payment.id for p in invoice.payments):
                invoice.record_payment(payment)
            return invoice

        return ctx.attempt(work)[0]
