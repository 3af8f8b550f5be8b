"""Billing cycles and schedules: anchors, month ends, leap days, time zones, tiling."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._billing.cycles import BillingCycle, CycleUnit
from relationship_core._billing.schedule import (
    BillingSchedule,
    local_billing_date,
    local_midnight,
)
from relationship_core.exceptions import ValidationError

CYCLES = st.one_of(
    st.builds(BillingCycle.weekly, st.integers(1, 4)),
    st.builds(BillingCycle.every_months, st.integers(1, 24)),
    st.sampled_from([BillingCycle.monthly(), BillingCycle.quarterly(), BillingCycle.yearly()]),
)
DATES = st.dates(date(1900, 1, 1), date(2200, 12, 31))


def starts(schedule: BillingSchedule, first: int, count: int) -> list[date]:
    return [p.start for p in schedule.periods(first, count)]


# -- the three worked cases of issue 5, verbatim --------------------------------------
def test_monthly_anchor_2024_01_31_every_month_end() -> None:
    schedule = BillingSchedule(BillingCycle.monthly(), date(2024, 1, 31))
    assert starts(schedule, 0, 13) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
        date(2024, 7, 31),
        date(2024, 8, 31),
        date(2024, 9, 30),
        date(2024, 10, 31),
        date(2024, 11, 30),
        date(2024, 12, 31),
        date(2025, 1, 31),
    ]


def test_monthly_anchor_2023_01_31_feb_28_then_mar_31() -> None:
    schedule = BillingSchedule(BillingCycle.monthly(), date(2023, 1, 31))
    assert starts(schedule, 1, 2) == [date(2023, 2, 28), date(2023, 3, 31)]


def test_yearly_anchor_leap_day() -> None:
    schedule = BillingSchedule(BillingCycle.yearly(), date(2024, 2, 29))
    assert starts(schedule, 1, 4) == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_chaining_would_drift_but_the_schedule_does_not() -> None:
    chained = date(2023, 1, 31)
    for _ in range(3):
        chained += relativedelta(months=1)
    assert chained == date(2023, 4, 28)  # what we avoid
    schedule = BillingSchedule(BillingCycle.monthly(), date(2023, 1, 31))
    assert schedule.boundary(3) == date(2023, 4, 30)


def test_quarterly_from_november_30() -> None:
    schedule = BillingSchedule(BillingCycle.quarterly(), date(2023, 11, 30))
    assert starts(schedule, 0, 5) == [
        date(2023, 11, 30),
        date(2024, 2, 29),
        date(2024, 5, 30),
        date(2024, 8, 30),
        date(2024, 11, 30),
    ]


def test_weekly_and_fortnightly() -> None:
    weekly = BillingSchedule(BillingCycle.weekly(), date(2024, 2, 26))
    assert starts(weekly, 0, 3) == [date(2024, 2, 26), date(2024, 3, 4), date(2024, 3, 11)]
    fortnightly = BillingSchedule(BillingCycle.weekly(2), date(2024, 2, 26))
    assert fortnightly.period(1).start == date(2024, 3, 11)
    assert fortnightly.period(0).days == 14


def test_index_of_before_and_after_the_anchor() -> None:
    schedule = BillingSchedule(BillingCycle.monthly(), date(2024, 1, 31))
    assert schedule.index_of(date(2024, 2, 28)) == 0
    assert schedule.index_of(date(2024, 2, 29)) == 1
    assert schedule.index_of(date(2024, 1, 30)) == -1
    assert schedule.period(-1).start == date(2023, 12, 31)


def test_cycle_names_and_periods_per_year() -> None:
    assert str(BillingCycle.monthly()) == "monthly"
    assert str(BillingCycle.every_months(6)) == "every 6 months"
    assert str(BillingCycle.weekly(2)) == "every 2 weeks"
    assert BillingCycle.quarterly().periods_per_year == (12, 3)
    assert BillingCycle.weekly().periods_per_year == (52, 1)
    assert BillingCycle("month", 2).unit is CycleUnit.MONTH


# -- time zones and DST ----------------------------------------------------------------
def test_local_billing_date_uses_the_account_zone() -> None:
    instant = datetime(2024, 3, 1, 3, 30, tzinfo=UTC)
    assert local_billing_date(instant, "America/New_York") == date(2024, 2, 29)
    assert local_billing_date(instant, "Europe/London") == date(2024, 3, 1)


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # New York springs forward on 2026-03-08 and falls back on 2026-11-01.
        ("America/New_York", date(2026, 3, 2), date(2026, 3, 9)),
        ("America/New_York", date(2026, 10, 26), date(2026, 11, 2)),
        # London on 2026-03-29 and 2026-10-25.
        ("Europe/London", date(2026, 3, 23), date(2026, 3, 30)),
        ("Europe/London", date(2026, 10, 19), date(2026, 10, 26)),
    ],
)
def test_weekly_periods_start_on_the_right_local_day_across_dst(
    zone: str, before: date, after: date
) -> None:
    schedule = BillingSchedule(BillingCycle.weekly(), before)
    period = schedule.period(0)
    assert period.end == after
    start, end = local_midnight(period.start, zone), local_midnight(period.end, zone)
    elapsed = end.astimezone(UTC) - start.astimezone(UTC)
    # The week across the change is not 7 x 24 hours ...
    assert abs(elapsed - timedelta(days=7)) == timedelta(hours=1)
    # ... and "adding 24 hours" seven times would land an hour off local midnight.
    naive_end = (start.astimezone(UTC) + timedelta(hours=24 * 7)).astimezone(start.tzinfo)
    assert naive_end.time() != end.time()
    # Instants a minute either side of local midnight fall in the right period.
    assert local_billing_date(end - timedelta(minutes=1), zone) in period
    assert local_billing_date(end + timedelta(minutes=1), zone) == after


def test_monthly_period_starts_at_local_midnight_in_both_zones() -> None:
    schedule = BillingSchedule(BillingCycle.monthly(), date(2026, 1, 1))
    ny = [local_midnight(p.start, "America/New_York") for p in schedule.periods(0, 12)]
    assert [d.utcoffset() for d in ny[2:4]] == [timedelta(hours=-5), timedelta(hours=-4)]
    assert all(d.hour == 0 and d.day == 1 for d in ny)
    london = [local_midnight(p.start, "Europe/London") for p in schedule.periods(0, 12)]
    assert london[3].astimezone(UTC) == datetime(2026, 3, 31, 23, tzinfo=UTC)


# -- bad input ------------------------------------------------------------------------------
def test_bad_input_names_field_and_value() -> None:
    with pytest.raises(ValidationError) as info:
        BillingCycle.every_months(0)
    assert info.value.field == "count"
    assert info.value.value == 0
    with pytest.raises(ValidationError) as info:
        BillingSchedule(BillingCycle.monthly(), datetime(2024, 1, 1, tzinfo=UTC))
    assert info.value.field == "anchor"
    with pytest.raises(ValidationError) as info:
        local_billing_date(datetime(2024, 1, 1), "UTC")  # noqa: DTZ001 - the point
    assert info.value.field == "instant"
    with pytest.raises(ValidationError) as info:
        local_billing_date(datetime(2024, 1, 1, tzinfo=UTC), "Mars/Olympus")
    assert info.value.field == "time_zone"
    assert info.value.value == "Mars/Olympus"
    with pytest.raises(ValidationError) as info:
        BillingCycle("fortnight")
    assert (info.value.field, info.value.value) == ("unit", "fortnight")


# -- properties ----------------------------------------------------------------------------
@settings(max_examples=200)
@given(CYCLES, DATES, st.integers(-50, 50), st.integers(1, 40))
def test_periods_tile_time_without_gap_or_overlap(
    cycle: BillingCycle, anchor: date, first: int, count: int
) -> None:
    schedule = BillingSchedule(cycle, anchor)
    periods = list(schedule.periods(first, count))
    for left, right in itertools.pairwise(periods):
        assert left.end == right.start
        assert left.start < left.end
    for period in periods:
        assert period == schedule.period(period.index)
        for day in (period.start, period.end - timedelta(days=1)):
            assert schedule.index_of(day) == period.index


@settings(max_examples=200)
@given(CYCLES, DATES, DATES)
def test_every_day_is_in_exactly_one_period(cycle: BillingCycle, anchor: date, day: date) -> None:
    schedule = BillingSchedule(cycle, anchor)
    period = schedule.period_of(day)
    assert day in period
    assert day not in schedule.period(period.index - 1)
    assert day not in schedule.period(period.index + 1)


@settings(max_examples=300)
@given(
    st.integers(1, 12),
    st.dates(date(1800, 1, 1), date(2200, 12, 31)),
    st.integers(0, 400 * 12),
)
def test_no_boundary_drifts_from_the_anchor_over_400_years(n: int, anchor: date, k: int) -> None:
    k = k // n  # up to 400 years of periods
    schedule = BillingSchedule(BillingCycle.every_months(n), anchor)
    expected = anchor + relativedelta(months=k * n)  # computed independently
    assert schedule.boundary(k) == expected
    # and the day of month only ever clips to a month end, never drifts below
    assert expected.day == anchor.day or expected.day == (expected + relativedelta(day=31)).day


@settings(max_examples=100)
@given(CYCLES, DATES, DATES)
def test_periods_between_cover_the_range(cycle: BillingCycle, anchor: date, start: date) -> None:
    schedule = BillingSchedule(cycle, anchor)
    end = start + timedelta(days=400)
    covered = list(schedule.periods_between(start, end))
    assert covered[0].start <= start < covered[0].end
    assert covered[-1].start < end <= covered[-1].end
    assert list(schedule.periods_between(start, start)) == []
    with pytest.raises(ValidationError) as info:
        list(schedule.periods_between(end, start))
    assert (info.value.field, info.value.value) == ("end", start)
