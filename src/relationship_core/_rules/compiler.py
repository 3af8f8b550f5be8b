"""Compiling a condition tree once into closures, so each event costs only the calls it needs.

Every node becomes a closure over the `Context`; comparisons against a constant get a
specialised closure (a type check and one Python comparison). The result mirrors the
tree as `Check` nodes, which `explain` walks to report each sub-condition's values.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeAlias

import attrs

from relationship_core._domain.money import Money
from relationship_core._rules.ast import (
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
    Not,
    Now,
    Or,
    Path,
    Shift,
    to_text,
)
from relationship_core._rules.context import _PLAIN, MISSING, Context, normalize
from relationship_core._rules.values import (
    ORDER as _ORDER,
)
from relationship_core._rules.values import (
    call,
    compare,
    contains,
    equal,
    kind_of,
    make_glob,
    shift,
)

__all__ = ["Check", "Predicate", "ValueFn", "compile_tree", "path_getter"]

ValueFn: TypeAlias = Callable[[Context], object]
Predicate: TypeAlias = Callable[[Context], bool]

_NUMBERS = frozenset({int, float, Decimal})


@attrs.frozen(eq=False)
class Check:
    """One compiled sub-condition: its tree node, its closure, and what explain shows.

    Attributes:
        node: The condition node.
        test: The compiled closure.
        children: The compiled sub-conditions (``and``/``or``/``not``).
        operands: (text, closure) of each non-constant operand, for explain.
    """

    node: Condition
    test: Predicate
    children: tuple[Check, ...] = ()
    operands: tuple[tuple[str, ValueFn], ...] = ()


def path_getter(names: tuple[str, ...]) -> ValueFn:
    """A closure reading the dotted path *names* from a `Context` (normalised, or `MISSING`)."""
    first, rest = names[0], names[1:]
    plain = _PLAIN

    if not rest:

        def get1(c: Context) -> object:
            v = c.roots.get(first, MISSING)
            return v if type(v) in plain else normalize(v)

        return get1
    if len(rest) == 1:
        second = rest[0]

        def get2(c: Context) -> object:
            v = c.roots.get(first, MISSING)
            v = v.get(second, MISSING) if type(v) is dict else c.exposure.step(v, second)
            return v if type(v) in plain else normalize(v)

        return get2

    def get(c: Context) -> object:
        v = c.roots.get(first, MISSING)
        for name in rest:
            v = v.get(name, MISSING) if type(v) is dict else c.exposure.step(v, name)
        return v if type(v) in plain else normalize(v)

    return get


def _value(node: Expr) -> ValueFn:
    match node:
        case Path(names=names):
            return path_getter(names)
        case Literal(value=value):
            return lambda _: value
        case ListLiteral(items=items):
            values = tuple(item.value for item in items)
            return lambda _: values
        case Now():
            return lambda c: c.now
        case Shift(op=op, base=base, duration=duration):
            return _shift(_value(base), 1 if op == "+" else -1, duration, now=isinstance(base, Now))
        case Call(name=name, args=args):
            fns = tuple(_value(a) for a in args)
            return lambda c: call(name, [f(c) for f in fns])
    raise AssertionError(node)  # pragma: no cover - the match is exhaustive


def _shift(base: ValueFn, sign: int, duration: Duration, *, now: bool) -> ValueFn:
    if now and duration.unit in ("day", "week"):
        step = timedelta(seconds=sign * duration.amount * UNITS[duration.unit])

        def from_now(c: Context) -> object:
            try:
                return c.now + step
            except OverflowError:
                return MISSING

        return from_now
    return lambda c: shift(base(c), sign, duration)


def _temporal(op: str, left: ValueFn, right: ValueFn) -> Predicate:
    """``path OP now (+/- duration)``: the right side is always aware, so check only the left."""
    test = _ORDER[op]

    def against_now(c: Context) -> bool:
        a = left(c)
        if type(a) is datetime and a.utcoffset() is not None:
            b = right(c)
            return b is not MISSING and test(a, b)
        return compare(op, a, right(c))

    return against_now


def _against_constant(op: str, left: ValueFn, constant: object) -> Predicate | None:
    """A specialised closure for ``left OP constant``, or ``None`` to use the general one."""
    kind = kind_of(constant)
    if op == "!=" or kind is None:
        return None
    if kind in ("string", "boolean", "null") and (op == "==" or kind == "string"):
        exact = type(constant)
        test = _ORDER[op]
        return lambda c: type(v := left(c)) is exact and test(v, constant)
    if kind == "number":
        test = _ORDER[op]

        def number(c: Context) -> bool:
            v = left(c)
            if type(v) not in _NUMBERS:
                return False
            try:
                return test(v, constant)
            except decimal.InvalidOperation:  # a Decimal NaN from the context
                return False

        return number
    if kind == "money" and isinstance(constant, Money):
        test = _ORDER[op]
        currency, amount = constant.currency, constant.amount
        return lambda c: (
            type(v := left(c)) is Money and v.currency == currency and test(v.amount, amount)
        )
    return None


def _membership(left: ValueFn, items: tuple[object, ...]) -> Predicate:
    kinds = {kind_of(item) for item in items}
    if kinds == {"string"}:
        strings = frozenset(items)
        return lambda c: type(v := left(c)) is str and v in strings
    if kinds == {"number"}:
        numbers = frozenset(items)
        return lambda c: type(v := left(c)) in _NUMBERS and kind_of(v) is not None and v in numbers
    return lambda c: (v := left(c)) is not MISSING and any(equal(v, item) for item in items)


def _compare(node: Compare) -> Predicate:
    op, left, right = node.op, _value(node.left), _value(node.right)
    constant = node.right.value if isinstance(node.right, Literal) else MISSING
    if op in ("==", "!=", "<", "<=", ">", ">="):
        fast = None if constant is MISSING else _against_constant(op, left, constant)
        now_based = isinstance(node.right, Now) or (
            isinstance(node.right, Shift) and isinstance(node.right.base, Now)
        )
        if fast is None and now_based and op != "!=":
            fast = _temporal(op, left, right)
        return fast or (lambda c: compare(op, left(c), right(c)))
    if op in ("in", "not in"):
        if isinstance(node.right, ListLiteral):
            inside = _membership(left, tuple(item.value for item in node.right.items))
        else:

            def inside(c: Context) -> bool:
                return contains(right(c), left(c))

        if op == "in":
            return inside
        return lambda c: left(c) is not MISSING and right(c) is not MISSING and not inside(c)
    if op == "contains":
        return lambda c: contains(left(c), right(c))
    glob = make_glob(str(constant))  # the parser and the JSON reader insist on a string
    return lambda c: glob(left(c))


def _shown(expr: Expr) -> tuple[tuple[str, ValueFn], ...]:
    if isinstance(expr, Literal | ListLiteral):
        return ()
    return ((to_text(expr), _value(expr)),)


def compile_tree(node: Condition) -> Check:
    """Compile *node* (already validated by the parser or the JSON reader) into closures."""
    match node:
        case Compare(left=left, right=right):
            return Check(node, _compare(node), (), _shown(left) + _shown(right))
        case Exists(path=path):
            get = path_getter(path.names)
            return Check(
                node, lambda c: (v := get(c)) is not MISSING and v is not None, (), _shown(path)
            )
        case IsTrue(value=value):
            fn = _value(value)
            return Check(node, lambda c: fn(c) is True, (), _shown(value))
        case Not(item=item):
            inner = compile_tree(item)
            test = inner.test
            return Check(node, lambda c: not test(c), (inner,))
        case And(items=items):
            children = tuple(compile_tree(i) for i in items)
            return Check(node, _all(tuple(ch.test for ch in children)), children)
        case Or(items=items):
            children = tuple(compile_tree(i) for i in items)
            return Check(node, _any(tuple(ch.test for ch in children)), children)
    raise AssertionError(node)  # pragma: no cover - the match is exhaustive


def _all(tests: tuple[Predicate, ...]) -> Predicate:
    if len(tests) == 2:
        a, b = tests
        return lambda c: a(c) and b(c)
    if len(tests) == 3:
        a, b, d = tests
        return lambda c: a(c) and b(c) and d(c)

    def every(c: Context) -> bool:
        for test in tests:  # noqa: SIM110 - a plain loop is faster than all() over a generator
            if not test(c):
                return False
        return True

    return every


def _any(tests: tuple[Predicate, ...]) -> Predicate:
    if len(tests) == 2:
        a, b = tests
        return lambda c: a(c) or b(c)

    def some(c: Context) -> bool:
        for test in tests:  # noqa: SIM110 - a plain loop is faster than any() over a generator
            if test(c):
                return True
        return False

    return some
