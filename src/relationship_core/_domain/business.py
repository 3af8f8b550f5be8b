"""The business: whose documents these are, in which zone and calendar, numbered how.

One store may hold several businesses (a studio and its shop); every billing
record names its business by `Business.key`, and each business keeps its own
number sequences, time zone and working calendar. Later parts (pipeline
periods, SLA clocks, rule schedules, reports) take the zone and the calendar
from here, so this module stays small: values, no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from relationship_core._domain.currency import Currency
from relationship_core._domain.timeutil import require_aware, require_date, to_zone
from relationship_core.exceptions import ValidationError

__all__ = [
    "DEFAULT_BUSINESS",
    "Business",
    "NumberingScheme",
    "WorkingCalendar",
    "require_key",
]

#: The business of records written before businesses existed, and of a
#: `BillingService` given none.
DEFAULT_BUSINESS = "default"

_KEY = re.compile(r"[^\s:][^:]*")
_WINDOW = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_DAY = timedelta(days=1)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@functools.lru_cache(maxsize=64)
def _window(text: str) -> tuple[time, time] | None:
    """``"09:00-17:30"`` -> (09:00, 17:30); ``""`` -> closed. Raises ``ValueError``."""
    if not text:
        return None
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise ValueError(text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    opens, closes = time(h1, m1), time(h2, m2)
    if closes <= opens:
        raise ValueError(text)
    return opens, closes


def _hours(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("hours", value, "give 7 windows, Monday first, e.g. '09:00-17:00'")
    hours = tuple(value)
    if len(hours) != 7:
        raise ValidationError("hours", value, "give 7 windows, Monday first ('' when closed)")
    for name, text in zip(_WEEKDAYS, hours, strict=True):
        try:
            _window(text if isinstance(text, str) else "?")
        except ValueError:
            raise ValidationError(
                f"hours.{name}", text, "expected 'HH:MM-HH:MM' with opening before closing, or ''"
            ) from None
    return hours


def _zone(value: object) -> ZoneInfo:
    return to_zone("time_zone", value)


def _holidays(value: object) -> tuple[date, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("holidays", value, "give calendar dates")
    return tuple(sorted({require_date("holidays", d) for d in value}))


@attrs.frozen
class WorkingCalendar:
    """When a business works: opening hours per weekday in its zone, and holidays.

    A day's working time runs from its opening to its closing wall-clock time
    in *time_zone*, except on holidays. A wall time the clocks skip (spring
    forward) is read as if they had not changed yet; one they pass twice
    (fall back) as its first occurrence.

    Examples:
        >>> from datetime import UTC, date, datetime
        >>> cal = WorkingCalendar("Europe/London", holidays=[date(2026, 12, 25)])
        >>> cal.is_working_time(datetime(2026, 12, 24, 10, tzinfo=UTC))
        True
        >>> cal.is_working_time(datetime(2026, 12, 25, 10, tzinfo=UTC))
        False
        >>> cal.working_time_between(datetime(2026, 12, 24, 16, tzinfo=UTC),
        ...                          datetime(2026, 12, 29, 10, tzinfo=UTC))  # 1 + 8 + 1 hours
        datetime.timedelta(seconds=36000)

    Attributes:
        time_zone: The zone the hours are read in.
        hours: Seven windows, Monday first: ``"HH:MM-HH:MM"``, or ``""`` when closed
            (default 09:00-17:00 Monday to Friday).
        holidays: Dates (in *time_zone*) with no working time.
    """

    time_zone: ZoneInfo = attrs.field(converter=_zone)
    hours: tuple[str, ...] = attrs.field(default=("09:00-17:00",) * 5 + ("", ""), converter=_hours)
    holidays: tuple[date, ...] = attrs.field(default=(), converter=_holidays)

    def _span(self, day: date) -> tuple[datetime, datetime] | None:
        """The working interval of local *day*, in UTC; ``None`` when closed."""
        if day in self.holidays:  # a short tuple: a set would not pay off
            return None
        window = _window(self.hours[day.weekday()])
        if window is None:
            return None
        zone = self.time_zone
        opens, closes = window
        return (
            datetime.combine(day, opens, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, closes, tzinfo=zone).astimezone(UTC),
        )

    def is_working_time(self, at: datetime) -> bool:
        """Whether the instant *at* (aware) falls in working time."""
        instant = require_aware("at", at).astimezone(UTC)
        day = instant.astimezone(self.time_zone).date()
        for d in (day - _DAY, day, day + _DAY):
            span = self._span(d)
            if span is not None and span[0] <= instant < span[1]:
                return True
        return False

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time in ``[start, end)`` (zero when *end* is not after *start*)."""
        lo = require_aware("start", start).astimezone(UTC)
        hi = require_aware("end", end).astimezone(UTC)
        total = timedelta(0)
        if hi <= lo:
            return total
        day = lo.astimezone(self.time_zone).date() - _DAY
        last = hi.astimezone(self.time_zone).date() + _DAY
        while day <= last:
            span = self._span(day)
            if span is not None:
                a, b = max(lo, span[0]), min(hi, span[1])
                if b > a:
                    total += b - a
            day += _DAY
        return total

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The first instant by which *amount* of working time has passed since *start*.

        The inverse of `working_time_between`: for the result ``end``,
        ``working_time_between(start, end) == amount``, and no earlier instant
        qualifies. A zero amount gives *start* itself. SLA due times use it.

        Examples:
            >>> from datetime import UTC, datetime, timedelta
            >>> cal = WorkingCalendar("UTC")  # 09:00-17:00 on weekdays
            >>> cal.add_working_time(datetime(2026, 1, 2, 16, tzinfo=UTC), timedelta(hours=2))
            datetime.datetime(2026, 1, 5, 10, 0, tzinfo=datetime.timezone.utc)
        """
        cursor = require_aware("start", start).astimezone(UTC)
        if not isinstance(amount, timedelta) or amount < timedelta(0):
            raise ValidationError("amount", amount, "give a non-negative timedelta")
        if amount == timedelta(0):
            return cursor
        if not any(self.hours):
            raise ValidationError(
                "hours", self.hours, "a calendar without working hours never adds time"
            )
        left = amount
        day = cursor.astimezone(self.time_zone).date() - _DAY
        while True:
            span = self._span(day)
            if span is not None and span[1] > cursor:
                begin = max(cursor, span[0])
                if begin + left <= span[1]:
                    return begin + left
                left -= span[1] - begin
                cursor = span[1]
            day += _DAY


def _pattern(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or "{seq" not in value:
        raise ValidationError(
            f"numbering.{attribute.name}", value, "a format with {seq}, e.g. 'INV-{year}-{seq:06d}'"
        )
    try:
        value.format(year=2026, seq=1)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ValidationError(
            f"numbering.{attribute.name}",
            value,
            f"not a valid format ({exc!r}); use the fields {{year}} and {{seq}} only",
        ) from None


@attrs.frozen
class NumberingScheme:
    """How a business prints its document numbers.

    A format with ``{year}`` restarts at 1 every year (the business's year);
    one without runs on forever.

    Examples:
        >>> NumberingScheme().invoices.format(year=2026, seq=42)
        'INV-2026-000042'
        >>> NumberingScheme.with_prefixes("F", "AV").credit_notes
        'AV-{year}-{seq:06d}'

    Attributes:
        invoices: Format of invoice numbers.
        credit_notes: Format of credit note numbers.
    """

    invoices: str = attrs.field(default="INV-{year}-{seq:06d}", validator=_pattern)
    credit_notes: str = attrs.field(default="CN-{year}-{seq:06d}", validator=_pattern)

    @classmethod
    def with_prefixes(cls, invoices: str = "INV", credit_notes: str = "CN") -> NumberingScheme:
        """Today's layout, ``<prefix>-<year>-<6 digits>``, with other prefixes."""
        for field, prefix in (("invoice_prefix", invoices), ("credit_note_prefix", credit_notes)):
            if not isinstance(prefix, str) or not prefix or "{" in prefix or "}" in prefix:
                raise ValidationError(field, prefix, "give a short text without braces")
        return cls(f"{invoices}-{{year}}-{{seq:06d}}", f"{credit_notes}-{{year}}-{{seq:06d}}")


def require_key(field: str, value: object) -> str:
    """*value* if it can be a business key: non-empty text without ``:`` or edge spaces."""
    if not isinstance(value, str) or not _KEY.fullmatch(value) or value != value.strip():
        raise ValidationError(
            field, value, "name the business: non-empty text without ':', e.g. 'studio'"
        )
    return value


def _key(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    require_key(attribute.name, value)


def _currency(value: object) -> str | None:
    if value is None:
        return None
    return (value if isinstance(value, Currency) else Currency.of(value)).code  # type: ignore[arg-type]


@attrs.frozen
class Business:
    """Whose documents these are: a key, a zone and calendar, a currency, a numbering.

    Examples:
        >>> from datetime import UTC, datetime
        >>> studio = Business.create("studio", time_zone="Pacific/Kiritimati")
        >>> studio.today(datetime(2026, 12, 31, 11, tzinfo=UTC))
        datetime.date(2027, 1, 1)
        >>> studio.name, studio.numbering.invoices
        ('studio', 'INV-{year}-{seq:06d}')

    Attributes:
        key: The business's key, stored on each of its records (``"studio"``).
        name: Its display name (default: the key).
        calendar: Its time zone and working hours.
        currency: Its default currency's ISO code, or ``None`` when not set.
        numbering: How its invoices and credit notes are numbered.
    """

    key: str = attrs.field(validator=_key)
    name: str = attrs.field(default=attrs.Factory(lambda self: self.key, takes_self=True))
    calendar: WorkingCalendar = attrs.field(factory=lambda: WorkingCalendar("UTC"))
    currency: str | None = attrs.field(default=None, converter=_currency)
    numbering: NumberingScheme = attrs.field(factory=NumberingScheme)

    @classmethod
    def create(
        cls,
        key: str,
        *,
        name: str | None = None,
        time_zone: ZoneInfo | str = "UTC",
        hours: Iterable[str] | None = None,
        holidays: Iterable[date] = (),
        currency: Currency | str | None = None,
        numbering: NumberingScheme | None = None,
    ) -> Business:
        """A business from plain values (defaults: UTC, 09:00-17:00 on weekdays, INV/CN)."""
        calendar = (
            WorkingCalendar(time_zone, holidays=holidays)
            if hours is None
            else WorkingCalendar(time_zone, tuple(hours), holidays)
        )
        return cls(
            key,
            key if name is None else name,
            calendar,
            currency,
            NumberingScheme() if numbering is None else numbering,
        )

    @property
    def id(self) -> str:
        """Its storage id: the key."""
        return self.key

    @property
    def time_zone(self) -> ZoneInfo:
        """The business's zone (its calendar's)."""
        return self.calendar.time_zone

    def today(self, at: datetime) -> date:
        """The business's local date at the instant *at*: it numbers documents."""
        return at.astimezone(self.calendar.time_zone).date()
