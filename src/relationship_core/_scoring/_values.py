"""Checks and conversions shared by the scoring model: points, durations, names."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from relationship_core.exceptions import ValidationError

__all__ = ["duration_text", "to_duration", "to_points", "to_text"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhms])\s*$")
_UNIT = {"d": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000}
MICROSECOND = timedelta(microseconds=1)


def to_points(field: str, value: object) -> Decimal:
    """A finite Decimal from an int, a Decimal, decimal text or a float (through its text)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValidationError(field, value, "expected a number such as 10 or '2.5'")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValidationError(field, value, "expected a number such as 10 or '2.5'") from None
    if not number.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    return number


def to_duration(field: str, value: object) -> timedelta:
    """A positive duration from a `timedelta` or text such as ``"14d"``, ``"36h"``, ``"90m"``."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        micros = Decimal(match.group(1)) * _UNIT[match.group(2)]
        duration = timedelta(microseconds=int(micros))
    else:
        raise ValidationError(
            field, value, "expected a duration such as '14d', '36h', '90m' or a timedelta"
        )
    if duration <= timedelta(0):
        raise ValidationError(field, value, "a duration must be longer than zero")
    return duration


def duration_text(duration: timedelta) -> str:
    """The exact, shortest text `to_duration` reads back: ``"14d"``, ``"36h"``, ``"1.5s"``."""
    micros = duration // MICROSECOND
    for unit in "dhm":
        if micros % _UNIT[unit] == 0:
            return f"{micros // _UNIT[unit]}{unit}"
    return f"{Decimal(micros) / _UNIT['s']}s"


def to_text(field: str, value: object) -> str:
    """Non-empty text, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, "must be non-empty text")
    return value.strip()


def comparable(field: str, value: object) -> Decimal | date | datetime | str | bool:
    """A value a fit criterion may compare with: text, a number, a date or a boolean."""
    if isinstance(value, bool | str | date):
        return value
    if isinstance(value, int | float | Decimal):
        return to_points(field, value)
    raise ValidationError(field, value, "expected text, a number, a date or true/false")
