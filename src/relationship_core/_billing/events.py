"""Domain events of the revenue models, for the rule engine and the event log.

Every class names itself (``OrderFulfilled.name == "order.fulfilled"``); the
billing feature plugin contributes them to every store it opens.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import attrs

from relationship_core._billing.cycles import BillingCycle
from relationship_core._domain.events import DomainEvent
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
    "RetainerTrialCancelled",
    "RetainerTrialConverted",
    "RetainerTrialEnded",
    "RetainerTrialExtended",
    "RetainerTrialStarted",
]


# -- retainers -------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class RetainerStarted(DomainEvent):
    """A retainer began; the client is billed from *starts_on*."""

    name: ClassVar[str] = "retainer.started"

    party_id: str
    engagement_id: str | None
    fee: Money
    cycle: BillingCycle
    starts_on: date


@attrs.frozen(kw_only=True)
class RetainerFeeChanged(DomainEvent):
    """The fee changed from *effective_on* (a mid-period change is prorated)."""

    name: ClassVar[str] = "retainer.fee_changed"

    party_id: str
    old_fee: Money
    new_fee: Money
    effective_on: date


@attrs.frozen(kw_only=True)
class RetainerPaused(DomainEvent):
    """Billing stopped from *paused_on* until the retainer is resumed."""

    name: ClassVar[str] = "retainer.paused"

    party_id: str
    paused_on: date


@attrs.frozen(kw_only=True)
class RetainerResumed(DomainEvent):
    """Billing restarts on *resumed_on*."""

    name: ClassVar[str] = "retainer.resumed"

    party_id: str
    resumed_on: date


@attrs.frozen(kw_only=True)
class RetainerCancelled(DomainEvent):
    """The retainer ends on *ends_on* (exclusive); *immediately* means mid-period."""

    name: ClassVar[str] = "retainer.cancelled"

    party_id: str
    ends_on: date
    immediately: bool
    reason: str


@attrs.frozen(kw_only=True)
class RetainerHoursRecorded(DomainEvent):
    """Hours were worked; *overage_hours* of them exceeded the bank."""

    name: ClassVar[str] = "retainer.hours_recorded"

    party_id: str
    hours: Decimal
    worked_on: date
    overage_hours: Decimal


@attrs.frozen(kw_only=True)
class RetainerTrialStarted(DomainEvent):
    """A retainer began with a trial ``[starts_on, ends_on)`` at *price* (zero: free)."""

    name: ClassVar[str] = "retainer.trial_started"

    party_id: str
    starts_on: date
    ends_on: date
    price: Money


@attrs.frozen(kw_only=True)
class RetainerTrialExtended(DomainEvent):
    """The trial now ends on *ends_on* (was *old_ends_on*); the extension costs *price*."""

    name: ClassVar[str] = "retainer.trial_extended"

    party_id: str
    old_ends_on: date
    ends_on: date
    price: Money


@attrs.frozen(kw_only=True)
class RetainerTrialConverted(DomainEvent):
    """Paid service follows the trial from *ends_on*; *automatic* when the end decided it."""

    name: ClassVar[str] = "retainer.trial_converted"

    party_id: str
    ends_on: date
    automatic: bool


@attrs.frozen(kw_only=True)
class RetainerTrialCancelled(DomainEvent):
    """Nothing paid follows the trial; service ends on *ends_on* (exclusive)."""

    name: ClassVar[str] = "retainer.trial_cancelled"

    party_id: str
    ends_on: date
    reason: str


@attrs.frozen(kw_only=True)
class RetainerTrialEnded(DomainEvent):
    """The trial's end, *ended_on*, was reached; *outcome* is ``converted`` or ``cancelled``."""

    name: ClassVar[str] = "retainer.trial_ended"

    party_id: str
    ended_on: date
    outcome: str


# -- orders ------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class OrderPlaced(DomainEvent):
    """A customer placed an order."""

    name: ClassVar[str] = "order.placed"

    party_id: str
    total: Money


@attrs.frozen(kw_only=True)
class OrderAssigned(DomainEvent):
    """The order went to a fulfilment team."""

    name: ClassVar[str] = "order.assigned"

    party_id: str
    team: str


@attrs.frozen(kw_only=True)
class OrderStarted(DomainEvent):
    """Work on the order began."""

    name: ClassVar[str] = "order.started"

    party_id: str


@attrs.frozen(kw_only=True)
class OrderFulfilled(DomainEvent):
    """The order was delivered; it can now be invoiced."""

    name: ClassVar[str] = "order.fulfilled"

    party_id: str
    total: Money


@attrs.frozen(kw_only=True)
class OrderInvoiced(DomainEvent):
    """An invoice was made for the order."""

    name: ClassVar[str] = "order.invoiced"

    party_id: str
    invoice_id: str


@attrs.frozen(kw_only=True)
class OrderPaid(DomainEvent):
    """The order's invoice was paid in full."""

    name: ClassVar[str] = "order.paid"

    party_id: str


@attrs.frozen(kw_only=True)
class OrderCancelled(DomainEvent):
    """The order was cancelled before fulfilment."""

    name: ClassVar[str] = "order.cancelled"

    party_id: str
    reason: str


@attrs.frozen(kw_only=True)
class OrderRefunded(DomainEvent):
    """Money went back to the customer; *full* when nothing is left."""

    name: ClassVar[str] = "order.refunded"

    party_id: str
    amount: Money
    full: bool


# -- invoices ------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class InvoiceIssued(DomainEvent):
    """An invoice got its number and was sent."""

    name: ClassVar[str] = "invoice.issued"

    party_id: str
    number: str
    total: Money
    issued_on: date
    due_on: date


@attrs.frozen(kw_only=True)
class PaymentReceived(DomainEvent):
    """A payment (possibly partial) was recorded against an invoice."""

    name: ClassVar[str] = "invoice.payment_received"

    party_id: str
    payment_id: str
    amount: Money
    balance: Money


@attrs.frozen(kw_only=True)
class InvoicePaid(DomainEvent):
    """Nothing is left to pay on the invoice."""

    name: ClassVar[str] = "invoice.paid"

    party_id: str
    number: str


@attrs.frozen(kw_only=True)
class InvoiceVoided(DomainEvent):
    """An issued invoice was voided; its number stays used (no gaps)."""

    name: ClassVar[str] = "invoice.voided"

    party_id: str
    number: str
    reason: str


@attrs.frozen(kw_only=True)
class CreditNoteIssued(DomainEvent):
    """A credit note was issued, optionally against an invoice."""

    name: ClassVar[str] = "credit_note.issued"

    party_id: str
    number: str
    total: Money
    invoice_id: str | None
