"""The billing kinds: businesses, retainers, invoices, credit notes, orders, number sequences.

The billing feature plugin (`relationship_core._plugins.billing`) contributes
them, with the references between them, to every store `relationship_core.open`
opens; nothing is registered by importing this module.

Every billing record names its business (indexed ``business``), so a run
reads only its own business's records; layout 2 added it (see
`relationship_core._app.business_kinds` for the upgrade). Retainer layout 3
(retainer plan layout 2) added ``terms.bill_cycle_day``; retainer layout 4
(plan layout 3) added ``terms.trial`` and ``terms.commitment`` and, on the
retainer, ``trial`` and ``commitment_settled`` (issue 18: trials, amount
commitments).

The indexed fields are the ones the billing service and a scheduler query:
``retainer.next_billing_date`` lets a daily run load only the retainers due
(``next_billing_date <= today``) instead of every retainer; invoices are found
by party, status, number, dates and source; orders by party, status, team and
invoice; orders and invoices also by currency and total (refunded
for orders), so the analytics summary aggregates them in the database.
"""

from __future__ import annotations

from typing import Any

from relationship_core._app.business_kinds import (
    BUSINESSES,
    with_business,
    with_sequence_business,
)
from relationship_core._app.mapping import KindMapping
from relationship_core._billing.biller import next_billing_date
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.lifecycle import RetainerPlan
from relationship_core._billing.metrics import order_revenue
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import Order
from relationship_core._billing.retainer import Retainer

__all__ = [
    "BILLING_MAPPINGS",
    "CREDIT_NOTES",
    "INVOICES",
    "INVOICE_SEQUENCES",
    "ORDERS",
    "RETAINERS",
    "RETAINER_PLANS",
]


def _terms_with_bill_cycle_day(terms: Any) -> Any:
    if isinstance(terms, dict):
        return {**terms, "bill_cycle_day": terms.get("bill_cycle_day")}
    return terms


def with_bill_cycle_day(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 2 -> 3 of a retainer (1 -> 2 of a plan): terms gain ``bill_cycle_day`` (``None``)."""
    return {**data, "terms": _terms_with_bill_cycle_day(data.get("terms"))}


def _terms_with_trial(terms: Any) -> Any:
    if isinstance(terms, dict):
        return {"trial": None, "commitment": None, **terms}
    return terms


def with_trial(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 3 -> 4 of a retainer: terms gain ``trial``/``commitment``; no trial ran."""
    return {
        "trial": None,
        "commitment_settled": False,
        **data,
        "terms": _terms_with_trial(data.get("terms")),
    }


def with_plan_trial(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 2 -> 3 of a retainer plan: its terms gain ``trial``/``commitment`` (``None``)."""
    return {**data, "terms": _terms_with_trial(data.get("terms"))}


RETAINERS: KindMapping[Retainer] = KindMapping(
    "retainer",
    Retainer,
    schema_version=4,
    upgrades={1: with_business, 2: with_bill_cycle_day, 3: with_trial},
    indexed={
        "business": ("str?", lambda r: r.business),
        "party_id": ("str", lambda r: r.party_id),
        "engagement_id": ("str?", lambda r: r.engagement_id),
        "status": ("str", lambda r: r.status.value),
        "starts_on": ("date", lambda r: r.starts_on),
        "ends_on": ("date?", lambda r: r.ends_on),
        "next_billing_date": ("date?", next_billing_date),
    },
)

INVOICES: KindMapping[Invoice] = KindMapping(
    "invoice",
    Invoice,
    schema_version=2,
    upgrades={1: with_business},
    indexed={
        "business": ("str?", lambda i: i.business),
        "party_id": ("str", lambda i: i.party_id),
        "status": ("str", lambda i: i.status.value),
        "number": ("str?", lambda i: i.number),
        "issued_on": ("date?", lambda i: i.issued_on),
        "due_on": ("date?", lambda i: i.due_on),
        "source_id": ("str?", lambda i: i.source_id),
        # For in-database aggregates (the analytics customer summary):
        "currency": ("str?", lambda i: i.currency.code),
        "total": ("decimal?", lambda i: i.total.amount),
    },
)

CREDIT_NOTES: KindMapping[CreditNote] = KindMapping(
    "credit_note",
    CreditNote,
    schema_version=2,
    upgrades={1: with_business},
    indexed={
        "business": ("str?", lambda n: n.business),
        "party_id": ("str", lambda n: n.party_id),
        "status": ("str", lambda n: n.status.value),
        "number": ("str?", lambda n: n.number),
        "issued_on": ("date?", lambda n: n.issued_on),
        "invoice_id": ("str?", lambda n: n.invoice_id),
        "source_id": ("str?", lambda n: n.source_id),
    },
)


def _revenue(order: Order) -> Any:
    """The order's revenue as a money field (split into ``revenue_amount``/``_currency``)."""
    return order_revenue(order)


ORDERS: KindMapping[Order] = KindMapping(
    "order",
    Order,
    schema_version=2,
    upgrades={1: with_business},
    indexed={
        "business": ("str?", lambda o: o.business),
        "party_id": ("str", lambda o: o.party_id),
        "status": ("str", lambda o: o.status.value),
        "placed_at": ("datetime", lambda o: o.placed_at),
        "team": ("str?", lambda o: o.team),
        "invoice_id": ("str?", lambda o: o.invoice_id),
        # For the revenue report: net of refunds, before tax (revenue_amount / _currency).
        "revenue": ("money", _revenue),
        # For in-database aggregates (the analytics customer summary):
        "currency": ("str?", lambda o: o.currency.code),
        "total": ("decimal?", lambda o: o.total.amount),
        "refunded": ("decimal?", lambda o: o.refunded.amount),
    },
)

INVOICE_SEQUENCES: KindMapping[InvoiceNumberSequence] = KindMapping(
    "invoice_sequence",
    InvoiceNumberSequence,
    schema_version=2,
    upgrades={1: with_sequence_business},
    indexed={"business": ("str?", lambda s: s.business), "prefix": ("str", lambda s: s.prefix)},
)

RETAINER_PLANS: KindMapping[RetainerPlan] = KindMapping(
    "retainer_plan",
    RetainerPlan,
    schema_version=3,
    upgrades={1: with_bill_cycle_day, 2: with_plan_trial},
    indexed={"business": ("str", lambda p: p.business)},
)

#: Every billing mapping, in registration order.
BILLING_MAPPINGS: tuple[KindMapping[Any], ...] = (
    BUSINESSES,
    RETAINERS,
    INVOICES,
    CREDIT_NOTES,
    ORDERS,
    INVOICE_SEQUENCES,
    RETAINER_PLANS,
)
