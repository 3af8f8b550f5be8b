"""Revenue models: billing cycles, proration, retainers, orders, invoices and metrics.

Private package; the public names are re-exported from `relationship_core`.
``__all__`` below is the list to re-export.
"""

from __future__ import annotations

from relationship_core._billing.bcd import (
    BillCycleDaySchedule,
    BillingSegment,
    BillingSegmentKind,
    Reanchored,
    clamp_to_month,
    reanchor,
)
from relationship_core._billing.biller import (
    BillingStep,
    bill_next,
    bill_retainer,
    credit_note_for_refund,
    invoice_for_order,
    issue_documents,
    next_billing_date,
    next_due_period,
    period_due_on,
    period_key,
)
from relationship_core._billing.commitments import AmountCommitment
from relationship_core._billing.cycles import BillingCycle, CycleUnit
from relationship_core._billing.events import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    OrderAssigned,
    OrderCancelled,
    OrderFulfilled,
    OrderInvoiced,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStarted,
    PaymentReceived,
    RetainerCancelled,
    RetainerFeeChanged,
    RetainerHoursRecorded,
    RetainerPaused,
    RetainerResumed,
    RetainerStarted,
    RetainerTrialCancelled,
    RetainerTrialConverted,
    RetainerTrialEnded,
    RetainerTrialExtended,
    RetainerTrialStarted,
)
from relationship_core._billing.hours import HoursBank, HoursLot, HoursPolicy
from relationship_core._billing.invoices import (
    INVOICE_TRANSITIONS,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    Payment,
)
from relationship_core._billing.lifecycle import end_retainer_on_lapse, start_retainer_for
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.metrics import (
    MrrMovements,
    annual_recurring_revenue,
    average_revenue_per_account,
    gross_revenue_retention,
    logo_churn_rate,
    monthly_recurring_revenue,
    mrr_by_account,
    mrr_movements,
    net_revenue_retention,
    purchase_revenue,
    purchase_revenue_by_period,
    retainer_mrr,
    revenue_churn_rate,
    revenue_per_account,
)
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import ORDER_TRANSITIONS, Order, OrderStatus, Refund
from relationship_core._billing.proration import (
    ACTUAL_DAYS,
    THIRTY_360,
    Proration,
    ProrationPolicy,
    ProrationRounding,
)
from relationship_core._billing.rates import ExchangeRates
from relationship_core._billing.retainer import (
    BillingTiming,
    FeeChange,
    Pause,
    Retainer,
    RetainerStatus,
    RetainerTerms,
)
from relationship_core._billing.schedule import (
    BillingPeriod,
    BillingSchedule,
    local_billing_date,
    local_midnight,
)
from relationship_core._billing.trials import (
    Trial,
    TrialDocument,
    TrialEnd,
    TrialOutcome,
    TrialPiece,
    TrialState,
)

__all__ = [
    # cycles and schedules
    "BillCycleDaySchedule",
    "BillingCycle",
    "BillingPeriod",
    "BillingSchedule",
    "CycleUnit",
    "local_billing_date",
    "local_midnight",
    "Reanchored",
    "BillingSegment",
    "BillingSegmentKind",
    "clamp_to_month",
    "reanchor",
    # proration
    "ACTUAL_DAYS",
    "THIRTY_360",
    "Proration",
    "ProrationPolicy",
    "ProrationRounding",
    # retainers
    "BillingTiming",
    "FeeChange",
    "HoursBank",
    "HoursLot",
    "HoursPolicy",
    "Pause",
    "Retainer",
    "RetainerStatus",
    "RetainerTerms",
    "AmountCommitment",
    "Trial",
    "TrialDocument",
    "TrialEnd",
    "TrialOutcome",
    "TrialPiece",
    "TrialState",
    "end_retainer_on_lapse",
    "start_retainer_for",
    # orders, invoices, credit notes
    "CreditNote",
    "CreditNoteStatus",
    "INVOICE_TRANSITIONS",
    "Invoice",
    "InvoiceNumberSequence",
    "InvoiceSource",
    "InvoiceStatus",
    "LineItem",
    "LineKind",
    "ORDER_TRANSITIONS",
    "Order",
    "OrderStatus",
    "Payment",
    "Refund",
    # the biller
    "BillingStep",
    "bill_next",
    "bill_retainer",
    "credit_note_for_refund",
    "invoice_for_order",
    "issue_documents",
    "next_billing_date",
    "next_due_period",
    "period_due_on",
    "period_key",
    # metrics
    "ExchangeRates",
    "MrrMovements",
    "annual_recurring_revenue",
    "average_revenue_per_account",
    "gross_revenue_retention",
    "logo_churn_rate",
    "monthly_recurring_revenue",
    "mrr_by_account",
    "mrr_movements",
    "net_revenue_retention",
    "purchase_revenue",
    "purchase_revenue_by_period",
    "retainer_mrr",
    "revenue_churn_rate",
    "revenue_per_account",
    # events
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
