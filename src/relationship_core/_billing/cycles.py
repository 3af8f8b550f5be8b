"""Billing cycles: how long one billing period is (weekly, monthly, every N months...)."""

from __future__ import annotations

import enum
from datetime import date
from functools import lru_cache
from typing import ClassVar

import attrs
from dateutil.relativedelta import relativedelta

from relationship_core._billing._checks import require_count
from relationship_core._domain.validators import to_enum

__all__ = ["BillingCycle", "CycleUnit"]


class CycleUnit(enum.Enum):
    """The calendar unit a cycle counts in."""

    WEEK = "week"
    MONTH = "month"


@lru_cache(maxsize=65536)
def _boundary(anchor: date, unit: CycleUnit, count: int, k: int) -> date:
    """``anchor + k cycles``, cached: relativedelta arithmetic was 8% of a batched billing run
    (every retainer asks for the same few boundaries, and dates are immutable)."""
    result: date = anchor + _offset(unit, count, k)
    return result


@lru_cache(maxsize=65536)
def _offset(unit: CycleUnit, count: int, k: int) -> relativedelta:
    # Offsets are cached: the biller asks for the same few hundred over and over.
    if unit is CycleUnit.WEEK:
        return relativedelta(weeks=count * k)
    return relativedelta(months=count * k)


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    require_count(attribute.name, value)


def _unit(value: object) -> CycleUnit:
    return to_enum(CycleUnit, "unit", value)


@attrs.frozen
class BillingCycle:
    """The length of one billing period: *count* weeks or *count* months.

    Quarterly is 3 months and yearly is 12 months, so a yearly cycle anchored
    on 29 February lands on 28 February in common years and comes back to the
    29th in leap years.

    Examples:
        >>> from datetime import date
        >>> BillingCycle.quarterly()
        BillingCycle(unit=<CycleUnit.MONTH: 'month'>, count=3)
        >>> BillingCycle.monthly().boundary(date(2024, 1, 31), 1)
        datetime.date(2024, 2, 29)

    Attributes:
        unit: Weeks or months.
        count: How many units one period spans (at least 1).
    """

    unit: CycleUnit = attrs.field(converter=_unit)
    count: int = attrs.field(default=1, validator=_positive)

    MONTHS_PER_YEAR: ClassVar[int] = 12
    WEEKS_PER_YEAR: ClassVar[int] = 52

    @classmethod
    def weekly(cls, weeks: int = 1) -> BillingCycle:
        """Every *weeks* weeks."""
        return cls(CycleUnit.WEEK, weeks)

    @classmethod
    def monthly(cls) -> BillingCycle:
        """Every calendar month."""
        return cls(CycleUnit.MONTH, 1)

    @classmethod
    def quarterly(cls) -> BillingCycle:
        """Every three months."""
        return cls(CycleUnit.MONTH, 3)

    @classmethod
    def yearly(cls) -> BillingCycle:
        """Every twelve months."""
        return cls(CycleUnit.MONTH, 12)

    @classmethod
    def every_months(cls, months: int) -> BillingCycle:
        """Every *months* months (e.g. 6 for half-yearly)."""
        return cls(CycleUnit.MONTH, months)

    def offset(self, k: int) -> relativedelta:
        """The ``relativedelta`` of *k* whole cycles (cached)."""
        return _offset(self.unit, self.count, k)

    def boundary(self, anchor: date, k: int) -> date:
        """The start of period *k*: ``anchor + k cycles``, always from the anchor.

        Never chained from the previous boundary, so a month-end anchor never
        drifts (chaining from 31 January would settle on the 28th or 29th).
        """
        return _boundary(anchor, self.unit, self.count, k)

    @property
    def periods_per_year(self) -> tuple[int, int]:
        """Periods per year as a fraction ``(numerator, denominator)``.

        Monthly cycles give ``(12, count)``; weekly cycles ``(52, count)``
        (a year is taken as 52 weeks, the usual convention for normalising
        weekly fees to months).
        """
        if self.unit is CycleUnit.WEEK:
            return (self.WEEKS_PER_YEAR, self.count)
        return (self.MONTHS_PER_YEAR, self.count)

    def __str__(self) -> str:
        if self.unit is CycleUnit.MONTH:
            names = {1: "monthly", 3: "quarterly", 12: "yearly"}
            return names.get(self.count, f"every {self.count} months")
        return "weekly" if self.count == 1 else f"every {self.count} weeks"
