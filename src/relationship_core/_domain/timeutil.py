"""Validation of datetimes, dates and IANA time zones."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relationship_core.exceptions import ValidationError

__all__ = ["require_aware", "require_date", "to_zone"]


def require_aware(field: str, value: object) -> datetime:
    """Return *value* if it is an aware datetime; refuse naive ones and other types."""
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "expected a time zone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(
            field, value, "naive datetimes are refused; attach a time zone (e.g. tzinfo=UTC)"
        )
    return value


def require_date(field: str, value: object) -> date:
    """Return *value* if it is a calendar date (and not a datetime)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(field, value, "expected a calendar date (datetime.date)")
    return value


def to_zone(field: str, value: object) -> ZoneInfo:
    """Accept a ``ZoneInfo`` or an IANA key such as ``"Europe/Paris"``."""
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str) or not value:
        raise ValidationError(
            field, value, "expected an IANA time zone name such as 'Europe/Paris'"
        )
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            field, value, "unknown IANA time zone; use a name such as 'Europe/Paris'"
        ) from None
