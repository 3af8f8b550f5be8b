"""`compile_condition`: text in, a compiled `CompiledCondition` out, checked once at load time."""

from __future__ import annotations

from relationship_core._rules.ast import Condition, to_text
from relationship_core._rules.compiler import Check, compile_tree
from relationship_core._rules.context import Context
from relationship_core._rules.explain import Explanation, explain
from relationship_core._rules.jsonform import from_json, to_json
from relationship_core._rules.parser import parse

__all__ = ["CompiledCondition", "compile_condition"]


class CompiledCondition:
    """A condition compiled to closures: call `evaluate` per event, `explain` when asked why.

    Attributes:
        tree: The parsed condition (equal for the text and JSON forms of one condition).
        text: Its canonical text.
    """

    __slots__ = ("_check", "evaluate", "text", "tree")

    def __init__(self, tree: Condition) -> None:
        self.tree = tree
        self.text = to_text(tree)
        self._check: Check = compile_tree(tree)
        self.evaluate = self._check.test
        """Whether the condition holds in a `Context` (never raises)."""

    def __repr__(self) -> str:
        return f"CompiledCondition({self.text!r})"

    def __call__(self, context: Context) -> bool:
        return self.evaluate(context)

    def to_json(self) -> object:
        """The JSON form of this condition."""
        return to_json(self.tree)

    def explain(self, context: Context) -> Explanation:
        """Each sub-condition with its result and the values it saw; `Explanation.failures` says why it is false."""
        return explain(self._check, context)


def compile_condition(source: object, field: str = "condition") -> CompiledCondition:
    """Compile a condition once: text (a ``str``) or the JSON form (decoded: a dict, list...).

    Raises `ConditionError` naming the line and column (text) or the JSON path.
    """
    if isinstance(source, str):
        return CompiledCondition(parse(source, field))
    return CompiledCondition(from_json(source, "$" if field == "condition" else field))
