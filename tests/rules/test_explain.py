"""Explain: which sub-condition failed, with which values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings

from relationship_core import Money
from relationship_core._rules import MISSING, CompiledCondition, Context, compile_condition
from relationship_core._rules.ast import Condition

from .strategies import NOW, conditions, roots

AT = datetime(2025, 3, 10, tzinfo=UTC)


def test_a_false_condition_names_the_failing_part_and_its_values() -> None:
    condition = compile_condition(
        'order.total >= 500 EUR and party.tier == "gold" and proposal.sent_at < now - 3 days'
    )
    context = Context(
        {
            "order": {"total": Money("120.00", "EUR")},
            "party": {"tier": "gold"},
            "proposal": {"sent_at": AT - timedelta(days=1)},
        },
        now=AT,
    )
    why = condition.explain(context)
    assert why.result is False
    assert [(f.text, f.values) for f in why.failures()] == [
        ("order.total >= 500 EUR", (("order.total", Money("120.00", "EUR")),)),
        (
            "proposal.sent_at < now - 3 days",
            (
                ("proposal.sent_at", AT - timedelta(days=1)),
                ("now - 3 days", AT - timedelta(days=3)),
            ),
        ),
    ]
    assert [child.result for child in why.children] == [False, True, False]
    assert str(why).splitlines()[1] == (
        "  FALSE order.total >= 500 EUR    [order.total = Money('120.00', 'EUR')]"
    )


def test_missing_values_and_negation() -> None:
    condition = compile_condition("not exists order.note or order.lines > 2")
    why = condition.explain(Context({"order": {"note": "x"}}, now=AT))
    assert not why.result
    failures = why.failures()
    assert [f.text for f in failures] == ["not (exists order.note)", "order.lines > 2"]
    assert failures[1].values == (("order.lines", MISSING),)
    assert condition.explain(Context({"order": {}}, now=AT)).failures() == ()


@settings(max_examples=80, deadline=None)
@given(conditions, roots)
def test_explanation_agrees_with_evaluation(
    tree: Condition, data: dict[str, dict[str, object]]
) -> None:
    compiled = CompiledCondition(tree)
    context = Context(data, now=NOW)
    why = compiled.explain(context)
    assert why.result is compiled.evaluate(context)
    assert all(not failure.result for failure in why.failures())
    assert bool(why.failures()) is not why.result
