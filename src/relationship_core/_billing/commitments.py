"""Minimum commitments: by term (``minimum_periods``) or by amount over a window.

**By term.** ``RetainerTerms.minimum_periods`` commits the client to that
many full periods; cancelling earlier bills a true-up for the committed fees
not yet due.

**By amount.** An `AmountCommitment` commits the client to at least
*amount* over *months* calendar months from the first paid day (the
retainer's start, or the trial's end). What counts is what the timeline
charges for service days inside the window - fees and prorations, net of
credits for changes and pauses (`retainer_pricing.charged`). Overage hours
do **not** count: they pay for work beyond the retainer, not for the
retainer the client committed to; trial pieces are before the window. When
the window ends (the first billing run on or after its end) or the retainer
is cancelled before it ends, a ``TRUE_UP`` line bills the shortfall, exactly
``amount - counted`` to the cent (nothing when the client reached it).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import attrs
from dateutil.relativedelta import relativedelta

from relationship_core._billing._checks import require_count, require_money
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.retainer_pricing import charged
from relationship_core._domain.money import Money
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._billing.retainer import Retainer

__all__ = ["AmountCommitment", "amount_true_up", "term_end", "term_true_up"]

_DAY = timedelta(days=1)


def _amount(value: object) -> Money:
    money = require_money("amount", value)
    if money.amount <= 0 or not money.is_rounded:
        raise ValidationError(
            "amount", value, f"must be more than zero, in whole {money.currency.code} minor units"
        )
    return money


@attrs.frozen
class AmountCommitment:
    """At least *amount* billed over the first *months* months of paid service.

    Examples:
        >>> from datetime import date
        >>> from relationship_core import Money
        >>> c = AmountCommitment(Money("10000.00", "EUR"), months=12)
        >>> c.window(date(2026, 1, 15))
        (datetime.date(2026, 1, 15), datetime.date(2027, 1, 15))

    Attributes:
        amount: The minimum, before tax (whole minor units, more than zero).
        months: Length of the window in calendar months (at least 1).
    """

    amount: Money = attrs.field(converter=_amount)
    months: int = attrs.field(validator=lambda _i, a, v: require_count(a.name, v, minimum=1))

    def window(self, start: date) -> tuple[date, date]:
        """``(start, end)`` of the window opening on *start* (end exclusive, clamped)."""
        return start, start + relativedelta(months=self.months)


def term_end(retainer: Retainer) -> date | None:
    """`Retainer.commitment_ends_on`: *minimum_periods* full periods after the first paid day."""
    if not retainer.terms.minimum_periods:
        return None
    schedule = retainer.schedule
    first = schedule.index_of(retainer.paid_from)
    if schedule.boundary(first) != retainer.paid_from:
        first += 1
    return schedule.boundary(first + retainer.terms.minimum_periods)


def term_true_up(retainer: Retainer, ends_on: date) -> LineItem | None:
    """The line for the committed full periods after *ends_on*, at the last fee."""
    commitment = retainer.commitment_ends_on
    if commitment is None or ends_on >= commitment:
        return None
    terms = retainer.terms
    fee = retainer.fee_on(max(ends_on - _DAY, retainer.starts_on))
    total = Money.zero(fee.currency)
    for period in retainer.schedule.periods_between(ends_on, commitment):
        a, b = max(period.start, ends_on), min(period.end, commitment)
        total = total + terms.proration.piece(fee, terms.cycle, period, a, b)
    if total.amount <= 0:
        return None
    text = (
        f"Minimum term true-up {ends_on.isoformat()} to "
        f"{(commitment - _DAY).isoformat()} ({terms.minimum_periods} periods committed)"
    )
    return LineItem._trusted(
        text, total, LineKind.TRUE_UP, terms.tax_rate, period_start=ends_on, period_end=commitment
    )


def amount_true_up(retainer: Retainer, until: date) -> LineItem | None:
    """The shortfall line of the amount commitment, counting service up to *until*.

    ``None`` when there is no amount commitment or nothing is short.
    """
    commitment = retainer.terms.commitment
    if commitment is None:
        return None
    start, end = commitment.window(retainer.paid_from)
    counted = charged(retainer, start, min(until, end))
    shortfall = commitment.amount - counted.round()
    if shortfall.amount <= 0:
        return None
    text = (
        f"Minimum commitment true-up: {commitment.amount} committed "
        f"{start.isoformat()} to {(end - _DAY).isoformat()}, {counted.round()} billed"
    )
    return LineItem._trusted(
        text,
        shortfall,
        LineKind.TRUE_UP,
        retainer.terms.tax_rate,
        period_start=start,
        period_end=end,
    )
