"""Proration: which share of a period's fee a part of the period carries.

Every policy is a *measure* on the days of a period: ``units(day)`` counts the
policy's billing units from the period start up to (not including) *day*. The
fee earned up to *day* is ``round(fee * units(day) / units(end))`` and a piece
``[a, b)`` costs ``earned(b) - earned(a)``. Because pieces are differences of
one rounded running total, the pieces of a period always add up to the fee
exactly, however many cuts (pauses, fee changes, cancellation) it has, and a
piece priced in January still matches when the rest is priced in February.
"""

from __future__ import annotations

import decimal
import enum
import itertools
from collections.abc import Sequence
from datetime import date

import attrs

from relationship_core._billing._checks import require_count
from relationship_core._billing.cycles import BillingCycle, CycleUnit
from relationship_core._billing.schedule import BillingPeriod
from relationship_core._domain.money import _QUANTUM, Money
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import ValidationError

__all__ = ["ACTUAL_DAYS", "THIRTY_360", "Proration", "ProrationPolicy", "ProrationRounding"]


class ProrationPolicy(enum.Enum):
    """The named proration bases."""

    ACTUAL_DAYS = "actual_days"
    THIRTY_360 = "thirty_360"
    FIXED_DAYS_PER_MONTH = "fixed_days_per_month"


class ProrationRounding(enum.Enum):
    """How a piece of a period is rounded to the currency's minor unit.

    ``RUNNING_TOTAL`` (the default, and what retainers use): a piece ``[a, b)``
    is ``earned(b) - earned(a)``, each ``earned`` rounded half-even, so the
    pieces of a period always sum to the fee exactly. ``PER_PIECE``: the
    piece is priced directly, ``round_half_up(fee * units(a..b) / units)``,
    as Kill Bill does; pieces of one period can miss the fee by a cent.
    """

    RUNNING_TOTAL = "running_total"
    PER_PIECE = "per_piece"


def _thirty_360(day: date) -> int:
    # 30/360: every month has 30 days; the 31st weighs nothing (it counts like the next 1st).
    return day.year * 360 + (day.month - 1) * 30 + min(day.day - 1, 30)


def _to_policy(value: object) -> ProrationPolicy:
    return to_enum(ProrationPolicy, "policy", value)


def _days_per_month(instance: Proration, attribute: attrs.Attribute[int], value: int) -> None:
    require_count(attribute.name, value, minimum=28)
    if value > 31:
        raise ValidationError(attribute.name, value, "must be between 28 and 31")


@attrs.frozen
class Proration:
    """A named proration policy (plus its parameter for fixed days per month).

    The examples below price a monthly fee of 310.00 for the period
    15 January - 15 February 2026 (31 days) for a client who starts on
    1 February.

    **ACTUAL_DAYS** - each calendar day of the enclosing period weighs the
    same: 14 of 31 days.

    Examples:
        >>> from datetime import date
        >>> from relationship_core import Money
        >>> from relationship_core._billing.cycles import BillingCycle
        >>> from relationship_core._billing.schedule import BillingSchedule
        >>> monthly = BillingCycle.monthly()
        >>> period = BillingSchedule(monthly, date(2026, 1, 15)).period(0)
        >>> fee, start = Money("310.00", "USD"), date(2026, 2, 1)
        >>> ACTUAL_DAYS.piece(fee, monthly, period, start, period.end)
        Money('140.00', 'USD')

    **THIRTY_360** (30E/360) - every month counts as 30 days and the 31st
    weighs nothing (February's last day carries the missing days; when a
    period ends after a 31st, that 31st carries the 30th's unit instead):
    1-15 February is 14 of 30 units.

    Examples:
        >>> THIRTY_360.piece(fee, monthly, period, start, period.end)
        Money('144.67', 'USD')

    **FIXED_DAYS_PER_MONTH** (e.g. 30) - a day costs ``fee / (30 * months)``,
    counted from the period start; in a longer period the last day carries
    the last unit and the day before it is free (the 30th of a 31-day
    month), and in a shorter period the last day carries
    the missing days (3 at the end of a 28-day February). Weekly cycles use
    actual days. 15-31 January uses 17 days, so 13 of 30 remain.

    Examples:
        >>> Proration.fixed_days_per_month(30).piece(fee, monthly, period, start, period.end)
        Money('134.33', 'USD')

    Attributes:
        policy: Which basis.
        days_per_month: Days in a month for ``FIXED_DAYS_PER_MONTH`` (28-31).
    """

    policy: ProrationPolicy = attrs.field(converter=_to_policy)
    days_per_month: int = attrs.field(default=30, validator=_days_per_month)

    @classmethod
    def fixed_days_per_month(cls, days: int = 30) -> Proration:
        """The fixed-days-per-month policy with *days* days in every month."""
        return cls(ProrationPolicy.FIXED_DAYS_PER_MONTH, days)

    # -- measure ------------------------------------------------------------
    def total_units(self, cycle: BillingCycle, period: BillingPeriod) -> int:
        """The units in the whole *period* under this policy."""
        return self._raw_units(cycle, period, period.end)

    def units(self, cycle: BillingCycle, period: BillingPeriod, day: date) -> int:
        """Units from the start of *period* up to (not including) *day*.

        The last day of a period always carries at least one unit, so a
        service that starts on it is billed: where the basis would make it
        free (the 31st under 30/360, the 61st day of a two-month period at 30
        days per month), the day before it becomes the free one instead.
        """
        if not period.start <= day <= period.end:
            raise ValidationError(
                "day",
                day,
                f"must lie within the period {period.start.isoformat()}..{period.end.isoformat()}",
            )
        if day == period.end:
            return self._raw_units(cycle, period, day)
        return min(self._raw_units(cycle, period, day), self.total_units(cycle, period) - 1)

    def _raw_units(self, cycle: BillingCycle, period: BillingPeriod, day: date) -> int:
        policy = self.policy
        if policy is ProrationPolicy.ACTUAL_DAYS:
            return (day - period.start).days
        if policy is ProrationPolicy.THIRTY_360:
            return _thirty_360(day) - _thirty_360(period.start)
        if cycle.unit is CycleUnit.WEEK:
            return (day - period.start).days
        whole = self.days_per_month * cycle.count
        if day == period.end:
            return whole
        return min((day - period.start).days, whole)

    # -- money ----------------------------------------------------------------
    def earned(self, fee: Money, cycle: BillingCycle, period: BillingPeriod, day: date) -> Money:
        """The share of *fee* earned from the period start up to *day*, rounded.

        It is ``0`` at the period start and exactly *fee* at its end.
        """
        if day == period.end:
            return fee
        if day == period.start:
            return Money._make(_QUANTUM[fee.currency.minor_units] * 0, fee.currency)
        total = self.total_units(cycle, period)
        part = self.units(cycle, period, day)
        quantum = _QUANTUM[fee.currency.minor_units]
        with decimal.localcontext() as ctx:
            ctx.prec = 50
            exact = fee.amount * part / total
        return Money._make(exact.quantize(quantum, rounding=decimal.ROUND_HALF_EVEN), fee.currency)

    def piece(
        self,
        fee: Money,
        cycle: BillingCycle,
        period: BillingPeriod,
        start: date,
        end: date,
        *,
        rounding: ProrationRounding = ProrationRounding.RUNNING_TOTAL,
    ) -> Money:
        """The share of *fee* for the days ``[start, end)`` of *period*.

        *rounding* picks `ProrationRounding`: 49.95 a month, a 30-day April,
        a start on the 4th is 44.95 by the running total and 44.96 per piece.

        Examples:
            >>> from datetime import date
            >>> from relationship_core import Money
            >>> from relationship_core._billing.cycles import BillingCycle
            >>> from relationship_core._billing.schedule import BillingSchedule
            >>> monthly = BillingCycle.monthly()
            >>> april = BillingSchedule(monthly, date(2026, 4, 1)).period(0)
            >>> fee, start = Money("49.95", "USD"), date(2026, 4, 4)
            >>> ACTUAL_DAYS.piece(fee, monthly, april, start, april.end)
            Money('44.95', 'USD')
            >>> ACTUAL_DAYS.piece(fee, monthly, april, start, april.end,
            ...                   rounding=ProrationRounding.PER_PIECE)
            Money('44.96', 'USD')
        """
        if end < start:
            raise ValidationError("end", end, f"must not be before start={start.isoformat()}")
        rounding = to_enum(ProrationRounding, "rounding", rounding)
        if rounding is ProrationRounding.PER_PIECE:
            return self._direct(fee, cycle, period, start, end)
        return self.earned(fee, cycle, period, end) - self.earned(fee, cycle, period, start)

    def _direct(
        self, fee: Money, cycle: BillingCycle, period: BillingPeriod, start: date, end: date
    ) -> Money:
        total = self.total_units(cycle, period)
        part = self.units(cycle, period, end) - self.units(cycle, period, start)
        quantum = _QUANTUM[fee.currency.minor_units]
        with decimal.localcontext() as ctx:
            ctx.prec = 50
            exact = fee.amount * part / total
        return Money._make(exact.quantize(quantum, rounding=decimal.ROUND_HALF_UP), fee.currency)

    def split(
        self, fee: Money, cycle: BillingCycle, period: BillingPeriod, cuts: Sequence[date]
    ) -> tuple[Money, ...]:
        """Cut *period* at the dates *cuts* and price each piece; the pieces sum to *fee*.

        Examples:
            >>> from datetime import date
            >>> from relationship_core import Money
            >>> from relationship_core._billing.cycles import BillingCycle
            >>> from relationship_core._billing.schedule import BillingSchedule
            >>> feb = BillingSchedule(BillingCycle.monthly(), date(2024, 2, 1)).period(0)
            >>> ACTUAL_DAYS.split(Money("100.00", "EUR"), BillingCycle.monthly(), feb,
            ...                   [date(2024, 2, 11), date(2024, 2, 21)])
            (Money('34.48', 'EUR'), Money('34.49', 'EUR'), Money('31.03', 'EUR'))
        """
        points = [period.start, *sorted(cuts), period.end]
        earned = [self.earned(fee, cycle, period, d) for d in points]
        return tuple(b - a for a, b in itertools.pairwise(earned))

    def __str__(self) -> str:
        if self.policy is ProrationPolicy.FIXED_DAYS_PER_MONTH:
            return f"fixed {self.days_per_month} days per month"
        return {ProrationPolicy.ACTUAL_DAYS: "actual days", ProrationPolicy.THIRTY_360: "30/360"}[
            self.policy
        ]


#: Each calendar day of the enclosing period weighs the same.
ACTUAL_DAYS = Proration(ProrationPolicy.ACTUAL_DAYS)
#: 30E/360: every month counts as 30 days.
THIRTY_360 = Proration(ProrationPolicy.THIRTY_360)
