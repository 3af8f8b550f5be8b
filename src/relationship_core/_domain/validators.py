"""attrs validators and converters that raise `ValidationError` naming the field."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.exceptions import ValidationError

__all__ = ["a_date", "aware", "non_empty_text", "optional_text", "to_enum"]

E = TypeVar("E", bound=enum.Enum)


def non_empty_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse anything but text with at least one non-space character."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(attribute.name, value, "must be non-empty text")


def optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like `non_empty_text`, but ``None`` is allowed."""
    if value is not None:
        non_empty_text(instance, attribute, value)


def aware(instance: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    """Refuse naive datetimes."""
    require_aware(attribute.name, value)


def a_date(instance: object, attribute: attrs.Attribute[date], value: object) -> None:
    """Refuse anything but a calendar date."""
    require_date(attribute.name, value)


def to_enum(cls: type[E], field: str, value: object) -> E:
    """Accept a member of *cls* or its value; name the choices on failure."""
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in cls)
        raise ValidationError(field, value, f"expected one of {choices}") from None
