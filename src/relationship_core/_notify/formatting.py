"""Template filters for the recipient's locale and time zone, formatted by Babel."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import dates, numbers

from relationship_core._domain.money import Money
from relationship_core._notify.message import Recipient

__all__ = ["FILTERS", "for_recipient"]

_RECIPIENT: contextvars.ContextVar[Recipient | None] = contextvars.ContextVar(
    "relationship_core_notify_recipient", default=None
)
_DEFAULT = Recipient()


def _recipient() -> Recipient:
    return _RECIPIENT.get() or _DEFAULT


@contextmanager
def for_recipient(recipient: Recipient) -> Iterator[None]:
    """Format dates and money inside the block as *recipient* reads them."""
    token = _RECIPIENT.set(recipient)
    try:
        yield
    finally:
        _RECIPIENT.reset(token)


def money(value: Money, format: str | None = None) -> str:
    """``{{ invoice.total|money }}``: ``€1,234.50`` in en, ``1.234,50 €`` in de."""
    if not isinstance(value, Money):
        raise TypeError("the money filter formats a Money value")
    return numbers.format_currency(
        value.amount, str(value.currency), format=format, locale=_recipient().locale
    )


def number(value: int | Decimal) -> str:
    """``{{ hours|number }}``: grouping and decimal sign of the recipient's locale."""
    if isinstance(value, float | bool) or not isinstance(value, int | Decimal):
        raise TypeError("the number filter formats an int or a Decimal")
    return numbers.format_decimal(value, locale=_recipient().locale)


def local_date(value: date, format: str = "medium") -> str:
    """``{{ invoice.due|date }}``; an aware datetime is first moved to the recipient's zone."""
    recipient = _recipient()
    if isinstance(value, datetime):
        value = value.astimezone(recipient.time_zone).date()
    if not isinstance(value, date):
        raise TypeError("the date filter formats a date")
    return dates.format_date(value, format=format, locale=recipient.locale)


def local_datetime(value: datetime, format: str = "medium") -> str:
    """``{{ sent_at|datetime }}`` in the recipient's zone; naive datetimes are refused."""
    recipient = _recipient()
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise TypeError("the datetime filter formats an aware datetime")
    return dates.format_datetime(
        value, format=format, tzinfo=recipient.time_zone, locale=recipient.locale
    )


#: Filters every notification template has.
FILTERS: dict[str, Callable[..., Any]] = {
    "money": money,
    "number": number,
    "date": local_date,
    "datetime": local_datetime,
}
