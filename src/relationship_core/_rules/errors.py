"""The one error a bad condition produces, with where it went wrong and what would do."""

from __future__ import annotations

from collections.abc import Sequence

from relationship_core.exceptions import ValidationError

__all__ = ["ConditionError"]


class ConditionError(ValidationError):
    """A condition (text or JSON form) was refused.

    It is a `ValidationError`, so callers that catch bad input already catch it.

    Attributes:
        field: Where: ``"condition"`` (or the name the caller gave) for text, a JSON
            path such as ``"$.and[1]['==']"`` for the JSON form.
        value: The bad token (text) or the bad JSON node.
        line: 1-based line of the bad token in the text form (``None`` for JSON).
        column: 1-based column of the bad token in the text form (``None`` for JSON).
        allowed: What would have been accepted there.
    """

    def __init__(
        self,
        field: str,
        value: object,
        problem: str,
        *,
        allowed: Sequence[str] = (),
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.line = line
        self.column = column
        self.allowed: tuple[str, ...] = tuple(allowed)
        where = f"line {line}, column {column}: " if line is not None else ""
        hint = f"; allowed here: {', '.join(self.allowed)}" if self.allowed else ""
        super().__init__(field, value, f"{where}{problem}{hint}")
