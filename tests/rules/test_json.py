"""The JSON form: equivalent to the text form, with JSON paths in its errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings

from relationship_core import Money
from relationship_core._rules import (
    ConditionError,
    compile_condition,
    from_json,
    load_json,
    parse,
    to_json,
    to_text,
)
from relationship_core._rules.ast import Condition

from .strategies import conditions


def test_a_worked_example() -> None:
    text = 'order.total >= 500 EUR and party.tier in ["gold", "silver"] and proposal.sent_at < now - 3 days'
    data = {
        "and": [
            {">=": [{"var": "order.total"}, {"money": ["500", "EUR"]}]},
            {"in": [{"var": "party.tier"}, ["gold", "silver"]]},
            {"<": [{"var": "proposal.sent_at"}, {"-": [{"now": []}, {"duration": [3, "days"]}]}]},
        ]
    }
    assert from_json(data) == parse(text)
    assert to_json(parse(text)) == data
    assert compile_condition(data).text == text


def test_json_text_reads_floats_as_decimals() -> None:
    tree = load_json('{"<": [{"var": "order.weight"}, 2.5]}')
    assert to_text(tree) == "order.weight < 2.5"
    assert from_json({"<": [{"var": "w"}, 0.1]}) == parse("w < 0.1")
    assert to_json(parse("w < 0.10")) == {"<": [{"var": "w"}, {"decimal": "0.10"}]}
    assert from_json({"==": [{"var": "m"}, {"money": [5, "JPY"]}]}) == parse("m == 5 JPY")
    assert Money("5", "JPY") == from_json({"money": [5, "JPY"]}).value.value  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "path", "allowed"),
    [
        ({"and": [{"==": [1, 1]}, {"~": [1, 2]}]}, "$['and'][1]", "=="),
        ({"==": [1]}, "$['==']", ""),
        ({"==": [{"var": "_x"}, 1]}, "$['=='][0]['var']", ""),
        ({"==": [{"var": "a.__class__"}, 1]}, "$['=='][0]['var']", ""),
        ({"==": [{"var": "now.x"}, 1]}, "$['=='][0]['var']", '{"now": []}'),
        ({"matches": [{"var": "a"}, {"var": "b"}]}, "$['matches'][1]", "*@example.com"),
        ({"==": [{"var": "a"}, {"money": ["5", "XYZ"]}]}, "$['=='][1]['money'][1]", "EUR"),
        ({"==": [{"var": "a"}, {"money": ["1e5", "EUR"]}]}, "$['=='][1]['money'][0]", "12.50"),
        ({"<": [{"var": "a"}, {"-": [{"now": []}, 3]}]}, "$['<'][1]['-'][1]", "duration"),
        (
            {"<": [{"var": "a"}, {"duration": [3, "fortnights"]}]},
            "$['<'][1]['duration'][1]",
            "days",
        ),
        ({"in": [{"var": "a"}, [{"var": "b"}]]}, "$['in'][1][0]", "strings"),
        ({"and": [{"==": [1, 1]}]}, "$['and']", ""),
        ({"==": [1, 10**40]}, "$['=='][1]", ""),
        ({"==": [1, {"a": 1, "b": 2}]}, "$['=='][1]", "var"),
        ({"==": [1, object()]}, "$['=='][1]", "strings"),
    ],
)
def test_errors_carry_the_json_path(data: object, path: str, allowed: str) -> None:
    with pytest.raises(ConditionError) as caught:
        from_json(data)
    assert caught.value.field == path
    assert allowed in str(caught.value)


def test_bad_json_text() -> None:
    with pytest.raises(ConditionError) as caught:
        load_json('{"==": [1, }')
    assert (caught.value.line, caught.value.column) == (1, 12)
    with pytest.raises(ConditionError, match="NaN"):
        load_json('{"==": [1, NaN]}')
    with pytest.raises(ConditionError, match=r"nests deeper|not usable JSON"):
        load_json("[" * 4_000 + "]" * 4_000)
    with pytest.raises(ConditionError, match="nests deeper"):
        load_json('{"not": ' * 40 + "true" + "}" * 40)


@settings(max_examples=150, deadline=None)
@given(conditions)
def test_json_form_round_trips_with_the_text_form(tree: Condition) -> None:
    assert parse(to_text(tree)) == tree
    data = to_json(tree)
    assert from_json(json.loads(json.dumps(data))) == tree
    assert from_json(data) == parse(to_text(tree))
    assert load_json(json.dumps(data)) == tree


def test_decimal_literals_stay_decimal() -> None:
    assert from_json({"decimal": "1.50"}) == parse("1.50")
    assert isinstance(parse("1.50").value.value, Decimal)  # type: ignore[union-attr]
