"""Small validators shared by the lifecycle modules; each names the field and the value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from relationship_core.exceptions import ValidationError

T = TypeVar("T")

__all__ = [
    "lookup_stage",
    "optional_text",
    "require_bool",
    "require_mapping",
    "require_sequence",
    "require_text",
]


def require_text(field: str, value: object) -> str:
    """Return *value* if it is text with a non-space character."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, value, "must be non-empty text")
    return value


def optional_text(field: str, value: object) -> str | None:
    """Like `require_text`, but ``None`` passes."""
    return None if value is None else require_text(field, value)


def require_bool(field: str, value: object) -> bool:
    """Return *value* if it is a real ``bool`` (``1`` and ``"yes"`` are refused)."""
    if not isinstance(value, bool):
        raise ValidationError(field, value, "expected true or false")
    return value


def require_mapping(field: str, value: object) -> Mapping[str, Any]:
    """Return *value* if it is a mapping (a dict, or a table parsed from TOML)."""
    if not isinstance(value, Mapping):
        raise ValidationError(field, value, "expected a mapping (dict or TOML table)")
    return value


def require_sequence(field: str, value: object) -> Sequence[Any]:
    """Return *value* if it is a list or tuple (a bare string is refused)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError(field, value, "expected a list")
    return value


def lookup_stage(table: Mapping[str, T], name: object, field: str, owner: str) -> T:
    """The stage called *name* in *table*; an unknown name is refused, listing the known ones."""
    try:
        return table[name]  # type: ignore[index]  # a non-str name falls through to the error
    except (KeyError, TypeError):
        raise ValidationError(
            field, name, f"not a stage of {owner}; known: {', '.join(table)}"
        ) from None
