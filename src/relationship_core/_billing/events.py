"""Domain events of the revenue models, for the rule engine and the event log.

Every class is registered under a dotted name (``EVENT_TYPES["order.fulfilled"]``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from relationship_core._billing.cycles import BillingCycle
from relationship_core._domain.events import DomainEvent, register_event
from relationship_core._domain.money import Money

__all__ = [
    "CreditNoteIssued",
    "InvoiceIssued",
    "InvoicePaid",
    "InvoiceVoided",
    "OrderAssigned",
    "OrderCancelled",
    "OrderFulfilled",
    "OrderInvoiced",
    "OrderPaid",
    "OrderPlaced",
    "OrderRefunded",
    "OrderStarted",
    "PaymentReceived",
    "RetainerCancelled",
    "RetainerFeeChanged",
    "RetainerHoursRecorded",
    "RetainerPaused",
    "RetainerResumed",
    "RetainerStarted",
]


# -- retainers -------------------------------------------------------------------
@register_event("retainer.started")
@attrs.frozen(kw_only=True)
class RetainerStarted(DomainEvent):
    """A retainer began; the client is billed from *starts_on*."""

    party_id: str
    engagement_id: str | None
    fee: Money
    cycle: BillingCycle
    starts_on: date


@register_event("retainer.fee_changed")
@attrs.frozen(kw_only=True)
class RetainerFeeChanged(DomainEvent):
    """The fee changed from *effective_on* (a mid-period change is prorated)."""

    party_id: str
    old_fee: Money
    new_fee: Money
    effective_on: date


@register_event("retainer.paused")
@attrs.frozen(kw_only=True)
class RetainerPaused(DomainEvent):
    """Billing stopped from *paused_on* until the retainer is resumed."""

    party_id: str
    paused_on: date


@register_event("retainer.resumed")
@attrs.frozen(kw_only=True)
class RetainerResumed(DomainEvent):
    """Billing restarts on *resumed_on*."""

    party_id: str
    resumed_on: date


@register_event("retainer.cancelled")
@attrs.frozen(kw_only=True)
class RetainerCancelled(DomainEvent):
    """The retainer ends on *ends_on* (exclusive); *immediately* means mid-period."""

    party_id: str
    ends_on: date
    immediately: bool
    reason: str


@register_event("retainer.hours_recorded")
@attrs.frozen(kw_only=True)
class RetainerHoursRecorded(DomainEvent):
    """Hours were worked; *overage_hours* of them exceeded the bank."""

    party_id: str
    hours: Decimal
    worked_on: date
    overage_hours: Decimal


# -- orders ------------------------------------------------------------------------
@register_event("order.placed")
@attrs.frozen(kw_only=True)
class OrderPlaced(DomainEvent):
    """A customer placed an order."""

    party_id: str
    total: Money


@register_event("order.assigned")
@attrs.frozen(kw_only=True)
class OrderAssigned(DomainEvent):
    """The order went to a fulfilment team."""

    party_id: str
    team: str


@register_event("order.started")
@attrs.frozen(kw_only=True)
class OrderStarted(DomainEvent):
    """Work on the order began."""

    party_id: str


@register_event("order.fulfilled")
@attrs.frozen(kw_only=True)
class OrderFulfilled(DomainEvent):
    """The order was delivered; it can now be invoiced."""

    party_id: str
    total: Money


@register_event("order.invoiced")
@attrs.frozen(kw_only=True)
class OrderInvoiced(DomainEvent):
    """An invoice was made for the order."""

    party_id: str
    invoice_id: str


@register_event("order.paid")
@attrs.frozen(kw_only=True)
class OrderPaid(DomainEvent):
    """The order's invoice was paid in full."""

    party_id: str


@register_event("order.cancelled")
@attrs.frozen(kw_only=True)
class OrderCancelled(DomainEvent):
    """The order was cancelled before fulfilment."""

    party_id: str
    reason: str


@register_event("order.refunded")
@attrs.frozen(kw_only=True)
class OrderRefunded(DomainEvent):
    """Money went back to the customer; *full* when nothing is left."""

    party_id: str
    amount: Money
    full: bool


# -- invoices ------------------------------------------------------------------------
@register_event("invoice.issued")
@attrs.frozen(kw_only=True)
class InvoiceIssued(DomainEvent):
    """An invoice got its number and was sent."""

    party_id: str
    number: str
    total: Money
    issued_on: date
    due_on: date


@register_event("invoice.payment_received")
@attrs.frozen(kw_only=True)
class PaymentReceived(DomainEvent):
    """A payment (possibly partial) was recorded against an invoice."""

    party_id: str
    payment_id: str
    amount: Money
    balance: Money


@register_event("invoice.paid")
@attrs.frozen(kw_only=True)
class InvoicePaid(DomainEvent):
    """Nothing is left to pay on the invoice."""

    party_id: str
    number: str


@register_event("invoice.voided")
@attrs.frozen(kw_only=True)
class InvoiceVoided(DomainEvent):
    """An issued invoice was voided; its number stays used (no gaps)."""

    party_id: str
    number: str
    reason: str


@register_event("credit_note.issued")
@attrs.frozen(kw_only=True)
class CreditNoteIssued(DomainEvent):
    """A credit note was issued, optionally against an invoice."""

    party_id: str
    number: str
    total: Money
    invoice_id: str | None
