"""Cell parsers: text to dates, instants, decimals, money, lists and booleans.

Each parser takes the cell's text and raises `ValidationError` naming the
column and the value; the caller adds the line. Money is `Decimal` with a
currency, never a float; instants are always aware: a naive one is read in
the import's time zone.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from relationship_core.exceptions import ValidationError

__all__ = ["parse_bool", "parse_date", "parse_datetime", "parse_decimal", "split_list"]

_EPOCH_MS = re.compile(r"^\d{12,14}$")
_TRUE = frozenset({"1", "true", "yes", "y", "x", "ja", "oui"})
_FALSE = frozenset({"0", "false", "no", "n", "", "nein", "non"})


def _formats(fmt: str | None) -> tuple[str, ...]:
    return () if fmt is None else (fmt,)


def parse_datetime(column: str, text: str, zone: ZoneInfo, fmt: str | None = None) -> datetime:
    """An aware instant: ISO 8601, *fmt* (``strptime``), or Unix milliseconds (ClickUp).

    A value without an offset is local time in *zone*; a bare date is its midnight there.
    """
    value = text.strip()
    if _EPOCH_MS.match(value):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    parsed: datetime | None = None
    for candidate in _formats(fmt):
        with contextlib.suppress(ValueError):
            parsed = datetime.strptime(value, candidate)  # noqa: DTZ007 - given a zone below
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            hint = f" or {fmt!r}" if fmt else ""
            raise ValidationError(
                column, text, f"expected a date and time such as 2026-03-02 09:30{hint}"
            ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def parse_date(column: str, text: str, zone: ZoneInfo, fmt: str | None = None) -> date:
    """A calendar day: ISO (``2026-03-02``), *fmt*, or the local day of an instant."""
    value = text.strip()
    for candidate in _formats(fmt):
        try:
            return datetime.strptime(value, candidate).date()  # noqa: DTZ007 - a day, no instant
        except ValueError:
            pass
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parse_datetime(column, value, zone).astimezone(zone).date()
    except ValidationError:
        hint = f" or {fmt!r}" if fmt else ""
        raise ValidationError(column, text, f"expected a date such as 2026-03-02{hint}") from None


def parse_decimal(column: str, text: str, decimal_mark: str = ".") -> Decimal:
    """An exact number: ``1234.5``, ``1,234.50``, ``1 234,50`` (with ``decimal_mark=","``).

    Spaces, apostrophes and the other mark are taken as thousands separators.
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    other = "," if decimal_mark == "." else "."
    value = value.replace(other, "")
    if decimal_mark != ".":
        value = value.replace(decimal_mark, ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        mark = "a comma" if decimal_mark == "," else "a point"
        raise ValidationError(column, text, f"expected a number with {mark} for decimals")
    return number


def parse_bool(column: str, text: str) -> bool:
    """Yes or no: ``true/false``, ``yes/no``, ``1/0``, ``x`` (an empty cell is no)."""
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(column, text, "expected yes or no (true/false, 1/0)")


def split_list(text: str) -> list[str]:
    """The items of a multi-valued cell, separated by ``;`` or ``,`` (empty ones dropped).

    ClickUp writes lists in brackets (``[vip,retail]``); the brackets are dropped.
    """
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    separator = ";" if ";" in text else ","
    return [item.strip() for item in text.split(separator) if item.strip()]
