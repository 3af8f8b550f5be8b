"""The weighted pipeline of a period: sum of amount * probability of open deals, per currency."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware, require_date, to_zone
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core.exceptions import ValidationError

__all__ = [
    "GROUPINGS",
    "ForecastRow",
    "Period",
    "PipelineForecast",
    "currency_totals",
    "weighted_pipeline",
]

R = TypeVar("R")


def currency_totals(rows: Iterable[R]) -> dict[str, R]:
    """One row per currency over every group: counts and amounts added, never across currencies.

    *rows* are attrs rows with ``group``, ``currency``, ``count``, ``weighted``
    and ``unweighted`` (the forecast's and the report's).
    """
    out: dict[str, Any] = {}
    for row in rows:
        line: Any = row
        seen = out.get(line.currency)
        out[line.currency] = (
            attrs.evolve(line, group=())
            if seen is None
            else attrs.evolve(
                seen,
                count=seen.count + line.count,
                weighted=seen.weighted + line.weighted,
                unweighted=seen.unweighted + line.unweighted,
            )
        )
    return out


#: What a forecast can be grouped by.
GROUPINGS = ("pipeline", "stage", "owner", "forecast_category")


def _local_today(now: datetime, tz: ZoneInfo | str) -> date:
    return require_aware("now", now).astimezone(to_zone("tz", tz)).date()


@attrs.frozen
class Period:
    """A span of local days, both ends included.

    Examples:
        >>> from datetime import datetime, UTC
        >>> Period.next_quarter(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "Europe/Paris")
        Period(start=datetime.date(2026, 7, 1), end=datetime.date(2026, 9, 30))

        (Half past eleven UTC on 31 March is already April in Paris.)

    Attributes:
        start: The first day.
        end: The last day.
    """

    start: date = attrs.field(validator=lambda _i, a, v: require_date(a.name, v))
    end: date = attrs.field(validator=lambda _i, a, v: require_date(a.name, v))

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError("end", self.end, f"is before start ({self.start.isoformat()})")

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        """An explicit range of days, both included."""
        return cls(start, end)

    @classmethod
    def _quarter(cls, today: date, offset: int) -> Period:
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) + relativedelta(
            months=3 * offset
        )
        return cls(first, first + relativedelta(months=3, days=-1))

    @classmethod
    def this_quarter(cls, now: datetime, tz: ZoneInfo | str) -> Period:
        """The calendar quarter *now* falls in, in zone *tz*."""
        return cls._quarter(_local_today(now, tz), 0)

    @classmethod
    def next_quarter(cls, now: datetime, tz: ZoneInfo | str) -> Period:
        """The calendar quarter after the one *now* falls in, in zone *tz*."""
        return cls._quarter(_local_today(now, tz), 1)

    @classmethod
    def this_month(cls, now: datetime, tz: ZoneInfo | str) -> Period:
        """The calendar month *now* falls in, in zone *tz*."""
        first = _local_today(now, tz).replace(day=1)
        return cls(first, first + relativedelta(months=1, days=-1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@attrs.frozen(kw_only=True)
class ForecastRow:
    """One group of one currency.

    Attributes:
        group: The values of the grouping fields, in the order asked for.
        currency: The ISO code; currencies are never added together.
        weighted: sum of amount * probability (exact).
        unweighted: sum of amount.
        count: How many deals.
    """

    group: tuple[str, ...]
    currency: str
    weighted: Money
    unweighted: Money
    count: int


@attrs.frozen(kw_only=True)
class PipelineForecast:
    """The weighted pipeline of a period.

    Attributes:
        period: The days whose expected closes count.
        by: The grouping fields.
        rows: One per group and currency, sorted.
    """

    period: Period
    by: tuple[str, ...]
    rows: tuple[ForecastRow, ...]

    def totals(self) -> dict[str, ForecastRow]:
        """One row per currency, over every group."""
        return currency_totals(self.rows)


def _group_value(deal: Opportunity, field: str) -> str:
    if field == "pipeline":
        return deal.pipeline.name
    if field == "forecast_category":
        return deal.forecast_category.value
    value: str = getattr(deal, field)
    return value


def weighted_pipeline(
    opportunities: Iterable[Opportunity], period: Period, *, by: Sequence[str] = ()
) -> PipelineForecast:
    """Sum amount * probability over the open deals expected to close in *period*.

    Per currency, never converting; a deal at probability 0 adds 0 to the
    weighted sum but its amount to the unweighted one. Closed deals are
    left out (they are revenue or nothing, not pipeline).

    Raises:
        ValidationError: *by* names something other than `GROUPINGS`.
    """
    if not isinstance(period, Period):
        raise ValidationError(
            "period", period, "expected a Period, e.g. Period.next_quarter(now, tz)"
        )
    fields = tuple(by) if not isinstance(by, str) else (by,)
    for field in fields:
        if field not in GROUPINGS:
            raise ValidationError("by", field, f"expected some of {', '.join(GROUPINGS)}")
    sums: dict[tuple[tuple[str, ...], str], tuple[Money, Money, int]] = {}
    for deal in opportunities:
        if deal.is_closed or deal.expected_close not in period:
            continue
        key = (tuple(_group_value(deal, f) for f in fields), deal.amount.currency.code)
        weighted, unweighted, count = sums.get(
            key, (Money.zero(deal.amount.currency), Money.zero(deal.amount.currency), 0)
        )
        sums[key] = (weighted + deal.weighted_amount, unweighted + deal.amount, count + 1)
    rows = tuple(
        ForecastRow(group=group, currency=currency, weighted=w, unweighted=u, count=n)
        for (group, currency), (w, u, n) in sorted(sums.items())
    )
    return PipelineForecast(period=period, by=fields, rows=rows)
