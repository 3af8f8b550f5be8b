"""Billing schedules: the periods a cycle and an anchor cut the calendar into."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs

from relationship_core._billing.cycles import BillingCycle, CycleUnit
from relationship_core._domain.timeutil import require_aware, require_date, to_zone
from relationship_core.exceptions import ValidationError

__all__ = ["BillingPeriod", "BillingSchedule", "local_billing_date", "local_midnight"]


def local_billing_date(instant: datetime, zone: ZoneInfo | str) -> date:
    """The calendar date *instant* falls on in the account's time zone.

    Billing works on local dates: a period that starts on 1 March starts at
    local midnight of 1 March, whatever the UTC offset that day.

    Examples:
        >>> from datetime import UTC, datetime
        >>> local_billing_date(datetime(2024, 3, 1, 3, 30, tzinfo=UTC), "America/New_York")
        datetime.date(2024, 2, 29)

    Raises:
        ValidationError: *instant* is naive or *zone* is not an IANA zone.
    """
    aware = require_aware("instant", instant)
    return aware.astimezone(to_zone("time_zone", zone)).date()


def local_midnight(day: date, zone: ZoneInfo | str) -> datetime:
    """The instant local *day* begins in *zone*: where a period starting on *day* starts.

    Across a DST change two period starts are not a whole number of 24-hour
    days apart; that is why billing works on local dates.

    Examples:
        >>> from datetime import date
        >>> local_midnight(date(2026, 3, 29), "Europe/London").isoformat()
        '2026-03-29T00:00:00+00:00'
        >>> local_midnight(date(2026, 3, 30), "Europe/London").isoformat()
        '2026-03-30T00:00:00+01:00'
    """
    require_date("day", day)
    return datetime(day.year, day.month, day.day, tzinfo=to_zone("time_zone", zone))


@attrs.frozen(order=True)
class BillingPeriod:
    """One billing period: the local dates ``[start, end)``.

    Attributes:
        index: Its number counted from the anchor (period 0 starts on the anchor;
            periods before the anchor have negative indexes).
        start: The first local day of the period.
        end: The first local day of the next period (exclusive).
    """

    index: int
    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


@attrs.frozen
class BillingSchedule:
    """A cycle and an anchor: period *k* is ``[anchor + k cycles, anchor + (k+1) cycles)``.

    Examples:
        >>> from datetime import date
        >>> s = BillingSchedule(BillingCycle.monthly(), date(2023, 1, 31))
        >>> for period in s.periods(0, 3):
        ...     print(period.start)
        2023-01-31
        2023-02-28
        2023-03-31

    Attributes:
        cycle: How long each period is.
        anchor: The date period 0 starts on; every boundary derives from it.
    """

    cycle: BillingCycle
    anchor: date = attrs.field()

    @anchor.validator
    def _check_anchor(self, attribute: attrs.Attribute[date], value: date) -> None:
        require_date("anchor", value)

    def boundary(self, k: int) -> date:
        """The start of period *k*."""
        return self.cycle.boundary(self.anchor, k)

    def period(self, k: int) -> BillingPeriod:
        """Period *k*."""
        return BillingPeriod(k, self.boundary(k), self.boundary(k + 1))

    def index_of(self, day: date) -> int:
        """The index of the period containing *day*."""
        require_date("day", day)
        cycle = self.cycle
        if cycle.unit is CycleUnit.WEEK:
            return (day - self.anchor).days // (7 * cycle.count)
        months = (day.year - self.anchor.year) * 12 + (day.month - self.anchor.month)
        k = months // cycle.count
        # The estimate is off by at most one because a boundary's day of month
        # can be clipped (31 -> 30, 29 -> 28).
        while self.boundary(k) > day:
            k -= 1
        while self.boundary(k + 1) <= day:
            k += 1
        return k

    def period_of(self, day: date) -> BillingPeriod:
        """The period containing *day*."""
        return self.period(self.index_of(day))

    def periods(self, first: int, count: int) -> Iterator[BillingPeriod]:
        """*count* consecutive periods starting with period *first*."""
        if count < 0:
            raise ValidationError("count", count, "cannot be negative")
        start = self.boundary(first)
        for k in range(first, first + count):
            end = self.boundary(k + 1)
            yield BillingPeriod(k, start, end)
            start = end

    def periods_between(self, start: date, end: date) -> Iterator[BillingPeriod]:
        """The periods that overlap the local dates ``[start, end)``, in order.

        Raises:
            ValidationError: *end* is before *start*.
        """
        require_date("start", start)
        require_date("end", end)
        if end < start:
            raise ValidationError("end", end, f"must not be before start={start.isoformat()}")
        if end == start:
            return
        k = self.index_of(start)
        while True:
            period = self.period(k)
            if period.start >= end:
                return
            yield period
            k += 1
