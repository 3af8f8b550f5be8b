"""Trials: a free or discounted stretch before a retainer's first paid period.

A `Trial` is part of the agreed terms: a length (days or billing periods),
a flat price for the whole trial (``None``: free), what document a free
trial gets, and what happens at its end if nobody decides. The retainer
keeps the trial as it runs in a `TrialState`: the stretches agreed (the
trial and any extensions, each with its own price), how many of them are
billed, and the outcome.

The trial's end, a local date in the account's time zone, is where paid
service starts: the retainer's schedule is anchored there and, on a monthly
cycle without an explicit ``bill_cycle_day``, the end's day of the month
becomes the bill-cycle day (29, 30 and 31 clamp in shorter months).
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

import attrs

from relationship_core._billing._checks import require_count, require_non_negative_money
from relationship_core._billing.cycles import BillingCycle
from relationship_core._domain.money import Money
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import ValidationError

__all__ = [
    "Trial",
    "TrialDocument",
    "TrialEnd",
    "TrialOutcome",
    "TrialPiece",
    "TrialState",
    "trial_end",
]


class TrialDocument(enum.Enum):
    """What a *free* trial puts on paper (a priced trial always gets an invoice).

    ``NONE`` (the default): nothing; the first document is the first paid
    period's invoice. ``ZERO_INVOICE``: a zero-amount invoice with one
    ``TRIAL`` line, issued and settled at once, for accounts that want every
    stretch of service on a document.
    """

    NONE = "none"
    ZERO_INVOICE = "zero_invoice"


class TrialEnd(enum.Enum):
    """What the trial's end does when nobody converted or cancelled it first."""

    CONVERT = "convert"  # paid service starts on the trial's end (the default)
    CANCEL = "cancel"  # the retainer ends on the trial's end; nothing paid is billed


class TrialOutcome(enum.Enum):
    """How a trial was decided."""

    CONVERTED = "converted"
    CANCELLED = "cancelled"


def _optional_length(
    instance: object, attribute: attrs.Attribute[int | None], value: object
) -> None:
    if value is not None:
        require_count(attribute.name, value, minimum=1)


def _price(value: object) -> Money | None:
    if value is None:
        return None
    money = require_non_negative_money("price", value)
    if not money.is_rounded:
        raise ValidationError("price", value, f"use whole {money.currency.code} minor units")
    return money


def _document(value: object) -> TrialDocument:
    return to_enum(TrialDocument, "document", value)


def _on_end(value: object) -> TrialEnd:
    return to_enum(TrialEnd, "on_end", value)


@attrs.frozen
class Trial:
    """A trial the retainer starts with.

    Give exactly one of *days* and *periods*.

    Examples:
        >>> from relationship_core import Money
        >>> Trial(days=14).is_free, Trial(periods=1, price=Money("9.00", "EUR")).is_free
        (True, False)

    Attributes:
        days: Length in calendar days.
        periods: Length in billing periods of the retainer's cycle.
        price: Flat price of the whole trial, before tax (``None`` or zero:
            free). It is billed like the first period (in advance at the
            trial's start, in arrears at its end) and not refunded when the
            trial is cancelled.
        document: What a free trial puts on paper (default: nothing).
        on_end: What the end does if nobody decided (default: convert).
    """

    days: int | None = attrs.field(default=None, validator=_optional_length)
    periods: int | None = attrs.field(default=None, validator=_optional_length)
    price: Money | None = attrs.field(default=None, converter=_price)
    document: TrialDocument = attrs.field(default=TrialDocument.NONE, converter=_document)
    on_end: TrialEnd = attrs.field(default=TrialEnd.CONVERT, converter=_on_end)

    def __attrs_post_init__(self) -> None:
        if (self.days is None) == (self.periods is None):
            raise ValidationError(
                "days", self.days, f"give exactly one of days and periods (periods={self.periods})"
            )

    @property
    def is_free(self) -> bool:
        """Whether the trial costs nothing."""
        return self.price is None or self.price.amount == 0


def trial_end(start: date, cycle: BillingCycle, *, days: int | None, periods: int | None) -> date:
    """The first local day after a trial of *days* or *periods* from *start*.

    Periods count with the cycle from *start* (a month from 31 January ends
    on 28 or 29 February).
    """
    if days is not None:
        return start + timedelta(days=days)
    if periods is None:
        raise ValidationError("periods", periods, "give days or periods")
    return cycle.boundary(start, periods)


@attrs.frozen
class TrialPiece:
    """One stretch of trial ``[start, end)`` and its flat price (zero: free).

    Attributes:
        start: First day.
        end: Day after the last (exclusive).
        price: Its price, before tax.
    """

    start: date
    end: date
    price: Money


@attrs.frozen
class TrialState:
    """A retainer's trial as it runs.

    Attributes:
        pieces: The trial and its extensions, in order; the last one's end
            is the trial's end.
        document: What a free piece puts on paper.
        on_end: What the end does if nobody decided.
        billed: How many pieces have been billed.
        outcome: Converted or cancelled, once decided.
        ended: Whether the end has been reached (and `TrialEnded` recorded).
        sets_bill_cycle_day: Whether the end sets the bill-cycle day (no
            explicit one in the terms, monthly cycle): an extension moves it.
    """

    pieces: tuple[TrialPiece, ...]
    document: TrialDocument = TrialDocument.NONE
    on_end: TrialEnd = TrialEnd.CONVERT
    billed: int = 0
    outcome: TrialOutcome | None = None
    ended: bool = False
    sets_bill_cycle_day: bool = False

    @property
    def starts_on(self) -> date:
        """The trial's first day."""
        return self.pieces[0].start

    @property
    def ends_on(self) -> date:
        """The day after the trial (the first paid day)."""
        return self.pieces[-1].end

    def covers(self, day: date) -> bool:
        """Whether *day* is a trial day."""
        return self.starts_on <= day < self.ends_on
