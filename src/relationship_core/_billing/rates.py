"""Exchange rates the caller supplies, by date, for revenue in a reporting currency.

Nothing here fetches a rate: the table holds exactly what it was given,
``(date, from, to) -> Decimal``. A lookup takes the **latest rate on or
before** the date asked for (a rate published on Friday holds over the
weekend); a pair with no rate on or before that date is a `ValidationError`
naming the pair and the date. Only the direction given is used - an inverse
rate is a different published number, so ``USD -> EUR`` is not derived from
``EUR -> USD``. Rates are decimals; floats are refused.

`ExchangeRates.convert` multiplies and rounds to the target currency's minor
unit (half even by default), so revenue converted document by document is a
sum of whole cents.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from relationship_core._billing._checks import require_decimal, require_money
from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money, Rounding
from relationship_core._domain.timeutil import require_date
from relationship_core.exceptions import ValidationError

__all__ = ["ExchangeRates", "RateKey", "require_rates"]

_ZERO = Decimal(0)

#: A rate's key: the first day it holds, the currency code converted from, the one converted to.
RateKey = tuple[date, str, str]


def _pair(field: str, source: object, target: object) -> tuple[Currency, Currency]:
    try:
        a = Currency.of(source)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError(f"{field}.from", source, exc.reason) from None
    try:
        b = Currency.of(target)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValidationError(f"{field}.to", target, exc.reason) from None
    return a, b


class ExchangeRates:
    """A table of dated rates: ``(date, from, to) -> rate``; lookups take the latest on or before.

    Build it from a mapping or from ``(date, from, to, rate)`` rows; rates
    are ``Decimal``, ``str`` or ``int`` (not floats) and more than zero.

    Examples:
        >>> from datetime import date
        >>> from relationship_core import Money
        >>> rates = ExchangeRates({(date(2026, 1, 1), "USD", "EUR"): "0.9"})
        >>> rates.rate("USD", "EUR", date(2026, 1, 31))
        Decimal('0.9')
        >>> rates.convert(Money("10.05", "USD"), "EUR", date(2026, 2, 1))
        Money('9.04', 'EUR')
    """

    __slots__ = ("_table",)

    def __init__(
        self,
        rates: Mapping[RateKey, Decimal | str | int]
        | Iterable[tuple[date, str | Currency, str | Currency, Decimal | str | int]] = (),
    ) -> None:
        rows: Iterable[tuple[object, object, object, object]]
        if isinstance(rates, Mapping):
            rows = []
            for key, value in rates.items():
                if not isinstance(key, tuple) or len(key) != 3:
                    raise ValidationError("rates", key, "expected keys (date, from, to)")
                rows.append((*key, value))
        elif isinstance(rates, str | bytes) or not isinstance(rates, Iterable):
            raise ValidationError(
                "rates",
                rates,
                "expected a mapping {(date, from, to): rate} or (date, from, to, rate) rows",
            )
        else:
            rows = rates
        table: dict[tuple[str, str], dict[date, Decimal]] = {}
        for i, row in enumerate(rows):
            field = f"rates[{i}]"
            if not isinstance(row, tuple) or len(row) != 4:
                raise ValidationError(field, row, "expected (date, from, to, rate)")
            on, source, target, value = row
            day = require_date(f"{field}.date", on)
            a, b = _pair(field, source, target)
            if a == b:
                raise ValidationError(
                    f"{field}.to", b.code, "a currency converts to itself at 1; leave it out"
                )
            rate = require_decimal(f"{field}.rate", value)
            if rate <= _ZERO:
                raise ValidationError(f"{field}.rate", value, "must be more than zero")
            table.setdefault((a.code, b.code), {})[day] = rate
        self._table: dict[tuple[str, str], tuple[tuple[date, ...], tuple[Decimal, ...]]] = {
            pair: (tuple(sorted(found)), tuple(found[d] for d in sorted(found)))
            for pair, found in table.items()
        }

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        """The ``(from, to)`` currency codes the table has rates for."""
        return frozenset(self._table)

    def rate(self, source: str | Currency, target: str | Currency, on: date) -> Decimal:
        """The rate from *source* to *target* in force on *on* (1 for the same currency).

        Raises:
            ValidationError: No rate for the pair on or before *on* (``field``
                is ``"rates"``, ``value`` names the pair and the date).
        """
        day = require_date("on", on)
        a, b = _pair("rates", source, target)
        if a == b:
            return Decimal(1)
        found = self._table.get((a.code, b.code))
        wanted = f"{a.code}->{b.code} on {day.isoformat()}"
        if found is None:
            raise ValidationError("rates", wanted, f"no {a.code}->{b.code} rate was supplied")
        days, values = found
        i = bisect.bisect_right(days, day)
        if i == 0:
            raise ValidationError(
                "rates",
                wanted,
                f"no {a.code}->{b.code} rate on or before {day.isoformat()} "
                f"(the first is on {days[0].isoformat()})",
            )
        return values[i - 1]

    def convert(
        self,
        money: Money,
        target: str | Currency,
        on: date,
        rounding: Rounding = Rounding.HALF_EVEN,
    ) -> Money:
        """*money* in *target* at *on*'s rate, rounded to *target*'s minor unit."""
        amount = require_money("money", money)
        to = Currency.of(target)
        if amount.currency == to:
            return amount
        rate = self.rate(amount.currency, to, on)
        return Money(amount.amount * rate, to).round(rounding)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExchangeRates) and self._table == other._table

    def __hash__(self) -> int:
        return hash(frozenset(self._table.items()))

    def __repr__(self) -> str:
        count = sum(len(days) for days, _ in self._table.values())
        return f"ExchangeRates({count} rates, pairs={sorted(self._table)})"


def require_rates(value: object) -> ExchangeRates | None:
    """``None`` or an `ExchangeRates`; anything else is a `ValidationError` on ``rates``."""
    if value is not None and not isinstance(value, ExchangeRates):
        raise ValidationError("rates", value, "expected ExchangeRates (or None)")
    return value
