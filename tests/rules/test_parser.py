"""The text form: what parses, what the canonical text is, and where errors point."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relationship_core import Money
from relationship_core._rules import ConditionError, Duration, parse, to_text
from relationship_core._rules.ast import And, Compare, Literal, Not, Or, Path, Shift
from relationship_core._rules.limits import MAX_DEPTH, MAX_LENGTH, MAX_NODES


@pytest.mark.parametrize(
    "text",
    [
        'order.total >= 500 EUR and party.tier == "gold"',
        "proposal.sent_at < now - 3 days",
        'not (party.tier in ["gold", "silver"]) or exists order.note',
        'lower(party.name) matches "*ltd"',
        'startswith(party.email, "bob")',
        "order.is_paid",
        "order.total == -3.50 USD",
        "a and (b or c) and (d and e)",
        'date("2025-01-31") < order.placed_on',
        "order.items not in [1, 2, 3]",
        'party.tags contains "vip"',
        "len(order.lines) > 2",
    ],
)
def test_canonical_text_parses_back_to_the_same_tree(text: str) -> None:
    tree = parse(text)
    assert to_text(tree) == text
    assert parse(to_text(tree)) == tree


def test_precedence_not_binds_tighter_than_and_than_or() -> None:
    tree = parse("not a == 1 and b == 2 or c == 3")
    assert isinstance(tree, Or)
    first = tree.items[0]
    assert isinstance(first, And)
    assert isinstance(first.items[0], Not)


def test_literals_are_typed() -> None:
    tree = parse("x == 500 EUR or y < now - 2 hours or z == 1.50")
    assert isinstance(tree, Or)
    money, shift, number = (item for item in tree.items if isinstance(item, Compare))
    assert money.right == Literal(Money("500", "EUR"))
    assert isinstance(shift.right, Shift)
    assert shift.right.duration == Duration(2, "hour")
    assert number.right == Literal(Decimal("1.50"))
    assert money.left == Path(("x",))


@pytest.mark.parametrize(
    ("text", "token", "column", "allowed"),
    [
        ("a ==", "end of condition", 5, "a path"),
        ("a = 1", "=", 3, "=="),
        ('"abc', '"', 1, "a closing"),
        ("foo(1)", "foo", 1, "lower"),
        ("_secret == 1", "_", 1, "names"),
        ("a.__class__ == 1", "_", 3, "names"),
        ("a == 3 XYZ", "XYZ", 8, "ISO 4217"),
        ("a matches b", "b", 11, '"*@example.com"'),
        ("a == 3 days + 1", "1", 15, "3 days"),
        ('"x" + 3 days', "+", 5, "now"),
        ("now - 3", "3", 7, "3 days"),
        ("a == 1.5 days", "1.5", 6, "90 minutes"),
        ("a == 99999 weeks", "99999", 6, ""),
        ("a == (1)", "(", 6, "a path"),
        ("exists now", "now", 8, "a path"),
        ('date("31/01/2025") == a', '"31/01/2025"', 6, "2025-01-31"),
        ('datetime("2025-01-31T09:00") == a', '"2025-01-31T09:00"', 10, "offset"),
        ("lower(a, b) == 1", "lower", 1, ""),
        ("a in [b]", "b", 7, "strings"),
    ],
)
def test_errors_name_the_position_the_token_and_what_is_allowed(
    text: str, token: str, column: int, allowed: str
) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text, "rules[0].condition")
    error = caught.value
    assert error.field == "rules[0].condition"
    assert error.value == token
    assert (error.line, error.column) == (1, column)
    assert allowed in ", ".join(error.allowed) + str(error)


def test_errors_count_lines() -> None:
    with pytest.raises(ConditionError) as caught:
        parse("a == 1\nand\n  b ~ 2")
    assert (caught.value.line, caught.value.column, caught.value.value) == (3, 5, "~")


def test_limits() -> None:
    with pytest.raises(ConditionError, match="characters long"):
        parse("a == 1 or " * (MAX_LENGTH // 10) + "a == 1")
    with pytest.raises(ConditionError, match="nests deeper"):
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ConditionError, match="nests deeper"):
        parse("not " * (MAX_DEPTH + 1) + "a")
    with pytest.raises(ConditionError, match="nodes"):
        parse("a in [" + ", ".join(["1"] * MAX_NODES) + "]")
