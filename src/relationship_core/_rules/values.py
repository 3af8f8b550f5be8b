"""The meaning of each operator on values: typed, total, and never raising.

Values fall into kinds (number, string, boolean, null, money, datetime, date).
Equality holds only within a kind (money: same currency too); ordering only within
an orderable kind, so ``500 USD < 600 EUR`` and ``"3" < 4`` are false, not errors:
an order in another currency simply does not match. Anything missing makes every
operator false (``not`` turns that into true).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from relationship_core._domain.money import Money
from relationship_core._rules.ast import UNITS, Duration
from relationship_core._rules.context import MISSING, normalize
from relationship_core._rules.limits import MAX_MATCH_SUBJECT

__all__ = [
    "ORDER",
    "KINDS",
    "call",
    "compare",
    "contains",
    "equal",
    "glob_match",
    "kind_of",
    "make_glob",
    "shift",
]

KINDS: dict[type, str] = {
    int: "number",
    float: "number",
    Decimal: "number",
    str: "string",
    bool: "boolean",
    type(None): "null",
    Money: "money",
    datetime: "datetime",
    date: "date",
}
ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERED = frozenset({"number", "string", "money", "datetime", "date"})
_COLLECTIONS = (list, tuple, set, frozenset)
_CONTAINERS = (*_COLLECTIONS, Mapping)


def kind_of(value: object) -> str | None:
    """The kind of *value*, or ``None`` for what the language cannot compare."""
    kind = KINDS.get(type(value))
    if kind == "datetime" and value.utcoffset() is None:  # type: ignore[attr-defined]
        return None  # naive datetimes never compare
    if kind == "number" and _is_nan(value):
        return None  # NaN is no number to compare (and a signalling Decimal NaN would raise)
    return kind


def _is_nan(value: object) -> bool:
    if type(value) is Decimal:
        return value.is_nan()
    return type(value) is float and math.isnan(value)


def equal(left: object, right: object) -> bool:
    """``left == right`` in the language."""
    kind = kind_of(left)
    if kind is None or kind != kind_of(right):
        return False
    if kind == "money":
        return bool(left.currency == right.currency and left.amount == right.amount)  # type: ignore[attr-defined]
    return left == right


def compare(op: str, left: object, right: object) -> bool:
    """One of ``== != < <= > >=`` in the language."""
    if left is MISSING or right is MISSING:
        return False
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    kind = kind_of(left)
    if kind not in _ORDERED or kind != kind_of(right):
        return False
    if kind == "money":
        if left.currency != right.currency:  # type: ignore[attr-defined]
            return False
        left, right = left.amount, right.amount  # type: ignore[attr-defined]
    return bool(ORDER[op](left, right))


def contains(container: object, item: object) -> bool:
    """``container contains item``: a substring of a string, or a member of a collection or mapping."""
    if item is MISSING:
        return False
    if type(container) is str:
        return type(item) is str and item in container
    if not isinstance(container, _CONTAINERS):
        return False
    if type(item) is str:  # the common case, without a call per member
        for member in container:
            if type(member) is not str:
                member = normalize(member)  # noqa: PLW2901
            if type(member) is str and member == item:
                return True
        return False
    return any(equal(item, normalize(member)) for member in container)


def glob_match(text: object, pattern: str) -> bool:
    """Whether *text* matches the glob *pattern* (``*`` any run, ``?`` one character, ``\\`` escapes)."""
    return make_glob(pattern)(text)


def make_glob(pattern: str) -> Callable[[object], bool]:
    """A matcher for the glob *pattern*, cut into pieces once.

    No regular expression is involved: the pattern is cut at each ``*`` and the pieces
    are found left to right, each at its earliest place, which is exact for globs and
    costs at most len(text) x len(pattern) character comparisons (both are bounded).
    """
    pieces = _pieces(pattern)

    def matches(text: object) -> bool:
        if type(text) is not str or len(text) > MAX_MATCH_SUBJECT:
            return False
        return _match(text, pieces)

    return matches


def _match(text: str, pieces: list[str | list[str | None]]) -> bool:
    if len(pieces) == 1:
        return len(text) == len(pieces[0]) and _fits(text, 0, pieces[0])
    first, *middle, last = pieces
    if len(text) < len(first) + len(last) or not _fits(text, 0, first):
        return False
    at = len(first)
    end = len(text) - len(last)
    for piece in middle:
        found = _find(text, piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return at <= end and _fits(text, end, last)


def _pieces(pattern: str) -> list[str | list[str | None]]:
    """The pattern cut at each unescaped ``*``; within a piece ``None`` stands for ``?``."""
    pieces: list[list[str | None]] = [[]]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            pieces[-1].append(pattern[i + 1])
            i += 2
            continue
        if char == "*":
            pieces.append([])
        else:
            pieces[-1].append(None if char == "?" else char)
        i += 1
    return [piece if None in piece else "".join(str(char) for char in piece) for piece in pieces]


def _fits(text: str, at: int, piece: str | list[str | None]) -> bool:
    if type(piece) is str:
        return text.startswith(piece, at)
    if at + len(piece) > len(text):
        return False
    return all(char is None or text[at + k] == char for k, char in enumerate(piece))


def _find(text: str, piece: str | list[str | None], start: int, end: int) -> int:
    if type(piece) is str:
        return text.find(piece, start, end)
    for at in range(start, end - len(piece) + 1):
        if _fits(text, at, piece):
            return at
    return -1


def shift(value: object, sign: int, duration: Duration) -> object:
    """*value* moved by *duration*: days and weeks on the local calendar, hours and minutes in elapsed time."""
    seconds = sign * duration.amount * UNITS[duration.unit]
    try:
        if type(value) is datetime and value.utcoffset() is not None:
            if duration.unit in ("day", "week"):
                return value + timedelta(seconds=seconds)  # wall clock: same local time
            return (value.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(value.tzinfo)
        if type(value) is date and duration.unit in ("day", "week"):
            return value + timedelta(seconds=seconds)
    except OverflowError:
        return MISSING
    return MISSING


def call(name: str, args: list[object]) -> object:
    """One of the bounded built-in functions; `MISSING` when an argument has the wrong kind."""
    first = args[0]
    if name == "len":
        if isinstance(first, _CONTAINERS) or type(first) is str:
            return len(first)
        return MISSING
    if type(first) is not str:
        return MISSING
    if name == "lower":
        return first.lower()
    if name == "upper":
        return first.upper()
    second = args[1]
    if type(second) is not str:
        return MISSING
    if name == "startswith":
        return first.startswith(second)
    return first.endswith(second)
