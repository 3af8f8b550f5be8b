"""Line items shared by orders, invoices and credit notes, with exact per-line rounding."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any, cast

import attrs

from relationship_core._billing._checks import require_decimal, require_money, require_text
from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money, Rounding
from relationship_core._domain.timeutil import require_date
from relationship_core._domain.validators import optional_text, to_enum
from relationship_core.exceptions import ValidationError

__all__ = ["LineItem", "LineKind", "sum_lines"]

_ZERO = Decimal(0)
_ONE = Decimal(1)


class LineKind(enum.Enum):
    """What a line charges for."""

    PRODUCT = "product"
    SERVICE = "service"
    RETAINER_FEE = "retainer_fee"
    PRORATION = "proration"
    CREDIT = "credit"
    TRUE_UP = "true_up"
    OVERAGE = "overage"
    TRIAL = "trial"


def _to_kind(value: object) -> LineKind:
    return to_enum(LineKind, "kind", value)


def _quantity(value: object) -> Decimal:
    return require_decimal("quantity", value)


def _rate(value: object) -> Decimal:
    return require_decimal("tax_rate", value, minimum=_ZERO, maximum=_ONE)


def _optional_date(
    instance: object, attribute: attrs.Attribute[date | None], value: object
) -> None:
    if value is not None:
        require_date(attribute.name, value)


@attrs.frozen
class LineItem:
    """One line: *quantity* x *unit_price* less *discount*, plus tax at *tax_rate*.

    Each line is rounded on its own (half up, to the currency's minor units):
    ``net = round(quantity * unit_price - discount)``, ``tax = round(net * tax_rate)``,
    ``total = net + tax``. A document's totals are sums of rounded lines, so
    what is printed always adds up.

    Examples:
        >>> from relationship_core import Money
        >>> line = LineItem("Croissant", 3, Money("1.15", "EUR"), tax_rate="0.055")
        >>> line.net, line.tax, line.total
        (Money('3.45', 'EUR'), Money('0.19', 'EUR'), Money('3.64', 'EUR'))

    A ``CREDIT`` line carries a negative unit price; other kinds may not.

    Attributes:
        description: What is charged, as printed.
        quantity: How many units (positive; may be fractional, e.g. hours).
        unit_price: Price of one unit, before discount and tax (may have
            more digits than the currency's minor units).
        kind: What the line charges for.
        discount: Amount taken off the line before tax (0 up to the gross).
        tax_rate: Tax as a fraction, e.g. ``Decimal("0.20")`` for 20%.
        period_start: First day of the service period, for retainer lines.
        period_end: Day after the service period, for retainer lines.
        reference: Product or service code, if any.
    """

    description: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    quantity: Decimal = attrs.field(converter=_quantity)
    unit_price: Money = attrs.field(validator=lambda _i, a, v: require_money(a.name, v))
    kind: LineKind = attrs.field(default=LineKind.SERVICE, converter=_to_kind)
    discount: Money | None = attrs.field(default=None)
    tax_rate: Decimal = attrs.field(default=_ZERO, converter=_rate)
    period_start: date | None = attrs.field(default=None, validator=_optional_date)
    period_end: date | None = attrs.field(default=None, validator=_optional_date)
    reference: str | None = attrs.field(default=None, validator=optional_text)

    def __attrs_post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValidationError("quantity", self.quantity, "must be more than zero")
        try:  # checked here once, so the amounts below never leave Money's bounds
            gross = self.unit_price * self.quantity
        except ValidationError as exc:
            raise ValidationError("quantity", self.quantity, exc.reason) from None
        negative = self.unit_price.amount < 0
        if negative != (self.kind is LineKind.CREDIT) and self.unit_price.amount != 0:
            raise ValidationError(
                "unit_price",
                self.unit_price,
                "credit lines need a negative unit price and other lines a non-negative one",
            )
        if self.discount is not None:
            discount = require_money("discount", self.discount, self.unit_price.currency)
            if discount.amount < 0:
                raise ValidationError("discount", discount, "cannot be negative")
            if discount.amount > abs(gross.amount):
                raise ValidationError("discount", discount, "cannot exceed quantity x unit_price")
        if (self.period_start is None) != (self.period_end is None) or (
            self.period_start is not None
            and self.period_end is not None
            and self.period_end < self.period_start
        ):
            raise ValidationError(
                "period_end",
                self.period_end,
                "give both period dates, the end not before the start",
            )

    @classmethod
    def _trusted(
        cls,
        description: str,
        unit_price: Money,
        kind: LineKind,
        tax_rate: Decimal,
        *,
        period_start: date | None = None,
        period_end: date | None = None,
        quantity: Decimal = _ONE,
    ) -> LineItem:
        """Build without validation, for values the biller has already checked."""
        line = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(line, "description", description)
        setattr_(line, "quantity", quantity)
        setattr_(line, "unit_price", unit_price)
        setattr_(line, "kind", kind)
        setattr_(line, "discount", None)
        setattr_(line, "tax_rate", tax_rate)
        setattr_(line, "period_start", period_start)
        setattr_(line, "period_end", period_end)
        setattr_(line, "reference", None)
        return line

    @property
    def currency(self) -> Currency:
        """The line's currency."""
        return self.unit_price.currency

    @property
    def gross(self) -> Money:
        """``quantity * unit_price`` at Money's working precision (not rounded)."""
        return self.unit_price * self.quantity

    @property
    def net(self) -> Money:
        """After discount, before tax, rounded half up."""
        amount = self.gross
        if self.discount is not None:
            amount -= self.discount
        return amount.round(Rounding.HALF_UP)

    @property
    def tax(self) -> Money:
        """Tax on the net amount, rounded half up."""
        return _tax(self.net, self.tax_rate)

    @property
    def total(self) -> Money:
        """Net plus tax."""
        net = self.net
        return net + _tax(net, self.tax_rate)

    def as_credit(self, description: str | None = None) -> LineItem:
        """A credit line for this line's net amount, at the same tax rate.

        Half-up rounding is symmetric, so the credit's tax is exactly minus
        this line's tax.
        """
        net = self.net
        return attrs.evolve(
            self,
            description=description or f"Credit: {self.description}",
            quantity=_ONE,
            unit_price=-net,
            kind=LineKind.CREDIT,
            discount=None,
        )


def _tax(net: Money, rate: Decimal) -> Money:
    return (net * rate).round(Rounding.HALF_UP)


def sum_lines(lines: tuple[LineItem, ...], currency: Currency) -> tuple[Money, Money, Money]:
    """``(subtotal, tax, total)`` of *lines*: sums of the rounded per-line amounts.

    Money's arithmetic, so a sum past its bounds is a `ValidationError`.
    """
    net = tax = Money.zero(currency)
    for line in lines:
        line_net = line.net
        net += line_net
        tax += _tax(line_net, line.tax_rate)
    return net, tax, net + tax


#: What a document caches its sums as: the lines and currency summed, and the sums.
LineSums = tuple[tuple[LineItem, ...], Currency, tuple[Money, Money, Money]]

_UNCACHED = object()  # what a document class without the ``_sums`` field reads as


def totals_field() -> Any:
    """The attrs field a `LineTotals` document caches its sums in (not stored, compared, shown)."""
    return attrs.field(default=None, init=False, repr=False, eq=False)


class LineTotals:
    """Mixin: ``subtotal``, ``tax`` and ``total`` of a document's ``lines`` in its ``currency``.

    Totals are sums of the rounded per-line amounts, so what the document
    prints line by line always adds up to what it asks for.

    A document declaring ``_sums: ... = totals_field()`` computes them once
    per ``lines`` tuple: issuing, the event, the indexed ``total`` and the
    balance all ask for them, and summing the lines cost a tenth of a batched
    billing run. The cache holds the very ``lines`` and ``currency`` objects
    it summed (both immutable), so assigning new lines recomputes.
    """

    __slots__ = ()
    lines: tuple[LineItem, ...]
    currency: Currency

    def _line_sums(self) -> tuple[Money, Money, Money]:
        lines, currency = self.lines, self.currency
        found = getattr(self, "_sums", _UNCACHED)
        if found is _UNCACHED:  # a document without the field (an order): summed every time
            return sum_lines(lines, currency)
        cached = cast("LineSums | None", found)
        if cached is not None and cached[0] is lines and cached[1] is currency:
            return cached[2]
        sums = sum_lines(lines, currency)
        object.__setattr__(self, "_sums", (lines, currency, sums))
        return sums

    @property
    def subtotal(self) -> Money:
        """Sum of the lines' net amounts (after discounts, before tax)."""
        return self._line_sums()[0]

    @property
    def tax(self) -> Money:
        """Sum of the lines' rounded taxes."""
        return self._line_sums()[1]

    @property
    def total(self) -> Money:
        """Subtotal plus tax."""
        return self._line_sums()[2]
