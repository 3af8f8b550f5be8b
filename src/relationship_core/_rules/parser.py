"""The text form: a recursive-descent parser for the grammar in ``docs/rules.md``.

Every refusal is a `ConditionError` with line, column, the bad token and what was
allowed there. Length, nesting depth and node count are bounded (`limits`), so
parsing is linear in the text and the recursion never nears Python's limit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
    Not,
    Now,
    Or,
    Path,
    Shift,
)
from relationship_core._rules.errors import ConditionError
from relationship_core._rules.lexer import KEYWORDS, Token, fail, tokenize, unquote
from relationship_core._rules.limits import (
    MAX_DEPTH,
    MAX_DURATION_DAYS,
    MAX_MATCHES,
    MAX_NODES,
    MAX_PATTERN,
)
from relationship_core.exceptions import ValidationError

__all__ = ["check_duration", "check_pattern", "parse", "parse_date", "parse_datetime"]

_COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
_AFTER_VALUE = (*_COMPARE_OPS, "in", "not in", "contains", "matches", "and", "or", ")", "end")
_VALUE_START = (
    "a path",
    "a number",
    "a string",
    "true",
    "false",
    "null",
    "now",
    "[",
    "lower(",
    "len(",
    "startswith(",
    "date(",
)
_UNIT_NAMES = {f"{unit}{plural}": unit for unit in UNITS for plural in ("", "s")}


def parse_date(text: str) -> date:
    """An ISO date; `ValueError` when it is not one."""
    return date.fromisoformat(text)


def parse_datetime(text: str) -> datetime:
    """An aware ISO datetime; `ValueError` when it is not one or has no offset."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("no UTC offset")
    return value


def check_duration(amount: int, unit: str) -> str | None:
    """Why a duration literal is refused, or ``None``."""
    if amount * UNITS[unit] > MAX_DURATION_DAYS * 86400:
        return f"durations are at most {MAX_DURATION_DAYS} days (100 years)"
    return None


def check_pattern(pattern: object) -> str | None:
    """Why a ``matches`` pattern is refused, or ``None``."""
    if not isinstance(pattern, str):
        return "matches takes a glob pattern written as a string"
    if len(pattern) > MAX_PATTERN:
        return f"glob patterns are at most {MAX_PATTERN} characters"
    return None


class _Parser:
    def __init__(self, source: str, field: str) -> None:
        self.source = source
        self.field = field
        self.tokens = tokenize(source, field)
        self.at = 0
        self.depth = 0
        self.nodes = 0
        self.matches = 0

    # -- plumbing -----------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def peek_is(self, text: str, offset: int = 0) -> bool:
        token = self.tokens[min(self.at + offset, len(self.tokens) - 1)]
        return token.kind in ("op", "name") and token.text == text

    def error(
        self, problem: str, allowed: tuple[str, ...] = (), token: Token | None = None
    ) -> ConditionError:
        bad = token or self.token
        shown = bad.text if bad.kind != "end" else "end of condition"
        return fail(self.source, self.field, bad.pos, shown, problem, allowed=allowed)

    def expect(self, text: str) -> Token:
        if not self.peek_is(text):
            raise self.error(f"expected {text!r}", (text,))
        return self.advance()

    def count(self, token: Token) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(
                f"the condition has more than {MAX_NODES} nodes",
                ("split it into several rules",),
                token,
            )

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"the condition nests deeper than {MAX_DEPTH} levels",
                ("fewer nested parentheses, not or calls",),
                token,
            )

    # -- conditions -----------------------------------------------------------------

    def condition(self) -> Condition:
        result = self.disjunction()
        if self.token.kind != "end":
            raise self.error(
                "unexpected token after a complete condition", ("and", "or", "end of condition")
            )
        return result

    def disjunction(self) -> Condition:
        start = self.token
        items = [self.conjunction()]
        while self.peek_is("or"):
            self.count(self.advance())
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Or(tuple(items), start.pos)

    def conjunction(self) -> Condition:
        start = self.token
        items = [self.negation()]
        while self.peek_is("and"):
            self.count(self.advance())
            items.append(self.negation())
        return items[0] if len(items) == 1 else And(tuple(items), start.pos)

    def negation(self) -> Condition:
        token = self.token
        if self.peek_is("not"):
            self.advance()
            self.count(token)
            self.enter(token)
            item = self.negation()
            self.depth -= 1
            return Not(item, token.pos)
        return self.primary()

    def primary(self) -> Condition:
        token = self.token
        if self.peek_is("("):
            self.advance()
            self.enter(token)
            inner = self.disjunction()
            self.depth -= 1
            self.expect(")")
            return inner
        if self.peek_is("exists"):
            self.advance()
            self.count(token)
            if self.token.kind != "name" or self.token.text in KEYWORDS:
                raise self.error("exists takes a path", ("a path such as order.total",))
            return Exists(self.path(), token.pos)
        return self.comparison()

    def comparison(self) -> Condition:
        start = self.token
        left = self.value()
        token = self.token
        if token.kind == "op" and token.text in _COMPARE_OPS:
            op = self.advance().text
        elif self.peek_is("not") and self.peek_is("in", 1):
            self.advance()
            self.advance()
            op = "not in"
        elif token.kind == "name" and token.text in ("in", "contains", "matches"):
            op = self.advance().text
        else:
            if (
                token.kind != "end"
                and not self.peek_is(")")
                and not self.peek_is("and")
                and not self.peek_is("or")
            ):
                raise self.error("expected an operator or the end of the condition", _AFTER_VALUE)
            return IsTrue(left, start.pos)
        self.count(token)
        right_token = self.token
        right = self.value()
        if op == "matches":
            self.matches += 1
            if self.matches > MAX_MATCHES:
                raise self.error(f"at most {MAX_MATCHES} matches per condition", (), token)
            pattern = right.value if isinstance(right, Literal) else None
            problem = check_pattern(pattern)
            if problem:
                raise self.error(problem, ('a string such as "*@example.com"',), right_token)
        return Compare(op, left, right, token.pos)

    # -- values ---------------------------------------------------------------------

    def value(self) -> Expr:
        base = self.term()
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            op_token = self.advance()
            self.count(op_token)
            duration_token = self.token
            duration = self.term()
            if not isinstance(duration, Literal) or not isinstance(duration.value, Duration):
                raise self.error(
                    f"{op_token.text} takes a duration on its right",
                    ("3 days", "2 hours", "30 minutes", "1 week"),
                    duration_token,
                )
            if isinstance(base, ListLiteral) or (
                isinstance(base, Literal) and not isinstance(base.value, date)
            ):
                raise self.error(
                    "only a date or time can be shifted by a duration",
                    (
                        "now",
                        "a path",
                        'date("2025-01-31")',
                        'datetime("2025-01-31T09:00:00+00:00")',
                    ),
                    op_token,
                )
            base = Shift(op_token.text, base, duration.value, op_token.pos)
        return base

    def term(self) -> Expr:
        token = self.token
        self.count(token)
        if token.kind == "op" and token.text == "-" and self.tokens[self.at + 1].kind == "number":
            self.advance()
            return self.number(self.advance(), negative=True, start=token)
        if token.kind == "number":
            return self.number(self.advance(), negative=False, start=token)
        if token.kind == "string":
            self.advance()
            return Literal(unquote(self.source, self.field, token), token.pos)
        if token.kind == "op" and token.text == "[":
            return self.list_literal()
        if token.kind == "name":
            word = token.text
            if word in ("true", "false", "null"):
                self.advance()
                return Literal({"true": True, "false": False, "null": None}[word], token.pos)
            if word == "now":
                self.advance()
                return Now(token.pos)
            if self.peek_is("(", 1):
                return self.call()
            if word not in KEYWORDS:
                return self.path()
        raise self.error("expected a value", _VALUE_START)

    def number(self, token: Token, *, negative: bool, start: Token) -> Literal:
        text = ("-" if negative else "") + token.text
        amount: int | Decimal = Decimal(text) if "." in text else int(text)
        follow = self.token
        if follow.kind == "name" and follow.text in _UNIT_NAMES:
            self.advance()
            if not isinstance(amount, int):
                raise self.error("durations are whole numbers", ("3 days", "90 minutes"), start)
            if amount < 0:
                raise self.error(
                    "durations are positive; subtract instead", ("now - 3 days",), start
                )
            unit = _UNIT_NAMES[follow.text]
            problem = check_duration(amount, unit)
            if problem:
                raise self.error(problem, (), start)
            return Literal(Duration(amount, unit), start.pos)
        if follow.kind == "name" and len(follow.text) == 3 and follow.text.isupper():
            self.advance()
            try:
                return Literal(Money(text, follow.text), start.pos)
            except ValidationError as exc:
                raise self.error(
                    f"unknown currency: {exc.reason}", ("an ISO 4217 code such as EUR",), follow
                ) from None
        return Literal(amount, start.pos)

    def list_literal(self) -> ListLiteral:
        start = self.advance()
        self.enter(start)
        items: list[Literal] = []
        if not self.peek_is("]"):
            while True:
                item_token = self.token
                item = self.term()
                if not isinstance(item, Literal):
                    raise self.error(
                        "lists hold constants only",
                        ("strings", "numbers", "true", "false", "null", "money"),
                        item_token,
                    )
                items.append(item)
                if self.peek_is("]"):
                    break
                if not self.peek_is(","):
                    raise self.error("expected ',' or ']'", (",", "]"))
                self.advance()
        self.advance()
        self.depth -= 1
        return ListLiteral(tuple(items), start.pos)

    def call(self) -> Expr:
        name = self.advance()
        self.enter(name)
        self.expect("(")
        if name.text in ("date", "datetime"):
            arg = self.token
            if arg.kind != "string":
                raise self.error(
                    f"{name.text}() takes an ISO {name.text} string",
                    (f'{name.text}("2025-01-31")',),
                )
            self.advance()
            self.expect(")")
            self.depth -= 1
            text = unquote(self.source, self.field, arg)
            try:
                value: date = parse_date(text) if name.text == "date" else parse_datetime(text)
            except ValueError:
                expected = (
                    "2025-01-31"
                    if name.text == "date"
                    else "2025-01-31T09:00:00+00:00 (with an offset)"
                )
                raise self.error(f"not an ISO {name.text}", (expected,), arg) from None
            return Literal(value, name.pos)
        if name.text not in FUNCTIONS:
            raise self.error("unknown function", (*FUNCTIONS, "date", "datetime"), name)
        args = [self.value()]
        while self.peek_is(","):
            self.advance()
            args.append(self.value())
        self.expect(")")
        self.depth -= 1
        if len(args) != FUNCTIONS[name.text]:
            raise self.error(
                f"{name.text}() takes {FUNCTIONS[name.text]} argument(s), got {len(args)}", (), name
            )
        return Call(name.text, tuple(args), name.pos)

    def path(self) -> Path:
        first = self.advance()
        names = [first.text]
        while self.peek_is("."):
            self.advance()
            token = self.token
            if token.kind != "name":
                raise self.error("expected a name after '.'", ("a name starting with a letter",))
            self.count(token)
            names.append(self.advance().text)
        return Path(tuple(names), first.pos)


def parse(source: str, field: str = "condition") -> Condition:
    """Parse condition text into its tree, or raise `ConditionError` saying where and why."""
    return _Parser(source, field).condition()
