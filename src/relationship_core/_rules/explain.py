"""Why a condition holds or not: each sub-condition with its result and the values it saw."""

from __future__ import annotations

import attrs

from relationship_core._rules.ast import And, Not, Or, to_text
from relationship_core._rules.compiler import Check
from relationship_core._rules.context import Context

__all__ = ["Explanation", "explain"]


@attrs.frozen
class Explanation:
    """One sub-condition's verdict.

    Attributes:
        text: The sub-condition, as canonical text.
        result: Whether it held.
        values: (operand text, value) for every operand that is not a constant;
            a path that did not resolve shows `MISSING`.
        children: The explanations of its parts (``and``, ``or``, ``not``).
        connective: ``"and"``, ``"or"``, ``"not"``, or ``""`` for a test of values.
    """

    text: str
    result: bool
    values: tuple[tuple[str, object], ...] = ()
    children: tuple[Explanation, ...] = ()
    connective: str = ""

    def failures(self) -> tuple[Explanation, ...]:
        """The innermost sub-conditions that made this one false (empty when it held).

        Under a false ``and`` those are its false parts' failures; under a false ``or``,
        all its parts'; a false ``not`` is itself the failure (its part held).
        """
        if self.result:
            return ()
        if self.connective in ("", "not"):
            return (self,)
        return tuple(f for child in self.children for f in child.failures())

    def lines(self, indent: int = 0) -> list[str]:
        """The tree as text lines, one sub-condition per line."""
        seen = ", ".join(f"{name} = {value!r}" for name, value in self.values)
        head = f"{'  ' * indent}{'true ' if self.result else 'FALSE'} {self.text}"
        out = [f"{head}    [{seen}]" if seen else head]
        for child in self.children:
            out.extend(child.lines(indent + 1))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def explain(check: Check, context: Context) -> Explanation:
    """Evaluate every part of *check* (no short-circuit) and report what each saw."""
    children = tuple(explain(child, context) for child in check.children)
    node = check.node
    connective = ""
    if isinstance(node, And):
        result, connective = all(child.result for child in children), "and"
    elif isinstance(node, Or):
        result, connective = any(child.result for child in children), "or"
    elif isinstance(node, Not):
        result, connective = not children[0].result, "not"
    else:
        result = check.test(context)
    values = tuple((text, value(context)) for text, value in check.operands)
    return Explanation(to_text(node), result, values, children, connective)
