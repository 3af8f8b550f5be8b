"""The business record and its working calendar, against a brute-force minute count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from relationship_core import Business, NumberingScheme, WorkingCalendar
from relationship_core._serialize import structure, unstructure
from relationship_core.exceptions import ValidationError

MINUTE = timedelta(minutes=1)
ZONES = st.sampled_from(
    ["UTC", "Europe/London", "America/New_York", "Pacific/Kiritimati", "Asia/Kathmandu"]
)


@st.composite
def windows(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 3)) == 0:
        return ""
    opens = draw(st.integers(0, 23 * 60 + 58))
    closes = draw(st.integers(opens + 1, 23 * 60 + 59))
    return f"{opens // 60:02d}:{opens % 60:02d}-{closes // 60:02d}:{closes % 60:02d}"


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    hours = draw(st.lists(windows(), min_size=7, max_size=7))
    holidays = draw(st.lists(st.dates(date(2026, 3, 1), date(2026, 3, 12)), max_size=3))
    return WorkingCalendar(draw(ZONES), tuple(hours), holidays)


def brute_force(calendar: WorkingCalendar, start: datetime, minutes: int) -> timedelta:
    return MINUTE * sum(calendar.is_working_time(start + MINUTE * m) for m in range(minutes))


@settings(max_examples=40, deadline=None)
@given(
    calendars(),
    # Around the March DST change in New York (8th) and London (29th is outside: plain days).
    st.datetimes(datetime(2026, 3, 3), datetime(2026, 3, 10)).map(  # noqa: DTZ001 - made aware below
        lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
    ),
    st.integers(0, 3 * 24 * 60),
)
@example(
    WorkingCalendar("America/New_York", ("01:30-03:30",) * 7),
    datetime(2026, 3, 8, 5, tzinfo=UTC),  # the clocks skip 02:00-03:00 that night
    6 * 60,
)
def test_working_time_between_counts_the_working_minutes(
    calendar: WorkingCalendar, start: datetime, minutes: int
) -> None:
    end = start + MINUTE * minutes
    assert calendar.working_time_between(start, end) == brute_force(calendar, start, minutes)


def test_working_time_worked_example() -> None:
    london = WorkingCalendar("Europe/London", holidays=[date(2026, 12, 25)])
    # Thursday 24 December 16:00 to Tuesday 29th 10:00: one hour on the 24th,
    # the 25th a holiday, a weekend, eight hours on Monday, one on Tuesday.
    start, end = datetime(2026, 12, 24, 16, tzinfo=UTC), datetime(2026, 12, 29, 10, tzinfo=UTC)
    assert london.working_time_between(start, end) == timedelta(hours=10)
    assert london.working_time_between(end, start) == timedelta(0)
    assert not london.is_working_time(datetime(2026, 12, 26, 10, tzinfo=UTC))  # Saturday
    assert london.is_working_time(datetime(2026, 7, 1, 8, tzinfo=UTC))  # 09:00 BST


def test_bad_calendars_and_businesses_name_the_field() -> None:
    cases: list[tuple[object, str]] = [
        (lambda: WorkingCalendar("UTC", ("09:00-17:00",) * 6), "hours"),
        (lambda: WorkingCalendar("UTC", ("17:00-09:00",) + ("",) * 6), "hours.monday"),
        (lambda: WorkingCalendar("UTC", ("",) * 6 + ("9-5",)), "hours.sunday"),
        (lambda: WorkingCalendar("UTC", holidays=["2026-12-25"]), "holidays"),
        (lambda: WorkingCalendar("Mars/Olympus"), "time_zone"),
        (lambda: Business(""), "key"),
        (lambda: Business("a:b"), "key"),
        (lambda: Business.create("x", currency="XXZ"), "currency"),
        (lambda: NumberingScheme("INV-{year}"), "numbering.invoices"),
        (lambda: NumberingScheme("INV-{seq:06d}", "CN-{month}-{seq}"), "numbering.credit_notes"),
        (lambda: NumberingScheme.with_prefixes("{x}"), "invoice_prefix"),
    ]
    for build, field in cases:
        with pytest.raises(ValidationError) as info:
            build()  # type: ignore[operator]
        assert info.value.field == field, field
    with pytest.raises(ValidationError):
        WorkingCalendar("UTC").is_working_time(datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose


def test_a_business_round_trips_and_keeps_todays_numbers() -> None:
    studio = Business.create(
        "studio",
        name="The Studio",
        time_zone="Europe/London",
        hours=["08:00-12:00"] * 5 + ["", ""],
        holidays=[date(2026, 12, 25), date(2026, 12, 25)],
        currency="gbp",
    )
    assert (studio.currency, studio.calendar.holidays) == ("GBP", (date(2026, 12, 25),))
    assert structure(unstructure(studio), Business) == studio
    assert Business("plain").numbering.invoices.format(year=2026, seq=1) == "INV-2026-000001"
    assert NumberingScheme("INV-{seq:05d}").invoices.format(year=2026, seq=7) == "INV-00007"
