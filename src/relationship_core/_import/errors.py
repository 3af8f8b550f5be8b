"""What goes wrong in an import: bad rows (nothing stored) and a stop the store caused."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from relationship_core.exceptions import RelationshipCoreError, ValidationError

__all__ = ["ImportRejectedError", "ImportStoppedError", "RowProblem"]

_SHOWN = 20


@attrs.frozen
class RowProblem:
    """One bad cell: where it is, what it holds and what is wrong with it.

    Attributes:
        line: The row's line in the file (the header is line 1).
        column: The column's header as the file spells it.
        value: The cell's text.
        reason: What is wrong.
    """

    line: int
    column: str
    value: object
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}, value {self.value!r}: {self.reason}"


class ImportRejectedError(ValidationError):
    """Rows of the file are invalid; nothing was stored (unless told to skip them).

    Attributes:
        problems: Every bad cell's `RowProblem` (all of a row's, not only
            its first), in file order.
    """

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        shown = "\n  ".join(str(p) for p in self.problems[:_SHOWN])
        more = len(self.problems) - _SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        rows = len({p.line for p in self.problems})
        cells = f" ({len(self.problems)} bad cell(s))" if len(self.problems) > rows else ""
        super().__init__(
            "file",
            source,
            f"{rows} invalid row(s){cells}, nothing stored "
            f"(fix them, or skip them with --skip-invalid):\n  {shown}{tail}",
        )


class ImportStoppedError(RelationshipCoreError):
    """The store refused a batch; the rows before it are stored.

    Running the same import again resumes at `line`.

    Attributes:
        line: The first line of the batch that was not stored.
        stored: How many rows are stored (this run and earlier ones).
        cause: What the store said.
    """

    def __init__(self, source: str, line: int, stored: int, cause: Exception) -> None:
        self.line = line
        self.stored = stored
        self.cause = cause
        super().__init__(
            f"import of {source} stopped at line {line} ({stored} row(s) before it are stored): "
            f"{cause}; fix that and run the same import again to resume from line {line}"
        )
