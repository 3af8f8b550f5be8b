"""Small validators shared by the billing modules; each names the field and the value."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from typing import TypeVar

from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money
from relationship_core._domain.validators import check_text
from relationship_core.exceptions import ValidationError

__all__ = [
    "require_count",
    "require_instance",
    "require_decimal",
    "require_money",
    "require_non_negative_money",
    "require_range",
    "require_text",
]

T = TypeVar("T")


def require_instance(field: str, value: object, cls: type[T]) -> T:
    """Return *value* if it is a *cls*: the check public billing functions make at the edge.

    Inside, values are trusted; a wrong type caught here is a `ValidationError`
    naming the argument instead of an ``AttributeError`` deep in the code.
    """
    if not isinstance(value, cls):
        raise ValidationError(field, value, f"expected a {cls.__name__}")
    return value


def require_count(field: str, value: object, *, minimum: int = 1) -> int:
    """Return *value* if it is an ``int`` (not a bool) of at least *minimum*."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValidationError(field, value, f"expected a whole number of at least {minimum}")
    return value


def require_decimal(
    field: str, value: object, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    """Coerce an ``int``, ``str`` or ``Decimal`` to ``Decimal``; floats are refused."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str) and not isinstance(value, bool):
        try:
            number = Decimal(value)
        except decimal.InvalidOperation:
            raise ValidationError(field, value, "not a decimal number") from None
    else:
        raise ValidationError(field, value, "expected a str, int or Decimal (floats are inexact)")
    if not number.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    if minimum is not None and number < minimum:
        raise ValidationError(field, value, f"must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ValidationError(field, value, f"must be at most {maximum}")
    return number


def require_money(field: str, value: object, currency: Currency | None = None) -> Money:
    """Return *value* if it is `Money` (in *currency*, when given)."""
    if not isinstance(value, Money):
        raise ValidationError(field, value, "expected Money, e.g. Money('100.00', 'USD')")
    if currency is not None and value.currency != currency:
        raise ValidationError(
            field, value, f"expected an amount in {currency.code}; convert it first"
        )
    return value


def require_non_negative_money(
    field: str, value: object, currency: Currency | None = None
) -> Money:
    """Like `require_money`, and the amount must not be negative."""
    money = require_money(field, value, currency)
    if money.amount < 0:
        raise ValidationError(field, value, "cannot be negative")
    return money


def require_range(start_field: str, start: date, end_field: str, end: date) -> None:
    """Refuse an *end* that is not after *start*."""
    if end <= start:
        raise ValidationError(end_field, end, f"must be after {start_field}={start.isoformat()}")


def require_text(field: str, value: object) -> str:
    """Return *value* if it is non-blank single-line text a store can hold (`check_text`)."""
    return check_text(field, value)
