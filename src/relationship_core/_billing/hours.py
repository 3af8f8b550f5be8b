"""Included hours: a bank of hour lots that roll over under a cap and expire.

Each billing period grants its included hours as a *lot*. Hours worked are
taken from the oldest lot first; what is left at the end of a period rolls
over, but only up to the cap (the oldest hours are dropped first) and only for
a set number of periods. Hours beyond the bank are overage, billed at the
overage rate.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from relationship_core._billing._checks import (
    require_count,
    require_decimal,
    require_non_negative_money,
)
from relationship_core._domain.money import Money
from relationship_core.exceptions import ValidationError

__all__ = ["HoursBank", "HoursLot", "HoursPolicy"]

_ZERO = Decimal(0)


def _included(value: object) -> Decimal:
    return require_decimal("included", value, minimum=_ZERO)


def _cap(value: object) -> Decimal:
    return require_decimal("rollover_cap", value, minimum=_ZERO)


def _lot_hours(value: object) -> Decimal:
    return require_decimal("hours", value, minimum=_ZERO)


@attrs.frozen
class HoursPolicy:
    """How many hours a retainer includes and what happens to the rest.

    Attributes:
        included: Hours granted each period.
        overage_rate: Price of one hour beyond the bank.
        rollover_cap: Most hours that may be carried into a period (0: no rollover).
        expire_after: Periods an unused lot may roll over before it expires
            (0: hours are lost at the end of the period they were granted for).
    """

    included: Decimal = attrs.field(converter=_included)
    overage_rate: Money = attrs.field(
        validator=lambda _i, a, v: require_non_negative_money(a.name, v)
    )
    rollover_cap: Decimal = attrs.field(default=_ZERO, converter=_cap)
    expire_after: int = attrs.field(
        default=0, validator=lambda _i, a, v: require_count(a.name, v, minimum=0)
    )


@attrs.frozen
class HoursLot:
    """Hours granted for one period that are still unused.

    Attributes:
        granted_in: Index of the period that granted them.
        hours: Hours left.
    """

    granted_in: int
    hours: Decimal = attrs.field(converter=_lot_hours)


@attrs.frozen
class HoursBank:
    """Unused hours, oldest lot first, as of the open period.

    Examples:
        >>> from relationship_core import Money
        >>> policy = HoursPolicy("10", Money("90.00", "EUR"), rollover_cap="8", expire_after=2)
        >>> bank = HoursBank().open(0, policy)
        >>> bank, over = bank.consume(Decimal("4"))      # 6 left from period 0
        >>> bank = bank.open(1, policy)                  # 6 carried + 10 new
        >>> bank.available, over
        (Decimal('16'), Decimal('0'))
        >>> bank, over = bank.consume(Decimal("18"))     # oldest first, 2 h overage
        >>> bank.available, over
        (Decimal('0'), Decimal('2'))

    Attributes:
        period: Index of the open period (``None`` before the first).
        lots: Unused lots, oldest first.
    """

    period: int | None = None
    lots: tuple[HoursLot, ...] = ()

    @property
    def available(self) -> Decimal:
        """Hours that can still be used in the open period."""
        return sum((lot.hours for lot in self.lots), _ZERO)

    def open(
        self, period: int, policy: HoursPolicy, *, no_grant: frozenset[int] = frozenset()
    ) -> HoursBank:
        """Move to *period*: expire old lots, cap the carry-over, grant the new lot.

        Periods in between are opened one by one, so their grants roll over
        too; periods in *no_grant* (e.g. paused throughout) grant nothing but
        still age the older lots.
        """
        if self.period is not None and period < self.period:
            raise ValidationError(
                "period",
                period,
                f"the bank is already at period {self.period}; hours cannot go back",
            )
        if self.period == period:
            return self
        first = period if self.period is None else self.period + 1
        lots = list(self.lots)
        for k in range(first, period + 1):
            lots = [
                lot for lot in lots if lot.hours > 0 and k - lot.granted_in <= policy.expire_after
            ]
            excess = sum((lot.hours for lot in lots), _ZERO) - policy.rollover_cap
            while excess > 0 and lots:  # drop the oldest hours first
                oldest = lots[0]
                if oldest.hours <= excess:
                    excess -= oldest.hours
                    lots.pop(0)
                else:
                    lots[0] = HoursLot(oldest.granted_in, oldest.hours - excess)
                    excess = _ZERO
            if policy.included > 0 and k not in no_grant:
                lots.append(HoursLot(k, policy.included))
        return HoursBank(period, tuple(lots))

    def consume(self, hours: Decimal) -> tuple[HoursBank, Decimal]:
        """Use *hours*, oldest lot first; return the new bank and the overage hours."""
        wanted = require_decimal("hours", hours, minimum=_ZERO)
        lots: list[HoursLot] = []
        for lot in self.lots:
            take = min(lot.hours, wanted)
            wanted -= take
            if lot.hours - take > 0:
                lots.append(HoursLot(lot.granted_in, lot.hours - take))
        return HoursBank(self.period, tuple(lots)), wanted
