"""Proration policies: worked examples and the pieces-sum-to-the-fee property."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import Money
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.proration import (
    ACTUAL_DAYS,
    THIRTY_360,
    Proration,
    ProrationPolicy,
)
from relationship_core._billing.schedule import BillingPeriod, BillingSchedule
from relationship_core.exceptions import ValidationError

MONTHLY = BillingCycle.monthly()
POLICIES = st.sampled_from(
    [
        ACTUAL_DAYS,
        THIRTY_360,
        Proration.fixed_days_per_month(30),
        Proration.fixed_days_per_month(28),
    ]
)
CYCLES = st.sampled_from(
    [
        MONTHLY,
        BillingCycle.quarterly(),
        BillingCycle.yearly(),
        BillingCycle.weekly(),
        BillingCycle.every_months(2),
    ]
)
CURRENCIES = st.sampled_from(["USD", "JPY", "KWD", "EUR"])


def month(year: int, mon: int, day: int = 1) -> BillingPeriod:
    return BillingSchedule(MONTHLY, date(year, mon, day)).period(0)


def test_actual_days_leap_february() -> None:
    feb = month(2024, 2)
    assert feb.days == 29
    # 10 of 29 days of 290.00 is exactly 100.00
    assert ACTUAL_DAYS.piece(
        Money("290.00", "USD"), MONTHLY, feb, date(2024, 2, 20), feb.end
    ) == Money("100.00", "USD")


def test_thirty_360_worked_examples() -> None:
    jan = month(2026, 1)
    fee = Money("300.00", "USD")
    # 30E/360: 16 January to month end is 15 units of 30 (the 31st is free)...
    assert THIRTY_360.units(MONTHLY, jan, date(2026, 1, 16)) == 15
    assert THIRTY_360.piece(fee, MONTHLY, jan, date(2026, 1, 16), jan.end) == Money("150.00", "USD")
    # ... the 31st, the period's last day, carries the 30th's unit (a start on it is billed) ...
    assert THIRTY_360.piece(fee, MONTHLY, jan, date(2026, 1, 31), jan.end) == Money("10.00", "USD")
    assert THIRTY_360.piece(fee, MONTHLY, jan, date(2026, 1, 30), date(2026, 1, 31)).amount == 0
    # ... but a 31st inside a period weighs nothing ...
    mid = BillingSchedule(MONTHLY, date(2026, 1, 15)).period(0)
    assert THIRTY_360.piece(fee, MONTHLY, mid, date(2026, 1, 31), date(2026, 2, 1)).amount == 0
    # ... and the last day of a 28-day February carries three days.
    feb = month(2026, 2)
    assert THIRTY_360.total_units(MONTHLY, feb) == 30
    assert THIRTY_360.piece(fee, MONTHLY, feb, date(2026, 2, 28), feb.end) == Money("30.00", "USD")
    # Every month has 30 units, so a mid-month start costs the same in any month.
    for mon in range(1, 13):
        period = month(2026, mon)
        assert THIRTY_360.piece(fee, MONTHLY, period, date(2026, mon, 11), period.end) == Money(
            "200.00", "USD"
        )


def test_fixed_days_per_month_worked_examples() -> None:
    policy = Proration.fixed_days_per_month(30)
    fee = Money("300.00", "USD")
    jan = month(2026, 1)
    # Ten days from the period start cost ten thirtieths, in any month.
    assert policy.piece(fee, MONTHLY, jan, jan.start, date(2026, 1, 11)) == Money("100.00", "USD")
    feb = month(2026, 2)
    assert policy.piece(fee, MONTHLY, feb, feb.start, date(2026, 2, 11)) == Money("100.00", "USD")
    # The last day of a 31-day period carries a day (the 30th is free); of a
    # 28-day one, 3 days.
    assert policy.piece(fee, MONTHLY, jan, date(2026, 1, 31), jan.end) == Money("10.00", "USD")
    assert policy.piece(fee, MONTHLY, jan, date(2026, 1, 30), date(2026, 1, 31)).amount == 0
    # Two months at 30 days: the 61st day (30 April) carries a day, the 60th is free.
    two = BillingCycle.every_months(2)
    march_april = BillingSchedule(two, date(2026, 3, 1)).period(0)
    assert policy.piece(fee, two, march_april, date(2026, 4, 30), march_april.end) == Money(
        "5.00", "USD"
    )
    assert policy.piece(fee, MONTHLY, feb, date(2026, 2, 28), feb.end) == Money("30.00", "USD")
    # Quarterly: 90 days' worth, a day is fee / 90.
    quarter = BillingSchedule(BillingCycle.quarterly(), date(2026, 1, 1)).period(0)
    assert policy.total_units(BillingCycle.quarterly(), quarter) == 90
    assert str(policy) == "fixed 30 days per month"
    assert str(THIRTY_360) == "30/360"
    assert policy.policy is ProrationPolicy.FIXED_DAYS_PER_MONTH


def test_the_three_policies_differ_on_the_docstring_case() -> None:
    period = BillingSchedule(MONTHLY, date(2026, 1, 15)).period(0)
    fee, start = Money("310.00", "USD"), date(2026, 2, 1)
    got = [
        p.piece(fee, MONTHLY, period, start, period.end)
        for p in (ACTUAL_DAYS, THIRTY_360, Proration.fixed_days_per_month())
    ]
    assert got == [Money("140.00", "USD"), Money("144.67", "USD"), Money("134.33", "USD")]


def test_split_sums_exactly_and_respects_zero_decimal_currencies() -> None:
    period = month(2026, 3)
    parts = ACTUAL_DAYS.split(
        Money("1000", "JPY"), MONTHLY, period, [date(2026, 3, 8), date(2026, 3, 20)]
    )
    assert sum(parts) == Money("1000", "JPY")
    assert all(p.is_rounded for p in parts)


def test_bad_input() -> None:
    with pytest.raises(ValidationError) as info:
        Proration.fixed_days_per_month(40)
    assert (info.value.field, info.value.value) == ("days_per_month", 40)
    with pytest.raises(ValidationError) as info:
        ACTUAL_DAYS.units(MONTHLY, month(2026, 1), date(2026, 3, 1))
    assert info.value.field == "day"
    with pytest.raises(ValidationError) as info:
        ACTUAL_DAYS.piece(
            Money("1.00", "USD"), MONTHLY, month(2026, 1), date(2026, 1, 9), date(2026, 1, 2)
        )
    assert info.value.field == "end"
    with pytest.raises(ValidationError) as info:
        Proration("halfish")
    assert (info.value.field, info.value.value) == ("policy", "halfish")


@settings(max_examples=300)
@given(
    POLICIES,
    CYCLES,
    st.dates(date(1990, 1, 1), date(2100, 1, 1)),
    st.integers(0, 10**9),
    CURRENCIES,
    st.lists(st.integers(0, 400), max_size=6),
)
def test_prorated_pieces_sum_to_the_whole_fee(  # noqa: PLR0917 - one per strategy
    policy: Proration,
    cycle: BillingCycle,
    anchor: date,
    minor: int,
    currency: str,
    offsets: list[int],
) -> None:
    period = BillingSchedule(cycle, anchor).period(0)
    fee = Money.from_minor(minor, currency)
    cuts = sorted({period.start + timedelta(days=o % period.days) for o in offsets})
    pieces = policy.split(fee, cycle, period, cuts)
    assert sum(pieces, Money.zero(currency)) == fee
    assert all(p.is_rounded and p.amount >= 0 for p in pieces)
    # Any sub-range priced on its own equals the sum of its pieces (consistency across events).
    if len(cuts) >= 2:
        assert policy.piece(fee, cycle, period, cuts[0], cuts[-1]) == sum(
            pieces[1:-1], Money.zero(currency)
        )


@settings(max_examples=200)
@given(POLICIES, CYCLES, st.dates(date(1990, 1, 1), date(2100, 1, 1)))
def test_units_are_monotone_and_span_the_period(
    policy: Proration, cycle: BillingCycle, anchor: date
) -> None:
    period = BillingSchedule(cycle, anchor).period(0)
    units = [
        policy.units(cycle, period, period.start + timedelta(days=d))
        for d in range(period.days + 1)
    ]
    assert units[0] == 0
    assert units == sorted(units)
    assert units[-1] == policy.total_units(cycle, period) > 0
    # The last day always carries something: a service starting on it is billed.
    assert units[-2] < units[-1]
