"""Recurring work from RFC 5545 rules, in local time, each occurrence with a stable key.

Occurrences are computed as local wall times in the series' zone (the party's
or the business's), then placed on the time line: a wall time the clocks skip
(spring forward) is moved forward by the gap (02:30 -> 03:30, as RFC 5545
says; dateutil alone would give the non-existent 02:30), and one they pass
twice (fall back) is taken once, at its first occurrence (``fold=0``). When
that makes two occurrences land on the same instant or out of order, the
later-coming one is dropped, so instants strictly increase.

`next_occurrence` is a pure function of the series and the last key: the
platform's durable schedule stores the key, creates each occurrence exactly
once, and can restart from any key.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, HOURLY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from relationship_core._domain.business import WorkingCalendar
from relationship_core._domain.timeutil import require_aware, to_zone
from relationship_core._domain.validators import non_empty_text, to_enum
from relationship_core.exceptions import ValidationError

__all__ = [
    "Mode",
    "Occurrence",
    "RecurrenceSeries",
    "Roll",
    "next_occurrence",
    "occurrences",
    "place_wall_time",
]

_FREQS = (YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY)
#: How far back to rescan for a wall time that may land after the last key:
#: covers a skipped wall-clock day (Samoa, 2011) and any offset change.
_MARGIN = timedelta(days=3)
#: The furthest a roll to a working day may move an occurrence.
_ROLL_LIMIT = 31


class Roll(enum.Enum):
    """What to do with an occurrence on a non-working day of the calendar."""

    NONE = "none"
    PRECEDING = "preceding"  #: the working day before (the last business day of a month)
    FOLLOWING = "following"  #: the working day after


class Mode(enum.Enum):
    """ClickUp's two kinds of recurrence."""

    SCHEDULE = "schedule"  #: on a fixed schedule, whenever the previous one was done
    WHEN_DONE = "when_done"  #: a delay after the previous one is done


def place_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a naive local *wall* time names in *zone*, aware, in *zone*.

    A skipped wall time (spring forward) moves forward by the gap; a repeated
    one (fall back) is its first occurrence (``fold=0``). Tasks' series and the
    platform's durable schedules both place their occurrences with this.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


@functools.lru_cache(maxsize=256)
def _parse(rule: str, start: datetime) -> rrule:
    text = rule.strip()
    if "\n" in text or "\r" in text or "DTSTART" in text.upper():
        raise ValueError("one RRULE line, without DTSTART (the series' start gives it)")
    parsed = rrulestr(text, dtstart=start)
    if not isinstance(parsed, rrule):
        raise ValueError("expected one RRULE")  # noqa: TRY004 - reported as ValidationError
    if getattr(parsed, "_freq", None) not in _FREQS:  # dateutil has no public accessor
        raise ValueError("FREQ must be YEARLY, MONTHLY, WEEKLY, DAILY or HOURLY")
    return parsed


def _wall(field: str, value: object, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "expected a datetime (local wall time, or aware)")
    if value.tzinfo is not None:
        value = require_aware(field, value).astimezone(zone).replace(tzinfo=None, fold=0)
    return value.replace(microsecond=0, fold=0)


def _delay(value: object) -> relativedelta | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = relativedelta(days=value.days, seconds=value.seconds)
    if not isinstance(value, relativedelta) or datetime(2000, 1, 1, tzinfo=UTC) + value <= datetime(
        2000, 1, 1, tzinfo=UTC
    ):
        raise ValidationError(
            "after_done", value, "give a positive delay, e.g. relativedelta(days=5)"
        )
    return value


@attrs.frozen(kw_only=True)
class RecurrenceSeries:
    """A recurring piece of work: on a schedule (RRULE) or a delay after each is done.

    Build with `on_schedule` or `when_done`.

    Attributes:
        id: The series' id; part of every occurrence key.
        time_zone: The zone its wall times are read in.
        start: The first occurrence's local wall time (naive).
        mode: Schedule or when-done.
        rule: The RRULE (``"FREQ=MONTHLY;BYMONTHDAY=-1"``) of a schedule series.
        after_done: The delay after completion of a when-done series.
        at_time: The local time of day a when-done occurrence is set to (``None``: as computed).
        roll: Moving occurrences off non-working days of *calendar*.
        calendar: The business's working calendar (needed to roll).
    """

    id: str = attrs.field(validator=non_empty_text)
    time_zone: ZoneInfo
    start: datetime
    mode: Mode = Mode.SCHEDULE
    rule: str | None = None
    after_done: relativedelta | None = None
    at_time: time | None = None
    roll: Roll = Roll.NONE
    calendar: WorkingCalendar | None = None

    def __attrs_post_init__(self) -> None:
        if "@" in self.id:
            raise ValidationError("id", self.id, "a series id cannot contain '@' (keys use it)")
        if self.roll is not Roll.NONE:
            if self.calendar is None:
                raise ValidationError(
                    "calendar", None, "rolling to working days needs the calendar"
                )
            if not any(self.calendar.hours):
                raise ValidationError(
                    "calendar", self.calendar.hours, "the calendar has no working day"
                )
        if self.mode is Mode.SCHEDULE:
            if not isinstance(self.rule, str):
                raise ValidationError("rule", self.rule, "a schedule series needs an RRULE")
            try:
                _parse(self.rule, self.start)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                raise ValidationError("rule", self.rule, f"not a usable RRULE: {exc}") from None

    @classmethod
    def on_schedule(
        cls,
        id: str,
        rule: str,
        start: datetime,
        time_zone: ZoneInfo | str,
        *,
        roll: Roll | str = Roll.NONE,
        calendar: WorkingCalendar | None = None,
    ) -> RecurrenceSeries:
        """Occurrences at the RRULE's times from *start* (a local wall time), e.g. every other Monday."""
        zone = to_zone("time_zone", time_zone)
        return cls(
            id=id,
            time_zone=zone,
            start=_wall("start", start, zone),
            rule=rule,
            roll=to_enum(Roll, "roll", roll),
            calendar=calendar,
        )

    @classmethod
    def when_done(
        cls,
        id: str,
        after: relativedelta | timedelta,
        start: datetime,
        time_zone: ZoneInfo | str,
        *,
        at_time: time | None = None,
        roll: Roll | str = Roll.NONE,
        calendar: WorkingCalendar | None = None,
    ) -> RecurrenceSeries:
        """The first at *start*, each next one *after* the previous one is completed."""
        zone = to_zone("time_zone", time_zone)
        if at_time is not None and (not isinstance(at_time, time) or at_time.tzinfo is not None):
            raise ValidationError("at_time", at_time, "give a naive local time of day")
        return cls(
            id=id,
            time_zone=zone,
            start=_wall("start", start, zone),
            mode=Mode.WHEN_DONE,
            after_done=_delay(after),
            at_time=at_time,
            roll=to_enum(Roll, "roll", roll),
            calendar=calendar,
        )

    def _rolled(self, day: date) -> date:
        calendar = self.calendar
        if self.roll is Roll.NONE or calendar is None:
            return day
        step = timedelta(days=-1 if self.roll is Roll.PRECEDING else 1)
        for _ in range(_ROLL_LIMIT):
            if day not in calendar.holidays and calendar.hours[day.weekday()]:
                return day
            day += step
        raise ValidationError("calendar.holidays", day, f"no working day within {_ROLL_LIMIT} days")

    def _occurrence(self, raw: datetime) -> Occurrence:
        wall = datetime.combine(self._rolled(raw.date()), raw.time())
        at = place_wall_time(wall, self.time_zone)
        return Occurrence(series_id=self.id, local=at.replace(tzinfo=None, fold=0), at=at)


@attrs.frozen
class Occurrence:
    """One occurrence of a series.

    Attributes:
        series_id: Its series.
        local: Its local wall time (naive, in the series' zone; after DST adjustment).
        at: The same instant, aware, in the series' zone.
    """

    series_id: str
    local: datetime
    at: datetime

    @property
    def key(self) -> str:
        """``<series id>@<local ISO date-time>``: create this occurrence once."""
        return f"{self.series_id}@{self.local.isoformat()}"


def _after_key(series: RecurrenceSeries, after: str | Occurrence) -> Occurrence:
    if isinstance(after, Occurrence):
        after = after.key
    if not isinstance(after, str) or "@" not in after:
        raise ValidationError(
            "after", after, "give the last occurrence's key, '<series>@<local time>'"
        )
    series_id, _, text = after.rpartition("@")
    if series_id != series.id:
        raise ValidationError("after", after, f"a key of another series; this one is {series.id!r}")
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("after", after, "the key's time is not an ISO date-time") from None
    if local.tzinfo is not None:
        raise ValidationError("after", after, "a key holds a local wall time, without offset")
    return Occurrence(series.id, local, place_wall_time(local, series.time_zone))


def _raw(series: RecurrenceSeries, from_wall: datetime | None) -> Iterator[datetime]:
    rule = _parse(series.rule or "", series.start)
    if from_wall is None or from_wall <= series.start:
        return iter(rule)
    return rule.xafter(from_wall, inc=True)


def next_occurrence(
    series: RecurrenceSeries,
    after: str | Occurrence | None,
    *,
    completed_at: datetime | None = None,
) -> Occurrence | None:
    """The occurrence that follows the one keyed *after* (``None``: the first).

    A when-done series needs *completed_at*, the instant the previous one was
    done. ``None`` when a schedule series has ended (COUNT or UNTIL).
    """
    last = None if after is None else _after_key(series, after)
    if series.mode is Mode.WHEN_DONE:
        return _when_done(series, last, completed_at)
    if last is None:
        return next(_raw_occurrences(series, None), None)
    margin = _MARGIN + (
        timedelta(days=_ROLL_LIMIT) if series.roll is Roll.FOLLOWING else timedelta(0)
    )
    for occurrence in _raw_occurrences(series, last.local - margin):
        if occurrence.at > last.at:
            return occurrence
    return None


def _raw_occurrences(series: RecurrenceSeries, from_wall: datetime | None) -> Iterator[Occurrence]:
    for raw in _raw(series, from_wall):
        yield series._occurrence(raw)


def _when_done(
    series: RecurrenceSeries, last: Occurrence | None, completed_at: datetime | None
) -> Occurrence:
    if last is None:
        return series._occurrence(series.start)
    if completed_at is None:
        raise ValidationError(
            "completed_at", None, "a when-done series needs the completion instant"
        )
    done = require_aware("completed_at", completed_at).astimezone(series.time_zone)
    delay = series.after_done or relativedelta(days=1)
    base = done.replace(tzinfo=None, fold=0, microsecond=0)
    while True:
        due = base + delay
        if series.at_time is not None:
            due = datetime.combine(due.date(), series.at_time)
        occurrence = series._occurrence(due)
        if occurrence.at > last.at:
            return occurrence
        base = last.local  # done long before it was due: never run backwards


def occurrences(
    series: RecurrenceSeries, until: datetime, *, after: str | None = None
) -> Iterator[Occurrence]:
    """A schedule series' occurrences after the key *after* and before *until*, in one pass."""
    end = require_aware("until", until)
    if series.mode is not Mode.SCHEDULE:
        raise ValidationError("series", series.id, "a when-done series has no fixed schedule")
    floor = None if after is None else _after_key(series, after).at
    for occurrence in _raw_occurrences(series, None):
        if occurrence.at >= end:
            return
        if floor is None or occurrence.at > floor:
            floor = occurrence.at
            yield occurrence
