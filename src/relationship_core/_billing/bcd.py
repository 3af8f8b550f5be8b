"""Bill-cycle days: monthly schedules set by a day number, and re-anchoring with a bridge.

A `BillingSchedule` takes an anchor *date* and counts every boundary from it;
a `BillCycleDaySchedule` takes a bill-cycle *day* (1-31) instead: every
period starts on that day of the month, and 29, 30 and 31 clamp to the last
day of a shorter month (February included) and come back in the next long
month. The two differ only when the day is past the anchor's month length:
an anchor of 30 April counts 30 May, a bill-cycle day of 31 counts 31 May.

`reanchor` moves a schedule to a new bill-cycle day from a given date: the
periods before it stand, a **bridge** runs from that date to the first new
bill-cycle day after it, and the new day's periods follow. The bridge is
priced as a share of the new schedule's period that holds it
(`Reanchored.bridge_fee`).
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterator
from datetime import date

import attrs

from relationship_core._billing._checks import require_instance
from relationship_core._billing.cycles import BillingCycle, CycleUnit
from relationship_core._billing.proration import (
    ACTUAL_DAYS,
    Proration,
    ProrationRounding,
)
from relationship_core._billing.schedule import BillingPeriod, BillingSchedule
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_date
from relationship_core.exceptions import ValidationError

__all__ = [
    "BillCycleDaySchedule",
    "Schedule",
    "check_bill_cycle_day",
    "Reanchored",
    "BillingSegment",
    "BillingSegmentKind",
    "clamp_to_month",
    "reanchor",
]


def clamp_to_month(year: int, month: int, day: int) -> date:
    """The date *day* of *month*, or the month's last day when the month is shorter.

    Examples:
        >>> clamp_to_month(2025, 2, 31), clamp_to_month(2024, 2, 30), clamp_to_month(2024, 4, 15)
        (datetime.date(2025, 2, 28), datetime.date(2024, 2, 29), datetime.date(2024, 4, 15))
    """
    _require_int("year", year, 1, 9999)
    _require_int("month", month, 1, 12)
    _require_day(day)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _require_int(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, value, f"must be an int from {low} to {high}")
    return value


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _require_day(value: object, field: str = "day") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 31:
        raise ValidationError(field, value, "a bill-cycle day must be an int from 1 to 31")
    return value


def check_bill_cycle_day(
    instance: object, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    """attrs validator: *value* is ``None`` or a bill-cycle day, on a monthly cycle."""
    if value is None:
        return
    _require_day(value, "bill_cycle_day")
    cycle = getattr(instance, "cycle", None)
    if isinstance(cycle, BillingCycle) and cycle.unit is not CycleUnit.MONTH:
        raise ValidationError("bill_cycle_day", value, "a bill-cycle day needs a cycle in months")


@attrs.frozen
class BillCycleDaySchedule:
    """A monthly cycle whose periods start on bill-cycle day *day* of the month.

    Period 0 is the period that holds *start*: it begins on the last
    bill-cycle date on or before *start*, so a service starting on the 4th
    with a bill-cycle day of 1 has a leading piece ``[4th, 1st)`` of period 0.
    The interface matches `BillingSchedule` (``boundary``, ``period``,
    ``index_of``, ``period_of``, ``periods``, ``periods_between``).

    Examples:
        >>> from datetime import date
        >>> s = BillCycleDaySchedule(BillingCycle.monthly(), 31, date(2025, 1, 31))
        >>> [p.start.isoformat() for p in s.periods(0, 4)]
        ['2025-01-31', '2025-02-28', '2025-03-31', '2025-04-30']

    Attributes:
        cycle: A monthly cycle (every *count* months); weekly cycles have no
            day of the month.
        day: The bill-cycle day, 1-31.
        start: A date period 0 holds (the service start, say).
    """

    cycle: BillingCycle = attrs.field()
    day: int = attrs.field(converter=_require_day)
    start: date = attrs.field()

    @cycle.validator
    def _check_cycle(self, attribute: attrs.Attribute[BillingCycle], value: BillingCycle) -> None:
        require_instance("cycle", value, BillingCycle)
        if value.unit is not CycleUnit.MONTH:
            raise ValidationError("cycle", value, "a bill-cycle day needs a cycle in months")

    @start.validator
    def _check_start(self, attribute: attrs.Attribute[date], value: date) -> None:
        require_date("start", value)

    @property
    def _base(self) -> int:
        # The month number of boundary 0: start's month, or the one before when
        # start comes before that month's (clamped) bill-cycle date.
        months = _month_number(self.start)
        if clamp_to_month(self.start.year, self.start.month, self.day) > self.start:
            months -= self.cycle.count
        return months

    @property
    def anchor(self) -> date:
        """The start of period 0 (the anchor date this day number implies)."""
        return self.boundary(0)

    def boundary(self, k: int) -> date:
        """The start of period *k*: the bill-cycle day of its month, clamped."""
        year, month0 = divmod(self._base + k * self.cycle.count, 12)
        return clamp_to_month(year, month0 + 1, self.day)

    def period(self, k: int) -> BillingPeriod:
        """Period *k*."""
        return BillingPeriod(k, self.boundary(k), self.boundary(k + 1))

    def index_of(self, day: date) -> int:
        """The index of the period containing *day*."""
        require_date("day", day)
        k = (_month_number(day) - self._base) // self.cycle.count
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
        for k in range(first, first + count):
            yield self.period(k)

    def periods_between(self, start: date, end: date) -> Iterator[BillingPeriod]:
        """The periods that overlap the local dates ``[start, end)``, in order."""
        require_date("start", start)
        require_date("end", end)
        if end < start:
            raise ValidationError("end", end, f"must not be before start={start.isoformat()}")
        if end == start:
            return
        k = self.index_of(start)
        while (period := self.period(k)).start < end:
            yield period
            k += 1


#: Either kind of schedule: by anchor date or by bill-cycle day.
Schedule = BillingSchedule | BillCycleDaySchedule


class BillingSegmentKind(enum.Enum):
    """What a stretch of a re-anchored schedule is."""

    PERIOD = "period"  # a whole period of the old or the new schedule
    CUT = "cut"  # the old period the change falls in, up to the change
    BRIDGE = "bridge"  # from the change to the first new bill-cycle day


@attrs.frozen
class BillingSegment:
    """A stretch ``[start, end)`` of a re-anchored schedule.

    Attributes:
        kind: A whole period, the cut old period, or the bridge.
        start: Its first day.
        end: The day after its last (exclusive).
        period: The whole period it is priced against (itself for ``PERIOD``).
    """

    kind: BillingSegmentKind
    start: date
    end: date
    period: BillingPeriod

    @property
    def days(self) -> int:
        """Number of calendar days in the segment."""
        return (self.end - self.start).days


@attrs.frozen
class Reanchored:
    """A schedule moved to a new bill-cycle day on *on*: old periods, bridge, new periods.

    Attributes:
        before: The schedule that holds before *on*.
        after: The new schedule (its period 0 holds *on*).
        on: The first day under the new bill-cycle day.
    """

    before: Schedule
    after: BillCycleDaySchedule
    on: date

    @property
    def bridge(self) -> BillingSegment | None:
        """``[on, first new bill-cycle day after on)``, or ``None`` when *on* is one."""
        period = self.after.period_of(self.on)
        if period.start == self.on:
            return None
        return BillingSegment(BillingSegmentKind.BRIDGE, self.on, period.end, period)

    @property
    def cut(self) -> BillingSegment | None:
        """The old period that *on* falls inside, up to *on* (``None`` on a boundary)."""
        period = self.before.period_of(self.on)
        if period.start == self.on:
            return None
        return BillingSegment(BillingSegmentKind.CUT, period.start, self.on, period)

    def bridge_fee(
        self,
        fee: Money,
        proration: Proration = ACTUAL_DAYS,
        rounding: ProrationRounding = ProrationRounding.RUNNING_TOTAL,
    ) -> Money:
        """The price of the bridge: *fee*'s share of the new period that holds it.

        Zero when there is no bridge.
        """
        bridge = self.bridge
        if bridge is None:
            return fee - fee
        cycle = self.after.cycle
        return proration.piece(
            fee, cycle, bridge.period, bridge.start, bridge.end, rounding=rounding
        )

    def segments_between(self, start: date, end: date) -> Iterator[BillingSegment]:
        """The stretches that cover ``[start, end)`` exactly, in order, clipped to it."""
        require_date("start", start)
        require_date("end", end)
        if end < start:
            raise ValidationError("end", end, f"must not be before start={start.isoformat()}")
        for segment in self._segments(start, end):
            lo, hi = max(segment.start, start), min(segment.end, end)
            if lo < hi:
                yield attrs.evolve(segment, start=lo, end=hi)

    def _segments(self, start: date, end: date) -> Iterator[BillingSegment]:
        on = self.on
        if start < on:
            for period in self.before.periods_between(start, min(end, on)):
                if period.end <= on:
                    yield BillingSegment(
                        BillingSegmentKind.PERIOD, period.start, period.end, period
                    )
            if (cut := self.cut) is not None:
                yield cut
        if end <= on:
            return
        resume = on
        if (bridge := self.bridge) is not None:
            yield bridge
            resume = bridge.end
        for period in self.after.periods_between(max(start, resume), end):
            yield BillingSegment(BillingSegmentKind.PERIOD, period.start, period.end, period)


def reanchor(schedule: Schedule, on: date, day: int) -> Reanchored:
    """Move *schedule* to bill-cycle day *day* from *on*, with a prorated bridge.

    Examples:
        >>> from datetime import date
        >>> old = BillingSchedule(BillingCycle.monthly(), date(2026, 1, 10))
        >>> moved = reanchor(old, date(2026, 3, 10), 1)
        >>> moved.bridge.start, moved.bridge.end
        (datetime.date(2026, 3, 10), datetime.date(2026, 4, 1))

    Raises:
        ValidationError: *schedule* is not monthly, or *day* is not 1-31.
    """
    require_date("on", on)
    if not isinstance(schedule, BillingSchedule | BillCycleDaySchedule):
        raise ValidationError("schedule", schedule, "expected a billing schedule")
    after = BillCycleDaySchedule(schedule.cycle, day, on)
    return Reanchored(schedule, after, on)
