"""A straightforward tree-walking interpreter: the meaning the compiler must reproduce.

Written independently of the compiler, as plainly as possible; slow, and fine.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from relationship_core import Money
from relationship_core._rules.ast import (
    And,
    Call,
    Compare,
    Condition,
    Exists,
    Expr,
    IsTrue,
    ListLiteral,
    Literal,
    Not,
    Now,
    Or,
    Path,
    Shift,
)

ABSENT = object()
SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def kind(v: object) -> str | None:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | Decimal | float):
        return "num"
    if isinstance(v, str):
        return "str"
    if v is None:
        return "null"
    if isinstance(v, Money):
        return "money:" + v.currency.code
    if isinstance(v, datetime):
        return "datetime"
    if isinstance(v, date):
        return "date"
    return None


def value(e: Expr, roots: dict[str, dict[str, object]], now: datetime) -> object:  # noqa: PLR0912
    if isinstance(e, Path):
        v: object = roots
        for name in e.names:
            v = v.get(name, ABSENT) if isinstance(v, dict) else ABSENT
        return v
    if isinstance(e, Literal):
        return e.value
    if isinstance(e, ListLiteral):
        return [i.value for i in e.items]
    if isinstance(e, Now):
        return now
    if isinstance(e, Shift):
        base = value(e.base, roots, now)
        delta = timedelta(seconds=SECONDS[e.duration.unit] * e.duration.amount)
        if e.op == "-":
            delta = -delta
        if isinstance(base, datetime):
            # every test datetime is UTC, where calendar and clock agree
            return (base.astimezone(UTC) + delta).astimezone(base.tzinfo)
        return ABSENT
    assert isinstance(e, Call)
    args = [value(a, roots, now) for a in e.args]
    if e.name == "len":
        return len(args[0]) if isinstance(args[0], str | list) else ABSENT
    if not all(isinstance(a, str) for a in args):
        return ABSENT
    a0 = str(args[0])
    if e.name == "lower":
        return a0.lower()
    if e.name == "upper":
        return a0.upper()
    if e.name == "startswith":
        return a0.startswith(str(args[1]))
    return a0.endswith(str(args[1]))


def eq(a: object, b: object) -> bool:
    ka = kind(a)
    return ka is not None and ka == kind(b) and a == b


def holds(c: Condition, roots: dict[str, dict[str, object]], now: datetime) -> bool:  # noqa: PLR0912
    if isinstance(c, And):
        return all(holds(i, roots, now) for i in c.items)
    if isinstance(c, Or):
        return any(holds(i, roots, now) for i in c.items)
    if isinstance(c, Not):
        return not holds(c.item, roots, now)
    if isinstance(c, Exists):
        return value(c.path, roots, now) not in (ABSENT, None)
    if isinstance(c, IsTrue):
        return value(c.value, roots, now) is True
    assert isinstance(c, Compare)
    a, b = value(c.left, roots, now), value(c.right, roots, now)
    if a is ABSENT or b is ABSENT:
        return False
    if c.op == "==":
        return eq(a, b)
    if c.op == "!=":
        return not eq(a, b)
    if c.op in ("<", "<=", ">", ">="):
        if kind(a) != kind(b) or kind(a) in (None, "bool", "null"):
            return False
        if isinstance(a, Money) and isinstance(b, Money):
            a, b = a.amount, b.amount
        return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[c.op])  # type: ignore[operator]
    if c.op == "matches":
        return isinstance(a, str) and fnmatch.fnmatchcase(a, str(b))
    if c.op == "contains":
        a, b = b, a
    inside = (isinstance(b, str) and isinstance(a, str) and a in b) or (
        isinstance(b, list) and any(eq(a, x) for x in b)
    )
    return inside if c.op in ("in", "contains") else not inside
