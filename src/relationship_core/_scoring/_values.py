"""Checks and conversions shared by the scoring model: points, durations, names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from relationship_core.exceptions import ValidationError

__all__ = [
    "canonical_value",
    "cap_value",
    "comparable",
    "decimal_text",
    "duration_text",
    "half_life_value",
    "orderable",
    "precision_value",
    "score_value",
    "to_duration",
    "to_points",
    "to_text",
    "value_set",
    "window_value",
]

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


def cap_value(value: object) -> Decimal | None:
    """A cap: a number, zero or more (``None``: no cap)."""
    if value is None:
        return None
    cap = to_points("cap", value)
    if cap < 0:
        raise ValidationError("cap", value, "a cap is a limit on size, zero or more")
    return cap


def half_life_value(value: object) -> timedelta | None:
    """An optional half-life."""
    return None if value is None else to_duration("half_life", value)


def window_value(value: object) -> timedelta | None:
    """An optional window."""
    return None if value is None else to_duration("window", value)


def score_value(value: object) -> Decimal:
    """A threshold's score."""
    return to_points("score", value)


def value_set(value: Iterable[object]) -> frozenset[object]:
    """The values an ``in`` criterion accepts."""
    return frozenset(value)


def orderable(field: str, value: object) -> Decimal | date:
    """A range bound: a number or a date."""
    checked = comparable(field, value)
    if isinstance(checked, bool | str):
        raise ValidationError(field, value, "a range bound is a number or a date")
    return checked


def canonical_value(value: object) -> object:
    """A value as the canonical mapping writes it (tagged Decimals and dates)."""
    if isinstance(value, Decimal):
        return {"decimal": decimal_text(value)}
    if isinstance(value, datetime | date):
        return {"date": value.isoformat()}
    return value


def decimal_text(value: Decimal) -> str:
    """One text per number: ``10``, ``10.0`` and ``1E+1`` all give ``"10"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def precision_value(value: object) -> Decimal:
    """A model's precision: a power of ten."""
    quantum = to_points("precision", value)
    if quantum <= 0 or quantum != Decimal(1).scaleb(quantum.adjusted()):
        raise ValidationError("precision", value, "use a power of ten such as '0.01' or '1'")
    return quantum
