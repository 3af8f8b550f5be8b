"""Property: compiled evaluation agrees with the reference interpreter (round trips: test_json)."""

from __future__ import annotations

from hypothesis import given, settings

from relationship_core._rules import CompiledCondition, Context, compile_condition, to_text
from relationship_core._rules.ast import Condition

from .reference import holds
from .strategies import NOW, conditions, roots


@settings(max_examples=150, deadline=None)
@given(conditions, roots)
def test_compiled_evaluation_equals_the_reference_interpreter(
    tree: Condition, data: dict[str, dict[str, object]]
) -> None:
    expected = holds(tree, data, NOW)
    context = Context(data, now=NOW)
    assert CompiledCondition(tree).evaluate(context) is expected
    assert compile_condition(to_text(tree)).evaluate(context) is expected
