"""Gapless document numbers per business: ``INV-2026-000042``."""

from __future__ import annotations

from datetime import date

import attrs

from relationship_core._billing._checks import require_count, require_text
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.timeutil import require_date
from relationship_core.exceptions import ValidationError

__all__ = ["InvoiceNumberSequence"]


@attrs.define
class InvoiceNumberSequence:
    """The next number for a business's invoices (or credit notes), without gaps.

    A number is taken only when a document is issued, in the same unit of
    work that saves the issued document and this sequence; drafts never
    consume numbers and voided documents keep theirs, so the issued numbers
    run 1, 2, 3... with no gap. Stored as an aggregate with optimistic
    concurrency, two issuers can never take the same number.

    Examples:
        >>> from datetime import date
        >>> seq = InvoiceNumberSequence("acme")
        >>> seq.take(date(2026, 3, 1)), seq.take(date(2026, 3, 2))
        ('INV-2026-000001', 'INV-2026-000002')
        >>> seq.take(date(2027, 1, 4))
        'INV-2027-000001'

    Attributes:
        id: The business (or business and document kind) the sequence numbers for.
        prefix: Printed before the number, e.g. ``"INV"`` or ``"CN"``.
        width: Digits of the counter, zero-padded.
        yearly: Restart at 1 each calendar year and print the year.
        year: The year of the last number taken (``None`` before the first).
        last: The last counter value taken (0 before the first).
        business: The key of the business it numbers for.
        pattern: A `NumberingScheme` format (``"INV-{year}-{seq:06d}"``) used
            instead of *prefix* and *width*; ``None`` for the classic layout.
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    prefix: str = attrs.field(default="INV", validator=lambda _i, a, v: require_text(a.name, v))
    width: int = attrs.field(default=6, validator=lambda _i, a, v: require_count(a.name, v))
    yearly: bool = True
    year: int | None = None
    last: int = attrs.field(
        default=0, validator=lambda _i, a, v: require_count(a.name, v, minimum=0)
    )
    business: str = DEFAULT_BUSINESS
    pattern: str | None = None

    def peek(self, on: date) -> str:
        """The number `take` would return on *on*, without taking it."""
        year, counter = self._next(require_date("on", on))
        return self._format(year, counter)

    def take(self, on: date) -> str:
        """Take the next number for a document issued on *on* (the business's date)."""
        return self._take(require_date("on", on))

    def _take(self, on: date) -> str:
        # For callers that checked *on* already (a document's ``issue``).
        year, counter = self._next(on)
        self.year, self.last = year, counter
        return self._format(year, counter)

    def _next(self, on: date) -> tuple[int, int]:
        if not self.yearly:
            return on.year, self.last + 1
        if self.year is not None and on.year < self.year:
            raise ValidationError(
                "on",
                on,
                f"numbers for {self.year} have been issued; cannot issue into an earlier year "
                "(number by the business's date, which only moves forward)",
            )
        if self.year == on.year:
            return on.year, self.last + 1
        return on.year, 1

    def _format(self, year: int, counter: int) -> str:
        if self.pattern is not None:
            return self.pattern.format(year=year, seq=counter)
        if self.yearly:
            return f"{self.prefix}-{year}-{counter:0{self.width}d}"
        return f"{self.prefix}-{counter:0{self.width}d}"
