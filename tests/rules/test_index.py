"""RuleIndex: the same answer as checking every rule, from far fewer candidates."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import Money
from relationship_core._rules import ANY_EVENT, Context, Rule, RuleIndex
from relationship_core.exceptions import ValidationError

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def rules() -> list[Rule]:
    return [
        Rule.of("paid", ["order.placed"], 'order.status == "paid"'),
        Rule.of(
            "gold or silver", ["order.placed"], 'party.tier in ["gold", "silver"] and order.n > 1'
        ),
        Rule.of("big", ["order.placed", "order.changed"], "order.total >= 500 EUR"),
        Rule.of("many", ["order.placed"], "order.n > 5"),
        Rule.of("few", ["order.placed"], "3 >= order.n"),
        Rule.of("json", ["order.placed"], {"==": [{"var": "order.status"}, "void"]}),
        Rule.of("everywhere", [ANY_EVENT], "exists order.note"),
    ]


def ctx(**order: object) -> Context:
    return Context({"order": order, "party": {"tier": "gold"}}, now=NOW)


def test_match_by_event_type_equality_and_threshold() -> None:
    index = RuleIndex(rules())
    names = [r.name for r in index.match("order.placed", ctx(status="paid", n=2))]
    assert names == ["paid", "gold or silver", "few"]
    assert [r.name for r in index.candidates("order.placed", ctx(status="paid", n=2))] == [
        "paid",
        "gold or silver",
        "big",
        "few",
        "everywhere",
    ]
    assert [r.name for r in index.match("order.changed", ctx(total=Money("600", "EUR")))] == ["big"]
    assert [r.name for r in index.match("something.else", ctx(note="x"))] == ["everywhere"]
    assert index.match("order.placed", ctx(status=["unhashable"])) == []


def test_match_explained_reports_the_candidates_that_failed() -> None:
    index = RuleIndex(rules())
    result = index.match_explained("order.placed", ctx(status="paid", n=2))
    assert [r.name for r in result.matched] == ["paid", "gold or silver", "few"]
    failed = {rule.name: why for rule, why in result.failed}
    assert set(failed) == {"big", "everywhere"}
    assert failed["big"].failures()[0].text == "order.total >= 500 EUR"


def test_names_are_unique() -> None:
    with pytest.raises(ValidationError, match="unique"):
        RuleIndex([Rule.of("a", ["x"], "true"), Rule.of("a", ["x"], "false")])


FIELDS = ("a", "b", "c")
VALUES = st.one_of(st.integers(0, 4), st.sampled_from(["p", "q"]), st.none(), st.booleans())
TERMS = st.one_of(
    st.builds(lambda f, v: f"x.{f} == {v}", st.sampled_from(FIELDS), st.integers(0, 4)),
    st.builds(lambda f, v: f'x.{f} == "{v}"', st.sampled_from(FIELDS), st.sampled_from("pq")),
    st.builds(lambda f, v: f'x.{f} in [{v}, "p"]', st.sampled_from(FIELDS), st.integers(0, 4)),
    st.builds(
        lambda f, op, v: f"x.{f} {op} {v}",
        st.sampled_from(FIELDS),
        st.sampled_from(["<", "<=", ">", ">="]),
        st.integers(0, 4),
    ),
    st.builds(lambda f, v: f"{v} < x.{f}", st.sampled_from(FIELDS), st.integers(0, 4)),
    st.builds(lambda f: f"exists x.{f}", st.sampled_from(FIELDS)),
    st.builds(
        lambda f, v: f"x.{f} == {v}",
        st.sampled_from(FIELDS),
        st.sampled_from(["true", "false", "null", "1.0"]),
    ),
)
CONDITIONS = st.lists(TERMS, min_size=1, max_size=3).map(" and ".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["e1", "e2", ANY_EVENT]), CONDITIONS), max_size=25),
    st.lists(
        st.tuples(
            st.sampled_from(["e1", "e2", "e3"]), st.dictionaries(st.sampled_from(FIELDS), VALUES)
        ),
        max_size=10,
    ),
)
def test_index_agrees_with_checking_every_rule(
    specs: list[tuple[str, str]], events: list[tuple[str, dict[str, object]]]
) -> None:
    all_rules = [Rule.of(f"r{i}", [t], c) for i, (t, c) in enumerate(specs)]
    index = RuleIndex(all_rules)
    for event_type, data in events:
        context = Context({"x": data}, now=NOW)
        expected = [
            r
            for r in all_rules
            if (event_type in r.event_types or ANY_EVENT in r.event_types)
            and r.condition.evaluate(context)
        ]
        assert index.match(event_type, context) == expected


def test_candidates_shrink_with_selective_equalities() -> None:
    rng = random.Random(3)
    many = [
        Rule.of(f"r{i}", ["e"], f'x.kind == "k{i}" and x.n > {rng.randint(0, 9)}')
        for i in range(500)
    ]
    index = RuleIndex(many)
    assert len(index.candidates("e", Context({"x": {"kind": "k7", "n": 50}}, now=NOW))) == 1


def test_a_boolean_never_stands_in_for_a_number() -> None:
    index = RuleIndex(
        [
            Rule.of("one", ["e"], "x.a == 1"),
            Rule.of("both", ["e"], "x.a == 1 and x.a == true"),
            Rule.of("flag", ["e"], "x.a == true"),
        ]
    )
    assert [r.name for r in index.match("e", Context({"x": {"a": 1}}, now=NOW))] == ["one"]
    assert [r.name for r in index.match("e", Context({"x": {"a": True}}, now=NOW))] == ["flag"]
