"""The JSON form of conditions, for rules stored as data (in the manner of JSON Logic).

Every node is an object with one key naming the operator and its arguments as the
value: ``{"and": [{">=": [{"var": "order.total"}, {"money": ["500", "EUR"]}]}, ...]}``.
Refusals are `ConditionError` with a JSON path (``$.and[0]['>='][1]``). A condition
accepted here always has a text form accepted by the parser, and the two give
equal trees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from relationship_core._domain.money import Money
from relationship_core._rules.ast import (
    FUNCTIONS,
    UNITS,
    And,
    Call,
    Compare,
    Condition,
    Duration,
    Exists,
    Expr,
    IsTrue,
    ListLiteral,
    Literal,
    LiteralValue,
    Not,
    Now,
    Or,
    Path,
    Shift,
    to_text,
)
from relationship_core._rules.errors import ConditionError
from relationship_core._rules.lexer import KEYWORDS
from relationship_core._rules.limits import MAX_DEPTH, MAX_LENGTH, MAX_MATCHES, MAX_NODES
from relationship_core._rules.parser import (
    check_duration,
    check_pattern,
    parse_date,
    parse_datetime,
)
from relationship_core.exceptions import ValidationError

__all__ = ["from_json", "load_json", "to_json"]

_COMPARE = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "matches")
_CONDITION_KEYS = ("and", "or", "not", "exists", *_COMPARE)
_VALUE_KEYS = (
    "var",
    "now",
    "+",
    "-",
    "money",
    "duration",
    "decimal",
    "date",
    "datetime",
    *FUNCTIONS,
)
_UNIT_NAMES = {f"{unit}{plural}": unit for unit in UNITS for plural in ("", "s")}
_MAX_INT = 10**30


def _name_ok(name: str) -> bool:
    return (
        bool(name)
        and name[0].isascii()
        and name[0].isalpha()
        and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)
    )


class _Reader:
    def __init__(self) -> None:
        self.nodes = 0
        self.matches = 0

    def fail(
        self, path: str, node: object, problem: str, allowed: tuple[str, ...] = ()
    ) -> ConditionError:
        shown = node if isinstance(node, str | int | float | bool | None) else _short(node)
        return ConditionError(path, shown, problem, allowed=allowed)

    def count(self, path: str, node: object, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(
                path,
                node,
                f"the condition has more than {MAX_NODES} nodes",
                ("split it into several rules",),
            )
        if depth > MAX_DEPTH:
            raise self.fail(path, node, f"the condition nests deeper than {MAX_DEPTH} levels")

    def single(self, path: str, node: object, keys: tuple[str, ...]) -> tuple[str, object, str]:
        if not isinstance(node, Mapping) or len(node) != 1:
            raise self.fail(path, node, "expected an object with exactly one operator key", keys)
        ((key, arg),) = node.items()
        if key not in keys:
            raise self.fail(path, key, "unknown operator", keys)
        return key, arg, f"{path}[{key!r}]"

    def args(self, path: str, arg: object, count: int | None) -> list[Any]:
        if not isinstance(arg, list):
            raise self.fail(path, arg, "expected a list of arguments", ("[...]",))
        if count is not None and len(arg) != count:
            raise self.fail(path, arg, f"expected {count} arguments, got {len(arg)}")
        return arg

    # -- conditions -------------------------------------------------------------

    def condition(self, node: object, path: str, depth: int) -> Condition:
        operator = next(iter(node)) if isinstance(node, Mapping) and len(node) == 1 else None
        if operator not in _CONDITION_KEYS:
            if isinstance(node, Mapping) and operator not in _VALUE_KEYS:
                self.single(path, node, (*_CONDITION_KEYS, *_VALUE_KEYS))  # says what is wrong
            return IsTrue(self.value(node, path, depth))  # a value as a condition: is it true?
        self.count(path, node, depth)
        key, arg, here = self.single(path, node, _CONDITION_KEYS)
        if key in ("and", "or"):
            items = self.args(here, arg, None)
            if len(items) < 2:
                raise self.fail(here, arg, f"{key} takes at least two conditions")
            parts = tuple(
                self.condition(item, f"{here}[{i}]", depth + 1) for i, item in enumerate(items)
            )
            return And(parts) if key == "and" else Or(parts)
        if key == "not":
            return Not(self.condition(arg, here, depth + 1))
        if key == "exists":
            found = self.value(arg, here, depth + 1)
            if not isinstance(found, Path):
                raise self.fail(here, arg, "exists takes a path", ('{"var": "order.total"}',))
            return Exists(found)
        left, right = self.args(here, arg, 2)
        left_value = self.value(left, f"{here}[0]", depth + 1)
        right_value = self.value(right, f"{here}[1]", depth + 1)
        if key == "matches":
            self.matches += 1
            if self.matches > MAX_MATCHES:
                raise self.fail(here, arg, f"at most {MAX_MATCHES} matches per condition")
            problem = check_pattern(right)
            if problem:
                raise self.fail(f"{here}[1]", right, problem, ('"*@example.com"',))
        return Compare(key, left_value, right_value)

    # -- values -----------------------------------------------------------------

    def value(self, node: object, path: str, depth: int) -> Expr:
        self.count(path, node, depth)
        if isinstance(node, list):
            return ListLiteral(
                tuple(
                    self.list_item(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node)
                )
            )
        if not isinstance(node, Mapping):
            return Literal(self.scalar(node, path))
        key, arg, here = self.single(path, node, _VALUE_KEYS)
        if key == "var":
            return self.var(arg, here)
        if key == "now":
            if arg not in ([], None):
                raise self.fail(here, arg, "now takes no arguments", ('{"now": []}',))
            return Now()
        if key in ("+", "-"):
            base, duration = self.args(here, arg, 2)
            base_value = self.value(base, f"{here}[0]", depth + 1)
            shift = self.value(duration, f"{here}[1]", depth + 1)
            if not isinstance(shift, Literal) or not isinstance(shift.value, Duration):
                raise self.fail(
                    f"{here}[1]",
                    duration,
                    f"{key} takes a duration on its right",
                    ('{"duration": [3, "days"]}',),
                )
            if isinstance(base_value, ListLiteral) or (
                isinstance(base_value, Literal) and not isinstance(base_value.value, date)
            ):
                raise self.fail(
                    f"{here}[0]",
                    base,
                    "only a date or time can be shifted by a duration",
                    ('{"now": []}', '{"var": "..."}'),
                )
            return Shift(key, base_value, shift.value)
        if key in FUNCTIONS:
            items = self.args(here, arg, FUNCTIONS[key])
            return Call(
                key,
                tuple(self.value(item, f"{here}[{i}]", depth + 1) for i, item in enumerate(items)),
            )
        return Literal(self.typed(key, arg, here))

    def list_item(self, node: object, path: str, depth: int) -> Literal:
        found = self.value(node, path, depth)
        if not isinstance(found, Literal):
            raise self.fail(
                path,
                node,
                "lists hold constants only",
                ("strings", "numbers", "true", "false", "null", '{"money": [...]}'),
            )
        return found

    def var(self, arg: object, path: str) -> Path:
        if not isinstance(arg, str):
            raise self.fail(path, arg, "var takes a dotted path as a string", ('"order.total"',))
        names = tuple(arg.split("."))
        for name in names:
            if not _name_ok(name):
                raise self.fail(
                    path,
                    arg,
                    f"{name!r} is not a name: names start with a letter and hold letters, digits and _",
                )
        if names[0] in KEYWORDS:
            raise self.fail(
                path,
                arg,
                f"{names[0]!r} is a keyword, not a name",
                ('{"now": []}' if names[0] == "now" else "another name",),
            )
        return Path(names)

    def scalar(self, node: object, path: str) -> LiteralValue:
        if node is None or isinstance(node, bool | str):
            return node
        if isinstance(node, int):
            if abs(node) >= _MAX_INT:
                raise self.fail(path, node, "numbers are below 10**30")
            return node
        if isinstance(node, float):
            return self.number(repr(node), path, node)  # the shortest text that reads back as it
        if isinstance(node, Decimal):
            return self.number(str(node), path, str(node))
        raise self.fail(
            path,
            node,
            "not a JSON value",
            ("strings", "numbers", "true", "false", "null", "objects", "lists"),
        )

    def number(self, text: str, path: str, node: object) -> int | Decimal:
        body = text[1:] if text.startswith("-") else text
        whole, _, fraction = body.partition(".")
        if not (
            whole.isdigit()
            and whole.isascii()
            and (not fraction or (fraction.isdigit() and fraction.isascii()))
            and len(body) <= 40
        ):
            raise self.fail(
                path,
                node,
                "not a plain decimal number (no exponent, at most 40 characters)",
                ('"12.50"',),
            )
        return Decimal(text) if fraction else int(text)

    def typed(self, key: str, arg: object, path: str) -> LiteralValue:
        if key == "decimal":
            if not isinstance(arg, str):
                raise self.fail(path, arg, "decimal takes its number as a string", ('"12.50"',))
            value = self.number(arg, path, arg)
            return Decimal(value) if isinstance(value, int) else value
        if key == "money":
            amount, code = self.args(path, arg, 2)
            if not isinstance(amount, str | int) or isinstance(amount, bool):
                raise self.fail(
                    f"{path}[0]", amount, "the amount is a string or an integer", ('"500.00"',)
                )
            number = self.number(str(amount), f"{path}[0]", amount)
            try:
                return Money(str(number), code)
            except ValidationError as exc:
                raise self.fail(f"{path}[1]", code, exc.reason, ('"EUR"',)) from None
        if key == "duration":
            amount, unit = self.args(path, arg, 2)
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise self.fail(
                    f"{path}[0]", amount, "durations are whole positive numbers", ("3",)
                )
            if unit not in _UNIT_NAMES:
                raise self.fail(f"{path}[1]", unit, "unknown unit", tuple(_UNIT_NAMES))
            problem = check_duration(amount, _UNIT_NAMES[unit])
            if problem:
                raise self.fail(f"{path}[0]", amount, problem)
            return Duration(amount, _UNIT_NAMES[unit])
        if not isinstance(arg, str):
            raise self.fail(path, arg, f"{key} takes an ISO string", ('"2025-01-31"',))
        try:
            return parse_date(arg) if key == "date" else parse_datetime(arg)
        except ValueError:
            raise self.fail(
                path,
                arg,
                f"not an ISO {key}",
                ("2025-01-31" if key == "date" else "2025-01-31T09:00:00+00:00 (with an offset)",),
            ) from None


def _short(node: object) -> str:
    try:
        text = json.dumps(node, default=repr)
    except (ValueError, TypeError, RecursionError):
        text = repr(type(node))
    return text if len(text) <= 80 else f"{text[:77]}..."


def from_json(node: object, field: str = "$") -> Condition:
    """Read the JSON form (already decoded) into a condition tree."""
    tree = _Reader().condition(node, field, 0)
    text = to_text(tree)
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            field,
            _short(node),
            f"the condition is {len(text)} characters long as text; the limit is {MAX_LENGTH}",
        )
    return tree


def load_json(text: str, field: str = "$") -> Condition:
    """Decode JSON text and read it as a condition."""
    if not isinstance(text, str):
        raise ConditionError(field, type(text).__name__, "JSON conditions are given as text here")
    if len(text) > 4 * MAX_LENGTH:
        raise ConditionError(
            field, text[:40], f"JSON text is limited to {4 * MAX_LENGTH} characters"
        )
    try:
        node = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ConditionError(
            field,
            text[max(exc.pos - 10, 0) : exc.pos + 10],
            f"not JSON: {exc.msg}",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except (RecursionError, ValueError) as exc:
        raise ConditionError(field, text[:40], f"not usable JSON: {exc}") from None
    return from_json(node, field)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number here")


def _value_json(node: Expr) -> object:
    match node:
        case Path(names=names):
            return {"var": ".".join(names)}
        case Literal(value=value):
            return _literal_json(value)
        case ListLiteral(items=items):
            return [_literal_json(item.value) for item in items]
        case Now():
            return {"now": []}
        case Shift(op=op, base=base, duration=duration):
            return {op: [_value_json(base), _literal_json(duration)]}
        case Call(name=name, args=args):
            return {name: [_value_json(a) for a in args]}
    raise AssertionError(node)  # pragma: no cover


def _literal_json(value: LiteralValue) -> object:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, Decimal):
        return {"decimal": format(value, "f")}
    if isinstance(value, Money):
        return {"money": [format(value.amount, "f"), value.currency.code]}
    if isinstance(value, Duration):
        return {"duration": [value.amount, f"{value.unit}s"]}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    return {"date": value.isoformat()}


def to_json(node: Condition) -> object:
    """The JSON form of a condition tree (plain dicts, lists, strings, ints, booleans, null)."""
    match node:
        case And(items=items):
            return {"and": [to_json(i) for i in items]}
        case Or(items=items):
            return {"or": [to_json(i) for i in items]}
        case Not(item=item):
            return {"not": to_json(item)}
        case Exists(path=path):
            return {"exists": _value_json(path)}
        case IsTrue(value=value):
            return _value_json(value)
        case Compare(op=op, left=left, right=right):
            return {op: [_value_json(left), _value_json(right)]}
    raise AssertionError(node)  # pragma: no cover
