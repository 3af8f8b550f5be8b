"""Per-purchase orders: line items, totals, and progress as a transition table."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from relationship_core._billing._checks import require_count, require_money, require_text
from relationship_core._billing.events import (
    OrderAssigned,
    OrderCancelled,
    OrderFulfilled,
    OrderInvoiced,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStarted,
)
from relationship_core._billing.lines import LineItem, LineKind, LineTotals
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.currency import Currency
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = ["ORDER_TRANSITIONS", "Order", "OrderStatus", "Refund"]


class OrderStatus(enum.Enum):
    """Where an order is."""

    PLACED = "placed"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    INVOICED = "invoiced"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


_S = OrderStatus

#: The order state machine as data: the moves allowed from each state.
#: (``ASSIGNED -> ASSIGNED`` hands the order to another team.)
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.PLACED: frozenset({_S.ASSIGNED, _S.CANCELLED}),
    _S.ASSIGNED: frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.CANCELLED}),
    _S.IN_PROGRESS: frozenset({_S.FULFILLED, _S.CANCELLED}),
    _S.FULFILLED: frozenset({_S.INVOICED}),
    _S.INVOICED: frozenset({_S.PAID}),
    _S.PAID: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED}),
    _S.REFUNDED: frozenset(),
    _S.CANCELLED: frozenset(),
}

_ORDER = list(OrderStatus)


@attrs.frozen
class Refund:
    """Money returned to the customer for an order.

    Attributes:
        id: The refund's id (e.g. the payment provider's).
        amount: How much (positive, whole minor units).
        refunded_at: When (aware).
        reason: Why.
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    amount: Money = attrs.field(validator=lambda _i, a, v: require_money(a.name, v))
    refunded_at: datetime = attrs.field(validator=lambda _i, a, v: require_aware(a.name, v))
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        if self.amount.amount <= 0 or not self.amount.is_rounded:
            raise ValidationError("amount", self.amount, "must be positive, in whole minor units")


@attrs.define
class Order(LineTotals, EventRecorder):
    """A customer's purchase: placed, assigned to a team, worked, fulfilled, invoiced, paid.

    Examples:
        >>> from datetime import datetime, UTC
        >>> from relationship_core import Money
        >>> at = datetime(2026, 3, 2, 9, tzinfo=UTC)
        >>> order = Order.place("O1", "P1", (LineItem("Cake", 2, Money("12.50", "EUR")),), at)
        >>> order.fulfil(at)
        Traceback (most recent call last):
        ...
        relationship_core.exceptions.InvalidTransitionError: order cannot move from 'placed' to 'fulfilled'; allowed moves: assigned, cancelled

    Attributes:
        id: The order's id.
        party_id: The customer.
        placed_at: When it was placed (aware).
        currency: Its currency.
        lines: The line items (products or services).
        status: Where it is.
        team: The fulfilment team, once assigned.
        invoice_id: Its invoice, once invoiced.
        refunds: Refunds made, oldest first.
        fulfilled_at: When it was fulfilled.
        business: The key of the business that sells it.
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    party_id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    placed_at: datetime = attrs.field(validator=lambda _i, a, v: require_aware(a.name, v))
    currency: Currency
    lines: tuple[LineItem, ...]
    status: OrderStatus = OrderStatus.PLACED
    team: str | None = None
    invoice_id: str | None = None
    refunds: tuple[Refund, ...] = ()
    fulfilled_at: datetime | None = None
    business: str = DEFAULT_BUSINESS
    payment_terms_days: int = attrs.field(
        default=0, validator=lambda _i, a, v: require_count(a.name, v, minimum=0)
    )
    _events: list[DomainEvent] = events_field()

    @classmethod
    def place(
        cls,
        id: str,
        party_id: str,
        lines: tuple[LineItem, ...] | list[LineItem],
        at: datetime,
        *,
        business: str = DEFAULT_BUSINESS,
        payment_terms_days: int = 0,
    ) -> Order:
        """Place an order of products and services (at least one line, one currency).

        *payment_terms_days* are agreed now: its invoice falls due that many
        days after it is issued, whoever issues it.
        """
        require_aware("placed_at", at)
        items = tuple(lines)
        if not items:
            raise ValidationError("lines", lines, "an order needs at least one line")
        currency: Currency | None = None
        for i, line in enumerate(items):
            if not isinstance(line, LineItem):
                raise ValidationError(f"lines[{i}]", line, "expected a LineItem")
            if line.kind not in (LineKind.PRODUCT, LineKind.SERVICE):
                raise ValidationError(
                    f"lines[{i}].kind", line.kind.value, "order lines are products or services"
                )
            if currency is None:
                currency = line.currency
            elif line.currency != currency:
                raise ValidationError(
                    f"lines[{i}].unit_price", line.unit_price, f"expected {currency.code}"
                )
        assert currency is not None  # noqa: S101 - items is not empty
        order = cls(
            id=id,
            party_id=party_id,
            placed_at=at,
            currency=currency,
            lines=items,
            business=business,
            payment_terms_days=payment_terms_days,
        )
        order._record(
            OrderPlaced(aggregate_id=id, occurred_at=at, party_id=party_id, total=order.total)
        )
        return order

    # -- totals ------------------------------------------------------------------------

    @property
    def refunded(self) -> Money:
        """Total refunded so far."""
        return sum((r.amount for r in self.refunds), Money.zero(self.currency))

    # -- state machine -----------------------------------------------------------------
    def allowed_moves(self) -> tuple[OrderStatus, ...]:
        """The states this order may move to now."""
        return tuple(s for s in _ORDER if s in ORDER_TRANSITIONS[self.status])

    def _move(self, to: OrderStatus) -> None:
        if to not in ORDER_TRANSITIONS[self.status]:
            raise InvalidTransitionError(
                "order", self.status.value, to.value, [s.value for s in self.allowed_moves()]
            )
        self.status = to

    def assign(self, team: str, at: datetime) -> None:
        """Hand the order to fulfilment *team* (again, to reassign)."""
        require_aware("at", at)
        require_text("team", team)
        self._move(OrderStatus.ASSIGNED)
        self.team = team
        self._record(
            OrderAssigned(aggregate_id=self.id, occurred_at=at, party_id=self.party_id, team=team)
        )

    def start_work(self, at: datetime) -> None:
        """The team started on it."""
        require_aware("at", at)
        self._move(OrderStatus.IN_PROGRESS)
        self._record(OrderStarted(aggregate_id=self.id, occurred_at=at, party_id=self.party_id))

    def fulfil(self, at: datetime) -> None:
        """Delivered; it can now be invoiced."""
        require_aware("at", at)
        self._move(OrderStatus.FULFILLED)
        self.fulfilled_at = at
        self._record(
            OrderFulfilled(
                aggregate_id=self.id, occurred_at=at, party_id=self.party_id, total=self.total
            )
        )

    def mark_invoiced(self, invoice_id: str, at: datetime) -> None:
        """Record the invoice made for it."""
        require_aware("at", at)
        require_text("invoice_id", invoice_id)
        self._move(OrderStatus.INVOICED)
        self.invoice_id = invoice_id
        self._record(
            OrderInvoiced(
                aggregate_id=self.id, occurred_at=at, party_id=self.party_id, invoice_id=invoice_id
            )
        )

    def mark_paid(self, at: datetime) -> None:
        """Its invoice was paid in full."""
        require_aware("at", at)
        self._move(OrderStatus.PAID)
        self._record(OrderPaid(aggregate_id=self.id, occurred_at=at, party_id=self.party_id))

    def cancel(self, reason: str, at: datetime) -> None:
        """Cancel before fulfilment."""
        require_aware("at", at)
        self._move(OrderStatus.CANCELLED)
        self._record(
            OrderCancelled(
                aggregate_id=self.id, occurred_at=at, party_id=self.party_id, reason=reason
            )
        )

    def refund(self, refund: Refund) -> None:
        """Refund part or all of a paid order; more than what is left is refused."""
        if not isinstance(refund, Refund):
            raise ValidationError("refund", refund, "expected a Refund")
        if OrderStatus.REFUNDED not in ORDER_TRANSITIONS[self.status]:
            self._move(OrderStatus.REFUNDED)  # raises, naming the allowed moves
        require_money("refund.amount", refund.amount, self.currency)
        if any(r.id == refund.id for r in self.refunds):
            raise ValidationError("refund.id", refund.id, "this refund was already recorded")
        left = self.total - self.refunded
        if refund.amount > left:
            raise ValidationError("refund.amount", refund.amount, f"exceeds what is left, {left}")
        full = refund.amount == left
        self._move(OrderStatus.REFUNDED if full else OrderStatus.PARTIALLY_REFUNDED)
        self.refunds = (*self.refunds, refund)
        self._record(
            OrderRefunded(
                aggregate_id=self.id,
                occurred_at=refund.refunded_at,
                party_id=self.party_id,
                amount=refund.amount,
                full=full,
            )
        )
