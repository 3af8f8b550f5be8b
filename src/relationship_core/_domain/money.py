"""Money: an exact ``Decimal`` amount in one ISO 4217 currency."""

from __future__ import annotations

import decimal
import enum
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar, Self

import attrs

from relationship_core._domain.currency import Currency
from relationship_core._domain.validators import items
from relationship_core.exceptions import CurrencyMismatchError, ValidationError

__all__ = [
    "MAX_DECIMAL_PLACES",
    "MAX_INTEGER_DIGITS",
    "MAX_SPLIT_PARTS",
    "WORKING_PRECISION",
    "Money",
    "Rounding",
]

#: Amounts are below 10**18 in size: 18 digits before the point.
MAX_INTEGER_DIGITS = 18
#: And carry at most 28 digits after it (a unit price may hold fractions of a cent).
MAX_DECIMAL_PLACES = 28
#: Significant digits of products and quotients (rates, proration) before they
#: are rounded to `MAX_DECIMAL_PLACES`: Python's default, fixed here so that a
#: caller's global decimal context never changes a result.
WORKING_PRECISION = 28
#: The most parts `Money.split` makes.
MAX_SPLIT_PARTS = 100_000

_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS
_PLACES = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
_WIDE = MAX_INTEGER_DIGITS + MAX_DECIMAL_PLACES + 2  # holds any in-bounds sum exactly
_TRAPS = [decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero]
# Local contexts, never the global one. Sums and differences of in-bounds
# amounts are exact in _EXACT; anything inexact there is a bug, so it traps.
_EXACT = decimal.Context(
    prec=_WIDE, rounding=decimal.ROUND_HALF_EVEN, traps=[*_TRAPS, decimal.Inexact]
)
_ROUNDING = decimal.Context(prec=_WIDE, rounding=decimal.ROUND_HALF_EVEN, traps=_TRAPS)
_WORKING = decimal.Context(prec=WORKING_PRECISION, rounding=decimal.ROUND_HALF_EVEN, traps=_TRAPS)
_BOUNDS = (
    f"amounts must be below 10**{MAX_INTEGER_DIGITS} in size, "
    f"with at most {MAX_DECIMAL_PLACES} decimal places"
)


class Rounding(enum.Enum):
    """Named rounding modes for `Money.round`.

    ``HALF_EVEN`` (banker's rounding) is the default because it does not bias
    long sums upward; ``HALF_UP`` is what most invoices print.
    """

    HALF_EVEN = decimal.ROUND_HALF_EVEN
    HALF_UP = decimal.ROUND_HALF_UP
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    UP = decimal.ROUND_UP
    DOWN = decimal.ROUND_DOWN
    CEILING = decimal.ROUND_CEILING
    FLOOR = decimal.ROUND_FLOOR


_QUANTUM = {units: Decimal(1).scaleb(-units) for units in range(5)}


def _to_amount(value: object) -> Decimal:
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool | float):
        raise ValidationError(
            "amount",
            value,
            "floats are inexact; pass a str or Decimal, or use Money.from_float() on purpose",
        )
    elif isinstance(value, int | str):
        try:
            amount = Decimal(value)
        except decimal.InvalidOperation:
            raise ValidationError("amount", value, "not a decimal number") from None
    else:
        raise ValidationError("amount", value, "expected a str, int or Decimal")
    return _bounded(amount, "amount", value)


def _bounded(amount: Decimal, field: str, value: object) -> Decimal:
    """*amount* if it is within the documented bounds, else `ValidationError` on *value*."""
    if not amount.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    if amount and amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValidationError(field, value, f"too large: {_BOUNDS}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        try:  # trailing zeros are harmless: drop them
            amount = amount.quantize(_PLACES, context=_EXACT)
        except decimal.Inexact:
            raise ValidationError(field, value, f"too many decimal places: {_BOUNDS}") from None
    return amount


def _result(amount: Decimal, operation: str, field: str, value: object) -> Decimal:
    """An arithmetic result brought within bounds: rounded to the places, refused if too large."""
    if amount and amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValidationError(field, value, f"the {operation} is too large: {_BOUNDS}")
    if amount.as_tuple().exponent < -MAX_DECIMAL_PLACES:  # type: ignore[operator]  # finite
        amount = amount.quantize(_PLACES, context=_ROUNDING)
    return amount


def _operand(field: str, value: Decimal | int) -> Decimal | int:
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    return value


def _to_currency(value: object) -> Currency:
    if isinstance(value, Currency):
        return value
    return Currency.of(value)  # type: ignore[arg-type]  # Currency.of validates the type


@attrs.frozen(repr=False, order=False)
class Money:
    """An exact amount of one currency.

    Amounts are ``Decimal`` and keep the precision they are given (a unit
    price may carry fractions of a cent); `round` brings them to the
    currency's minor units. Arithmetic across currencies raises
    `CurrencyMismatchError`.

    Examples:
        >>> Money("19.99", "USD") + Money("0.01", "USD")
        Money('20.00', 'USD')
        >>> sum([Money("1.10", "EUR"), Money("2.20", "EUR")])
        Money('3.30', 'EUR')

    Attributes:
        amount: The exact amount.
        currency: The ISO 4217 currency.
    """

    amount: Decimal = attrs.field(converter=_to_amount)
    currency: Currency = attrs.field(converter=_to_currency)

    #: Amounts are below 10 ** MAX_INTEGER_DIGITS in size.
    MAX_INTEGER_DIGITS: ClassVar[int] = MAX_INTEGER_DIGITS
    #: And carry at most this many decimal places.
    MAX_DECIMAL_PLACES: ClassVar[int] = MAX_DECIMAL_PLACES
    #: Significant digits of products and quotients before they are rounded.
    WORKING_PRECISION: ClassVar[int] = WORKING_PRECISION

    # -- construction -----------------------------------------------------
    @classmethod
    def _make(cls, amount: Decimal, currency: Currency) -> Money:
        """Build without conversion, for computed amounts; only the size is checked."""
        if not amount.is_finite() or (amount and amount.adjusted() >= MAX_INTEGER_DIGITS):
            raise ValidationError("amount", amount, f"out of bounds: {_BOUNDS}")
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def from_float(cls, value: float, currency: str | Currency) -> Money:
        """Make money from a float through its shortest ``repr`` (``0.1`` → ``0.1``).

        Use it only at the edge of the system, where floats arrive from
        elsewhere; keep amounts as ``Decimal`` or ``str`` inside.
        """
        if not isinstance(value, float | int) or isinstance(value, bool):
            raise ValidationError("amount", value, "from_float expects a float")
        return cls(Decimal(repr(float(value))), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str | Currency) -> Money:
        """Make money from an integer count of minor units (cents for USD)."""
        if not isinstance(units, int) or isinstance(units, bool):
            raise ValidationError("units", units, "expected an integer count of minor units")
        cur = Currency.of(currency)
        if abs(units) >= _LIMIT.scaleb(cur.minor_units):
            raise ValidationError("units", units, f"too large: {_BOUNDS}")
        return cls._make(Decimal(units).scaleb(-cur.minor_units, context=_EXACT), cur)

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        """Zero in *currency*."""
        cur = Currency.of(currency)
        return cls._make(_QUANTUM[cur.minor_units] * 0, cur)

    # -- views ------------------------------------------------------------
    @property
    def minor_units(self) -> int:
        """The amount in minor units; the amount must already be rounded."""
        self._require_rounded("minor_units")
        return int(self.amount.scaleb(self.currency.minor_units, context=_EXACT))

    @property
    def is_rounded(self) -> bool:
        """Whether the amount has no digits beyond the currency's minor units."""
        quantum = _QUANTUM[self.currency.minor_units]
        return self.amount == self.amount.quantize(
            quantum, rounding=decimal.ROUND_DOWN, context=_ROUNDING
        )

    def round(self, rounding: Rounding = Rounding.HALF_EVEN) -> Money:
        """Round to the currency's minor units with a named rounding mode."""
        if not isinstance(rounding, Rounding):
            choices = ", ".join(f"Rounding.{r.name}" for r in Rounding)
            raise ValidationError("rounding", rounding, f"expected one of {choices}")
        quantum = _QUANTUM[self.currency.minor_units]
        rounded = self.amount.quantize(quantum, rounding=rounding.value, context=_ROUNDING)
        return Money._make(_result(rounded, "rounded amount", "amount", self.amount), self.currency)

    # -- allocation -------------------------------------------------------
    def allocate(self, ratios: Sequence[int | Decimal | str]) -> tuple[Money, ...]:
        """Split into parts proportional to *ratios* that sum exactly to this amount.

        Leftover minor units go to the parts with the largest remainders
        (ties to the earlier part), so no cent is created or lost.

        Examples:
            >>> Money("100.00", "USD").allocate([1, 1, 1])
            (Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD'))
        """
        given = items("ratios", ratios)
        if len(given) > MAX_SPLIT_PARTS:
            raise ValidationError("ratios", len(given), f"at most {MAX_SPLIT_PARTS} parts")
        weights = [_ratio(r, i) for i, r in enumerate(given)]
        if not weights:
            raise ValidationError("ratios", given, "need at least one ratio")
        total = sum(weights, Decimal(0))
        if total <= 0:
            raise ValidationError("ratios", given, "ratios must sum to more than zero")
        self._require_rounded("allocate")
        whole = self.minor_units
        sign = -1 if whole < 0 else 1
        whole = abs(whole)
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            exact = [Decimal(whole) * w / total for w in weights]
        floors = [int(x) for x in exact]
        leftover = whole - sum(floors)
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:leftover]:
            floors[i] += 1
        return tuple(Money.from_minor(sign * part, self.currency) for part in floors)

    def split(self, parts: int) -> tuple[Money, ...]:
        """Split into *parts* near-equal amounts that sum exactly to this one."""
        if (
            not isinstance(parts, int)
            or isinstance(parts, bool)
            or not 1 <= parts <= MAX_SPLIT_PARTS
        ):
            raise ValidationError(
                "parts", parts, f"must be a whole number from 1 to {MAX_SPLIT_PARTS}"
            )
        return self.allocate([1] * parts)

    # -- arithmetic -------------------------------------------------------
    def _same(self, other: Money, operation: str) -> None:
        if other.currency.code != self.currency.code:
            raise CurrencyMismatchError(self.currency.code, other.currency.code, operation)

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "add")
            return self._exact(_EXACT.add, other, "sum")
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self  # sum() starts from 0
        return self.__add__(other)

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "subtract")
            return self._exact(_EXACT.subtract, other, "difference")
        return NotImplemented

    def _exact(self, op: Any, other: Money, what: str) -> Money:
        try:
            amount = op(self.amount, other.amount)
        except decimal.DecimalException:  # only an amount built past the bounds gets here
            raise ValidationError(
                "amount", other.amount, f"the {what} is not exact: {_BOUNDS}"
            ) from None
        return Money._make(_result(amount, what, "amount", amount), self.currency)

    def _working(self, op: Any, operand: Decimal | int, what: str) -> Money:
        field = "factor" if what == "product" else "divisor"
        try:
            amount = op(self.amount, operand)
        except decimal.DecimalException:
            raise ValidationError(field, operand, f"the {what} overflows: {_BOUNDS}") from None
        return Money._make(_result(amount, what, field, operand), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Decimal | int) and not isinstance(factor, bool):
            return self._working(_WORKING.multiply, _operand("factor", factor), "product")
        if isinstance(factor, float):
            raise ValidationError("factor", factor, "floats are inexact; multiply by a Decimal")
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, Decimal | int) and not isinstance(divisor, bool):
            _operand("divisor", divisor)
            if divisor == 0:
                raise ValidationError("divisor", divisor, "cannot divide money by zero")
            return self._working(_WORKING.divide, divisor, "quotient")
        if isinstance(divisor, float):
            raise ValidationError("divisor", divisor, "floats are inexact; divide by a Decimal")
        return NotImplemented

    def __neg__(self) -> Money:
        return Money._make(self.amount.copy_negate(), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._make(self.amount.copy_abs(), self.currency)

    def __bool__(self) -> bool:
        return bool(self.amount)

    def _compare(self, other: object) -> Decimal | None:
        if isinstance(other, Money):
            self._same(other, "compare")
            return other.amount
        return None

    def __lt__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount < amount

    def __le__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount <= amount

    def __gt__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount > amount

    def __ge__(self, other: object) -> bool:
        amount = self._compare(other)
        return NotImplemented if amount is None else self.amount >= amount

    # -- text ---------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency.code}')"

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency.code}"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        try:
            text = format(self.amount, spec)
        except (ValueError, TypeError):
            raise ValidationError(
                "format_spec", spec, "not a decimal format, e.g. ',.2f'"
            ) from None
        return f"{text} {self.currency.code}"

    def _require_rounded(self, operation: str) -> None:
        if not self.is_rounded:
            raise ValidationError(
                "amount",
                self.amount,
                f"{operation} needs an amount in whole {self.currency.code} minor units; "
                "call .round() first",
            )

    # -- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, str]:
        """``{"amount": "19.99", "currency": "USD"}``: exact and JSON-safe."""
        return {"amount": str(self.amount), "currency": self.currency.code}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of `to_dict`."""
        try:
            return cls(data["amount"], data["currency"])
        except (KeyError, TypeError):
            raise ValidationError(
                "money", data, "expected a mapping with 'amount' and 'currency'"
            ) from None


def _ratio(value: object, index: int) -> Decimal:
    try:
        ratio = _to_amount(value)
    except ValidationError as exc:
        raise ValidationError(f"ratios[{index}]", value, exc.reason) from None
    if ratio < 0:
        raise ValidationError(f"ratios[{index}]", value, "ratios cannot be negative")
    return ratio
