"""What a retainer's periods cost under its timeline, and the adjustments a change makes.

A period is cut into *segments* ``[a, b)`` at every date where the price can
change (start, end, fee changes, pauses, the trial's end); each segment is
billed at the fee in force (``None``: not billed - before the start, after
the end, paused, or a trial day, which the trial's own pieces bill). The
functions take the `Retainer` and read its timeline; they change nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.schedule import BillingPeriod
from relationship_core._domain.money import Money

if TYPE_CHECKING:
    from relationship_core._billing.retainer import Retainer

__all__ = ["Segment", "adjust", "charged", "diff", "period_lines", "price_line", "segments"]

_DAY = timedelta(days=1)

#: A segment of a period: ``[start, end)`` billed at fee (``None``: not billed).
Segment = tuple[date, date, Money | None]


def _billed_fee(retainer: Retainer, day: date) -> Money | None:
    trial = retainer.trial
    if trial is not None and trial.covers(day):
        return None
    return retainer.fee_on(day) if retainer.is_billable_on(day) else None


def segments(retainer: Retainer, period: BillingPeriod) -> list[Segment]:
    """*period* cut where the price can change, adjacent equal segments merged."""
    start, end = period.start, period.end
    cuts = {start, end}
    trial_end = None if retainer.trial is None else retainer.trial.ends_on
    for day in (retainer.starts_on, retainer.ends_on, trial_end):
        if day is not None and start < day < end:
            cuts.add(day)
    for change in retainer.fee_changes:
        if start < change.effective_on < end:
            cuts.add(change.effective_on)
    for pause in retainer.pauses:
        for day in (pause.start, pause.end):
            if day is not None and start < day < end:
                cuts.add(day)
    out: list[Segment] = []
    for a, b in itertools.pairwise(sorted(cuts)):
        fee = _billed_fee(retainer, a)
        if out and out[-1][2] == fee and out[-1][1] == a:
            out[-1] = (out[-1][0], b, fee)
        else:
            out.append((a, b, fee))
    return out


def price_line(
    retainer: Retainer,
    period: BillingPeriod,
    a: date,
    b: date,
    fee: Money,
    *,
    credit: bool = False,
) -> LineItem | None:
    """The line for ``[a, b)`` of *period* at *fee* (a credit when *credit*); ``None`` if zero."""
    terms = retainer.terms
    amount = terms.proration.piece(fee, terms.cycle, period, a, b)
    if amount.amount == 0:
        return None
    whole = a == period.start and b == period.end
    last = (b - _DAY).isoformat()
    if credit:
        text = f"Credit: {terms.description} {a.isoformat()} to {last} ({fee} per period)"
        kind = LineKind.CREDIT
        amount = -amount
    elif whole:
        text = f"{terms.description} {a.isoformat()} to {last}"
        kind = LineKind.RETAINER_FEE
    else:
        text = (
            f"{terms.description} {a.isoformat()} to {last} "
            f"(prorated, {terms.proration}, {fee} per period)"
        )
        kind = LineKind.PRORATION
    return LineItem._trusted(text, amount, kind, terms.tax_rate, period_start=a, period_end=b)


def period_lines(retainer: Retainer, period: BillingPeriod) -> tuple[LineItem, ...]:
    """The lines *period* costs under the current timeline (before adjustments)."""
    trial = retainer.trial
    # Fast path for the common case: one fee, whole period, no pauses, no trial in it.
    if (
        len(retainer.fee_changes) == 1
        and not retainer.pauses
        and retainer.starts_on <= period.start
        and (retainer.ends_on is None or retainer.ends_on >= period.end)
        and (trial is None or trial.ends_on <= period.start)
    ):
        fee = retainer.fee_changes[0].fee
        if fee.amount == 0:
            return ()
        terms = retainer.terms
        text = (
            f"{terms.description} {period.start.isoformat()} to {(period.end - _DAY).isoformat()}"
        )
        return (
            LineItem._trusted(
                text,
                fee,
                LineKind.RETAINER_FEE,
                terms.tax_rate,
                period_start=period.start,
                period_end=period.end,
            ),
        )
    lines = []
    for a, b, segment_fee in segments(retainer, period):
        if segment_fee is not None:
            line = price_line(retainer, period, a, b, segment_fee)
            if line is not None:
                lines.append(line)
    return tuple(lines)


def _fee_at(found: list[Segment], day: date) -> Money | None:
    for a, b, fee in found:
        if a <= day < b:
            return fee
    return None


def diff(
    retainer: Retainer, period: BillingPeriod, old: list[Segment], new: list[Segment]
) -> list[LineItem]:
    """Credit what *old* billed and *new* no longer does; charge what *new* adds."""
    points = sorted({s[0] for s in old + new} | {s[1] for s in old + new})
    pairs: list[tuple[date, date, Money | None, Money | None]] = []
    for a, b in itertools.pairwise(points):
        pair = (_fee_at(old, a), _fee_at(new, a))
        if pair[0] == pair[1]:
            continue
        if pairs and pairs[-1][1] == a and pairs[-1][2:] == pair:
            pairs[-1] = (pairs[-1][0], b, *pair)
        else:
            pairs.append((a, b, *pair))
    lines: list[LineItem] = []
    for a, b, was, now in pairs:
        if was is not None:
            credit = price_line(retainer, period, a, b, was, credit=True)
            if credit is not None:
                lines.append(credit)
        if now is not None:
            charge = price_line(retainer, period, a, b, now)
            if charge is not None:
                lines.append(charge)
    return lines


def charged(retainer: Retainer, start: date, end: date) -> Money:
    """What the timeline charges for the days ``[start, end)``: fees and prorations, net.

    Each period's segments are clipped to the stretch and priced with the
    retainer's proration, so a stretch of whole periods costs exactly what
    their invoices charge (credits for changes included); trial pieces,
    overage hours and true-ups are not in it.
    """
    terms = retainer.terms
    total = Money.zero(terms.fee.currency)
    if end <= start:
        return total
    for period in retainer.schedule.periods_between(start, end):
        for a, b, fee in segments(retainer, period):
            lo, hi = max(a, start), min(b, end)
            if fee is not None and lo < hi:
                total += terms.proration.piece(fee, terms.cycle, period, lo, hi)
    return total


def adjust(retainer: Retainer, since: date, change: Callable[[], None]) -> None:
    """Apply *change*; re-price the billed periods from *since* on into pending lines."""
    schedule = retainer.schedule
    first = max(schedule.index_of(since), retainer.first_period)
    billed = [schedule.period(k) for k in range(first, retainer.next_period)]
    before = [segments(retainer, p) for p in billed]
    change()
    lines: list[LineItem] = []
    for period, old in zip(billed, before, strict=True):
        lines.extend(diff(retainer, period, old, segments(retainer, period)))
    if lines:
        retainer.pending = (*retainer.pending, *lines)
