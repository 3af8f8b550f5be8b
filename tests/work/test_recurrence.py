"""Recurring work: worked examples, and properties across DST changes and restarts."""

# Series starts are local wall times, naive on purpose.
# ruff: noqa: DTZ001

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._domain.business import WorkingCalendar
from relationship_core._work import Occurrence, RecurrenceSeries, next_occurrence, occurrences
from relationship_core.exceptions import ValidationError

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Pacific/Chatham"]


def _take(series: RecurrenceSeries, n: int) -> list[Occurrence]:
    result: list[Occurrence] = []
    last: Occurrence | None = None
    for _ in range(n):
        nxt = next_occurrence(series, last)
        if nxt is None:
            break
        result.append(nxt)
        last = nxt
    return result


def test_last_business_day_of_each_month_with_holidays() -> None:
    calendar = WorkingCalendar("Europe/London", holidays=[date(2026, 4, 30), date(2026, 12, 31)])
    series = RecurrenceSeries.on_schedule(
        "close-books",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        datetime(2026, 1, 1, 17),
        "Europe/London",
        roll="preceding",
        calendar=calendar,
    )
    days = [o.local.date() for o in _take(series, 12)]
    assert days[:5] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 31),
        date(2026, 4, 29),
        date(2026, 5, 29),
    ]
    assert days[-1] == date(2026, 12, 30)


def test_31st_versus_last_day_of_shorter_months() -> None:
    start = datetime(2026, 1, 1, 9)
    only_31 = RecurrenceSeries.on_schedule("a", "FREQ=MONTHLY;BYMONTHDAY=31", start, "UTC")
    last = RecurrenceSeries.on_schedule("b", "FREQ=MONTHLY;BYMONTHDAY=-1", start, "UTC")
    assert [o.local.month for o in _take(only_31, 7)] == [1, 3, 5, 7, 8, 10, 12]  # RFC 5545 skips
    assert [o.local.day for o in _take(last, 4)] == [31, 28, 31, 30]


def test_every_other_monday_at_nine_in_london_across_dst() -> None:
    series = RecurrenceSeries.on_schedule(
        "standup", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", datetime(2026, 3, 16, 9), "Europe/London"
    )
    got = _take(series, 3)
    assert [o.key for o in got] == [
        "standup@2026-03-16T09:00:00",
        "standup@2026-03-30T09:00:00",
        "standup@2026-04-13T09:00:00",
    ]
    assert [o.at.astimezone(UTC).hour for o in got] == [9, 8, 8]  # GMT, then BST


def test_when_done_five_days_after_completion() -> None:
    series = RecurrenceSeries.when_done(
        "water-plants",
        relativedelta(days=5),
        datetime(2026, 3, 2, 9),
        "Europe/London",
        at_time=time(9),
    )
    first = next_occurrence(series, None)
    assert first is not None
    assert first.key == "water-plants@2026-03-02T09:00:00"
    second = next_occurrence(series, first, completed_at=datetime(2026, 3, 4, 15, tzinfo=UTC))
    assert second is not None
    assert second.key == "water-plants@2026-03-09T09:00:00"
    assert (
        next_occurrence(series, first.key, completed_at=datetime(2026, 3, 4, 15, tzinfo=UTC))
        == second
    )
    with pytest.raises(ValidationError):
        next_occurrence(series, first)  # no completion given


def test_nonexistent_time_moved_forward_and_repeated_time_taken_once() -> None:
    daily = RecurrenceSeries.on_schedule(
        "d", "FREQ=DAILY", datetime(2026, 3, 28, 1, 30), "Europe/London"
    )
    spring = _take(daily, 2)[1]
    assert spring.key == "d@2026-03-29T02:30:00"  # 01:30 does not exist that day
    hourly = RecurrenceSeries.on_schedule(
        "h", "FREQ=HOURLY;COUNT=4", datetime(2026, 10, 25, 0), "Europe/London"
    )
    autumn = _take(hourly, 10)
    assert [o.at.astimezone(UTC).hour for o in autumn] == [23, 0, 2, 3]  # 01:00 once, at BST


def test_bad_series_refused() -> None:
    with pytest.raises(ValidationError) as e:
        RecurrenceSeries.on_schedule("x", "FREQ=SOMETIMES", datetime(2026, 1, 1), "UTC")
    assert e.value.field == "rule"
    with pytest.raises(ValidationError):
        RecurrenceSeries.on_schedule("x", "FREQ=SECONDLY", datetime(2026, 1, 1), "UTC")
    with pytest.raises(ValidationError):
        RecurrenceSeries.on_schedule(
            "x", "FREQ=DAILY\nDTSTART:20200101", datetime(2026, 1, 1), "UTC"
        )
    with pytest.raises(ValidationError):
        RecurrenceSeries.on_schedule(
            "x", "FREQ=DAILY", datetime(2026, 1, 1), "UTC", roll="following"
        )
    series = RecurrenceSeries.on_schedule("x", "FREQ=DAILY", datetime(2026, 1, 1), "UTC")
    with pytest.raises(ValidationError):
        next_occurrence(series, "y@2026-01-01T00:00:00")
    with pytest.raises(ValidationError):
        next_occurrence(series, "x@yesterday")


# 2026's DST changes in the four zones: starts are drawn around them.
TRANSITIONS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 9, 27),
]

RULES = st.one_of(
    st.builds(lambda h: f"FREQ=DAILY;BYHOUR={h};BYMINUTE=30", st.integers(0, 23)),
    st.builds(
        lambda i, d: f"FREQ=WEEKLY;INTERVAL={i};BYDAY={d}",
        st.integers(1, 3),
        st.sampled_from(["MO", "SU", "SA,SU", "FR"]),
    ),
    st.builds(lambda d: f"FREQ=MONTHLY;BYMONTHDAY={d}", st.sampled_from([1, 15, 28, 31, -1])),
    st.builds(lambda m: f"FREQ=HOURLY;INTERVAL=1;BYMINUTE={m}", st.sampled_from([0, 15, 30, 45])),
)


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    rule=RULES,
    change=st.sampled_from(TRANSITIONS),
    offset=st.integers(-10 * 24 * 60, 2 * 24 * 60).map(lambda m: m - m % 15),
    cut=st.integers(0, 40),
)
def test_no_occurrence_twice_or_skipped_and_restart_safe(
    zone: str, rule: str, change: date, offset: int, cut: int
) -> None:
    hourly = rule.startswith("FREQ=HOURLY")
    if hourly:  # within two days of the change, so four days cross it
        offset = offset % (4 * 24 * 60) - 2 * 24 * 60
    start = datetime.combine(change, time(0)) + timedelta(minutes=offset)
    series = RecurrenceSeries.on_schedule("s", rule, start, zone)
    span = timedelta(days=4) if hourly else timedelta(days=100 if "MONTHLY" in rule else 40)
    until = (start + span).replace(tzinfo=ZoneInfo(zone))
    stream = list(occurrences(series, until))
    # strictly increasing instants, unique keys
    assert all(a.at < b.at for a, b in itertools.pairwise(stream))
    assert len({o.key for o in stream}) == len(stream)
    # nothing skipped: every wall time the rule gives is an occurrence, at that wall time
    # unless the clocks skip it (then later the same day, by the gap) or an earlier one took its instant
    tz = ZoneInfo(zone)
    # in UTC: PEP 495 makes an ambiguous local time unequal to every other zone's datetime
    emitted = {o.at.astimezone(UTC) for o in stream}
    for raw in rrulestr(rule, dtstart=series.start).between(
        series.start, until.replace(tzinfo=None), inc=True
    ):
        at = raw.replace(tzinfo=tz).astimezone(UTC)
        if at >= until:
            break
        exists = at.astimezone(tz).replace(tzinfo=None) == raw
        if exists:
            assert at in emitted or hourly
        else:
            assert at.astimezone(tz).replace(tzinfo=None) - raw <= timedelta(hours=1)
    if not hourly:
        raws = [
            r
            for r in rrulestr(rule, dtstart=series.start).between(
                series.start, until.replace(tzinfo=None), inc=True
            )
            if r.replace(tzinfo=tz) < until
        ]
        assert len(stream) == len(raws)
    # restart from any key: the same remaining sequence, one step at a time
    if stream:
        i = cut % len(stream)
        last: Occurrence | None = stream[i]
        for expected in stream[i + 1 : i + 26]:
            last = next_occurrence(series, None if last is None else last.key)
            assert last == expected
        assert list(occurrences(series, until, after=stream[i].key)) == stream[i + 1 :]
    if stream:
        assert next_occurrence(series, None) == stream[0]
