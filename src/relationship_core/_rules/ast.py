"""The parsed form of a condition: small frozen nodes, shared by the text and JSON forms.

Equality ignores where a node came from (``pos``), so a condition read from text
equals the same condition read from JSON. `to_text` renders the canonical text,
which parses back to an equal tree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

import attrs

from relationship_core._domain.money import Money

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "UNITS",
    "And",
    "Call",
    "Compare",
    "Condition",
    "Duration",
    "Exists",
    "Expr",
    "IsTrue",
    "ListLiteral",
    "Literal",
    "LiteralValue",
    "Not",
    "Now",
    "Or",
    "Path",
    "Shift",
    "to_text",
]

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "matches")
FUNCTIONS = {"lower": 1, "upper": 1, "len": 1, "startswith": 2, "endswith": 2}
UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
"""Duration units and their length in seconds (days and weeks are calendar days)."""


@attrs.frozen
class Duration:
    """A whole number of minutes, hours, days or weeks (``3 days``)."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


LiteralValue: TypeAlias = str | int | Decimal | bool | Money | Duration | date | datetime | None


@attrs.frozen
class Path:
    """A dotted name into the context: ``order.total``."""

    names: tuple[str, ...]
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Literal:
    """A constant: string, number, boolean, null, money, duration, date or datetime."""

    value: LiteralValue
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class ListLiteral:
    """A list of constants, for ``in``."""

    items: tuple[Literal, ...]
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Now:
    """The context's current time."""

    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Shift:
    """A date or datetime moved by a duration: ``now - 3 days``."""

    op: str
    base: Expr
    duration: Duration
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Call:
    """One of the bounded built-in functions (`FUNCTIONS`)."""

    name: str
    args: tuple[Expr, ...]
    pos: int = attrs.field(default=0, eq=False, repr=False)


Expr: TypeAlias = Path | Literal | ListLiteral | Now | Shift | Call


@attrs.frozen
class Compare:
    """``left OP right`` for one of `COMPARISONS`."""

    op: str
    left: Expr
    right: Expr
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Exists:
    """``exists path``: the path resolves to a value that is not null."""

    path: Path
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class IsTrue:
    """A value used as a condition: true only when it is exactly ``true``."""

    value: Expr
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class And:
    """All of the items."""

    items: tuple[Condition, ...]
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Or:
    """Any of the items."""

    items: tuple[Condition, ...]
    pos: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen
class Not:
    """The item is false."""

    item: Condition
    pos: int = attrs.field(default=0, eq=False, repr=False)


Condition: TypeAlias = Compare | Exists | IsTrue | And | Or | Not


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _number(value: int | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    return format(value, "f")


def _literal_text(value: LiteralValue) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int | Decimal):
        return _number(value)
    if isinstance(value, Money):
        return f"{_number(value.amount)} {value.currency.code}"
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, datetime):
        return f"datetime({_quote(value.isoformat())})"
    return f"date({_quote(value.isoformat())})"


def to_text(node: Condition | Expr) -> str:
    """The canonical text of *node*; it parses back to an equal node."""
    match node:
        case Path(names=names):
            return ".".join(names)
        case Literal(value=value):
            return _literal_text(value)
        case ListLiteral(items=items):
            return "[" + ", ".join(to_text(item) for item in items) + "]"
        case Now():
            return "now"
        case Shift(op=op, base=base, duration=duration):
            return f"{to_text(base)} {op} {duration}"
        case Call(name=name, args=args):
            return f"{name}(" + ", ".join(to_text(a) for a in args) + ")"
        case Compare(op=op, left=left, right=right):
            return f"{to_text(left)} {op} {to_text(right)}"
        case Exists(path=path):
            return f"exists {to_text(path)}"
        case IsTrue(value=value):
            return to_text(value)
        case And(items=items):
            return " and ".join(_grouped(item) for item in items)
        case Or(items=items):
            return " or ".join(_grouped(item) for item in items)
        case Not(item=item):
            inner = to_text(item)
            return f"not {inner}" if isinstance(item, Not) else f"not ({inner})"
    raise AssertionError(node)  # pragma: no cover - the match is exhaustive


def _grouped(item: Condition) -> str:
    # Nested groups keep their parentheses (even of the same kind), so the text
    # parses back to the same tree rather than a flattened one.
    text = to_text(item)
    return f"({text})" if isinstance(item, And | Or) else text
