"""Money: an exact ``Decimal`` amount in one ISO 4217 currency."""

from __future__ import annotations

import decimal
import enum
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Self

import attrs

from relationship_core._domain.currency import Currency
from relationship_core.exceptions import CurrencyMismatchError, ValidationError

__all__ = ["Money", "Rounding"]


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
    if not amount.is_finite():
        raise ValidationError("amount", value, "must be a finite number")
    return amount


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

    # -- construction -----------------------------------------------------
    @classmethod
    def _make(cls, amount: Decimal, currency: Currency) -> Money:
        """Build without validation; for amounts already known to be good."""
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
        return cls._make(Decimal(units).scaleb(-cur.minor_units), cur)

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
        return int(self.amount.scaleb(self.currency.minor_units))

    @property
    def is_rounded(self) -> bool:
        """Whether the amount has no digits beyond the currency's minor units."""
        quantum = _QUANTUM[self.currency.minor_units]
        return self.amount == self.amount.quantize(quantum, rounding=decimal.ROUND_DOWN)

    def round(self, rounding: Rounding = Rounding.HALF_EVEN) -> Money:
        """Round to the currency's minor units with a named rounding mode."""
        quantum = _QUANTUM[self.currency.minor_units]
        return Money._make(self.amount.quantize(quantum, rounding=rounding.value), self.currency)

    # -- allocation -------------------------------------------------------
    def allocate(self, ratios: Sequence[int | Decimal | str]) -> tuple[Money, ...]:
        """Split into parts proportional to *ratios* that sum exactly to this amount.

        Leftover minor units go to the parts with the largest remainders
        (ties to the earlier part), so no cent is created or lost.

        Examples:
            >>> Money("100.00", "USD").allocate([1, 1, 1])
            (Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD'))
        """
        weights = [_ratio(r, i) for i, r in enumerate(ratios)]
        if not weights:
            raise ValidationError("ratios", list(ratios), "need at least one ratio")
        total = sum(weights, Decimal(0))
        if total <= 0:
            raise ValidationError("ratios", list(ratios), "ratios must sum to more than zero")
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
        if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
            raise ValidationError("parts", parts, "must be a whole number of at least 1")
        return self.allocate([1] * parts)

    # -- arithmetic -------------------------------------------------------
    def _same(self, other: Money, operation: str) -> None:
        if other.currency.code != self.currency.code:
            raise CurrencyMismatchError(self.currency.code, other.currency.code, operation)

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "add")
            return Money._make(self.amount + other.amount, self.currency)
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self  # sum() starts from 0
        return self.__add__(other)

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "subtract")
            return Money._make(self.amount - other.amount, self.currency)
        return NotImplemented

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Decimal | int) and not isinstance(factor, bool):
            return Money._make(self.amount * factor, self.currency)
        if isinstance(factor, float):
            raise ValidationError("factor", factor, "floats are inexact; multiply by a Decimal")
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, Decimal | int) and not isinstance(divisor, bool):
            if divisor == 0:
                raise ValidationError("divisor", divisor, "cannot divide money by zero")
            return Money._make(self.amount / divisor, self.currency)
        if isinstance(divisor, float):
            raise ValidationError("divisor", divisor, "floats are inexact; divide by a Decimal")
        return NotImplemented

    def __neg__(self) -> Money:
        return Money._make(-self.amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._make(abs(self.amount), self.currency)

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
        return f"{format(self.amount, spec)} {self.currency.code}"

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
