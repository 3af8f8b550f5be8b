"""attrs validators and converters that raise `ValidationError` naming the field.

This is the one validator idiom of the domain: every text field goes through
`check_text` (type, blankness, and the characters no store can hold), every
collection argument through `items` (a wrong type is a `ValidationError`,
never the ``TypeError`` of iterating it). Field-specific rules build on them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.exceptions import ValidationError

__all__ = [
    "a_bool",
    "a_date",
    "aware",
    "check_text",
    "identifier",
    "items",
    "non_empty_text",
    "optional_text",
    "plain_text",
    "to_enum",
    "tuple_of",
]

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")

# Lone surrogates cannot be encoded as UTF-8, so no backend stores them the
# same way (PostgreSQL refuses them): refused everywhere. Names, ids, tags and
# titles are single-line labels: NUL (which PostgreSQL refuses in indexed
# text) and the other C0/C1 controls are refused there too. Free text
# (summaries, notes) is kept as given apart from the surrogates.
_BAD_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_IN_TEXT = re.compile("[\ud800-\udfff]")


def check_text(
    field: str,
    value: object,
    *,
    blank: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
) -> str:
    """Return *value* if it is text a store can hold; otherwise `ValidationError`.

    Args:
        field: Name of the field, for the error.
        value: The candidate.
        blank: Whether empty or all-space text is allowed.
        multiline: Free text: line breaks and other controls are kept (only
            unpaired surrogates are refused).
        max_length: The most characters allowed, if limited.
    """
    if not isinstance(value, str):
        raise ValidationError(field, value, "expected text (a str)")
    if not blank and not value.strip():
        raise ValidationError(field, value, "must be non-empty text")
    bad = (_BAD_IN_TEXT if multiline else _BAD_IN_LINE).search(value)
    if bad is not None:
        char = bad.group()
        what = "an unpaired surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        raise ValidationError(
            field, value, f"contains {what} ({char!r} at {bad.start()}); remove it"
        )
    if max_length is not None and len(value) > max_length:
        raise ValidationError(field, value, f"longer than {max_length} characters")
    return value


def items(field: str, value: object) -> list[object]:
    """The elements of a collection argument; a non-collection is a `ValidationError`.

    Text, bytes and mappings are refused too: iterating them would silently
    yield characters, ints or keys.
    """
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(field, value, "expected a list or tuple")
    try:
        return list(value)
    except ValidationError:
        raise
    except Exception as exc:  # a broken iterator is still bad input
        raise ValidationError(field, value, f"could not be read as a list: {exc}") from None


def tuple_of(field: str, element: type[T], value: object) -> tuple[T, ...]:
    """*value* as a tuple whose elements must all be *element* instances."""
    result = items(field, value)
    for index, item in enumerate(result):
        if not isinstance(item, element):
            raise ValidationError(f"{field}[{index}]", item, f"expected a {element.__name__}")
    return tuple(result)  # type: ignore[arg-type]  # checked just above


def non_empty_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse anything but single-line text with at least one non-space character."""
    check_text(attribute.name, value)


#: The longest id accepted: generated ids are 26 characters; imported ones may be longer.
MAX_ID_LENGTH = 255


def identifier(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An id or a reference to one: single-line text of at most `MAX_ID_LENGTH` characters."""
    check_text(attribute.name, value, max_length=MAX_ID_LENGTH)


def optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like `non_empty_text`, but ``None`` is allowed."""
    if value is not None:
        check_text(attribute.name, value)


def plain_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Free text, possibly empty or multi-line (summaries, notes); see `check_text`."""
    check_text(attribute.name, value, blank=True, multiline=True)


def a_bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse anything but ``True`` or ``False`` (``1`` and ``"yes"`` are not flags)."""
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "expected True or False")


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
    except (ValueError, TypeError):  # TypeError: an unhashable value
        choices = ", ".join(repr(member.value) for member in cls)
        raise ValidationError(field, value, f"expected one of {choices}") from None
