"""The billing policies, as event handlers run inside the unit of work of the change.

The billing feature plugin contributes them (``relationship_core_event_handlers``):

* ``billing.start-retainer-on-promotion``: a promotion starts the retainer
  its `RetainerPlan` holds (the terms `BillingService.promote` wrote);
* ``billing.end-retainers-on-lapse``: a lapse ends the engagement's open retainers;
* ``billing.order-paid``: an order's invoice paid in full marks the order paid;
* ``billing.invoice-on-fulfilment``: a fulfilled order gets its invoice, issued
  on the business's date and numbered from its sequence. On by default;
  ``open(url, config={"billing": {"invoice_on_fulfilment": False}})`` switches
  it off (the run's order pass, or `BillingService.invoice_order`, then
  invoices fulfilled orders).

Every handler is idempotent: an event handled again (a replay) finds its work
done (the retainer started, the order invoiced or paid) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from relationship_core._app.billing.context import invoice_numbers
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.biller import invoice_for_order
from relationship_core._billing.events import InvoicePaid, OrderFulfilled
from relationship_core._billing.invoices import Invoice, InvoiceSource
from relationship_core._billing.lifecycle import (
    RetainerPlan,
    end_retainer_on_lapse,
    start_retainer_for,
)
from relationship_core._billing.orders import Order, OrderStatus
from relationship_core._billing.retainer import Retainer, RetainerStatus
from relationship_core._domain.business import DEFAULT_BUSINESS, Business, NumberingScheme
from relationship_core._domain.engagements import ClientLapsed, CustomerPromoted, Engagement
from relationship_core._domain.events import DomainEvent
from relationship_core._plugins.specs import EventHandlerSpec
from relationship_core.exceptions import ValidationError

__all__ = [
    "BILLING_HANDLERS",
    "end_retainers_on_lapse",
    "invoice_on_fulfilment",
    "mark_order_paid",
    "start_retainer_on_promotion",
]

#: The setting of the ``billing`` feature that switches `invoice_on_fulfilment`.
INVOICE_ON_FULFILMENT = "invoice_on_fulfilment"

E = TypeVar("E", bound=DomainEvent)


def start_retainer_on_promotion(event: CustomerPromoted, uow: UnitOfWork) -> None:
    """Start the retainer the engagement's plan holds, once."""
    plan = uow.repository(RetainerPlan).find(event.aggregate_id)
    if plan is None or plan.terms is None or plan.retainer_id is None:
        return  # promoted without billing terms, or started already
    retainers = uow.repository(Retainer)
    if retainers.find(plan.retainer_id) is None:
        engagement: Engagement = uow.engagements.get(event.aggregate_id)
        retainers.add(
            start_retainer_for(
                engagement,
                plan.terms,
                event.occurred_at,
                retainer_id=plan.retainer_id,
                business=plan.business,
            )
        )
    plan.terms = None


def end_retainers_on_lapse(event: ClientLapsed, uow: UnitOfWork) -> None:
    """End every open retainer of the lapsed engagement (as its plan says: now or at period end)."""
    plan = uow.repository(RetainerPlan).find(event.aggregate_id)
    immediately = plan is not None and plan.end_immediately
    for retainer in uow.repository(Retainer).iterate(engagement_id=event.aggregate_id):
        if retainer.status is not RetainerStatus.CANCELLED:
            end_retainer_on_lapse(retainer, event, immediately=immediately)
    if plan is not None:
        plan.end_immediately = False


def mark_order_paid(event: InvoicePaid, uow: UnitOfWork) -> None:
    """An order's invoice was paid in full: the order is paid."""
    invoice = uow.repository(Invoice).find(event.aggregate_id)
    if invoice is None or invoice.source is not InvoiceSource.ORDER or invoice.source_id is None:
        return
    order = uow.repository(Order).find(invoice.source_id)
    if order is not None and order.status is OrderStatus.INVOICED:
        order.mark_paid(event.occurred_at)


def _business_of(uow: UnitOfWork, order: Order) -> Business:
    """The order's stored business; the default one is stored on first use, as by the service."""
    businesses = uow.repository(Business)
    found = businesses.find(order.business)
    if found is not None:
        return found
    if (
        order.business == DEFAULT_BUSINESS
    ):  # an order of pure-domain code: what BillingService(crm) stores
        return businesses.add(
            Business.create(DEFAULT_BUSINESS, numbering=NumberingScheme.with_prefixes())
        )
    raise ValidationError(
        "order.business",
        order.business,
        "no such business is stored, so the order cannot be numbered; create it first "
        "(BillingService(crm, business=...)) or switch invoicing on fulfilment off "
        '(open(url, config={"billing": {"invoice_on_fulfilment": False}}))',
    )


def invoice_on_fulfilment(event: OrderFulfilled, uow: UnitOfWork) -> None:
    """Issue a fulfilled order's invoice, unless switched off or invoiced already."""
    if not uow.config("billing").get(INVOICE_ON_FULFILMENT, True):
        return
    order = uow.repository(Order).get(event.aggregate_id)
    if order.invoice_id is not None or order.status is not OrderStatus.FULFILLED:
        return  # a replay: invoiced (or further) already
    business = _business_of(uow, order)
    at = event.occurred_at
    invoice = invoice_for_order(order, at)
    invoice.issue(invoice_numbers(uow, business), at.astimezone(business.time_zone).date(), at)
    uow.add(invoice)


def _spec(name: str, cls: type[E], react: Callable[[E, UnitOfWork], None]) -> EventHandlerSpec:
    """*react* to events of *cls*, as the bus calls handlers (with any `DomainEvent`)."""

    def handle(event: DomainEvent, uow: UnitOfWork) -> None:
        if isinstance(event, cls):  # the bus dispatches by name; the class is what we read
            react(event, uow)

    handle.__name__ = handle.__qualname__ = react.__name__
    handle.__doc__ = react.__doc__
    return EventHandlerSpec(name, cls.name, handle)


#: Every billing handler, in the order they are registered.
BILLING_HANDLERS: tuple[EventHandlerSpec, ...] = (
    _spec("billing.start-retainer-on-promotion", CustomerPromoted, start_retainer_on_promotion),
    _spec("billing.end-retainers-on-lapse", ClientLapsed, end_retainers_on_lapse),
    _spec("billing.order-paid", InvoicePaid, mark_order_paid),
    _spec("billing.invoice-on-fulfilment", OrderFulfilled, invoice_on_fulfilment),
)
