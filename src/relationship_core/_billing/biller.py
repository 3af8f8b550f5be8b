"""The biller: turns retainer periods and fulfilled orders into invoices, idempotently.

**The contract.** A retainer's ``next_period`` marker says which periods are
billed; `bill_next` bills exactly the next due period (with any pending
adjustments), advances the marker, and returns a draft document whose id is
its *idempotency key*, ``"retainer:<id>:<period start>"``. Save the retainer
(with the version you read) and the document (insert-if-absent on the key) in
one transaction:

* run it twice and the second run finds the marker advanced: nothing to do;
* crash before the commit and nothing was saved: the re-run computes the very
  same document (same key, same lines), because billing is a pure function
  of the retainer's stored state and the ``through`` date;
* two billers race: optimistic concurrency on the retainer lets one commit;
  the other gets a conflict, re-reads, and finds the period billed.

So no period is billed twice and none is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs

from relationship_core._billing._checks import require_instance, require_text
from relationship_core._billing.invoices import CreditNote, Invoice, InvoiceSource
from relationship_core._billing.lines import LineItem, LineKind, sum_lines
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import Order, OrderStatus, Refund
from relationship_core._billing.retainer import BillingTiming, Retainer
from relationship_core._billing.schedule import BillingPeriod
from relationship_core._billing.trials import TrialDocument
from relationship_core._domain.money import Rounding
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core._domain.validators import tuple_of
from relationship_core.exceptions import ValidationError

__all__ = [
    "BillingStep",
    "bill_next",
    "bill_retainer",
    "credit_note_for_refund",
    "period_due_on",
    "invoice_for_order",
    "issue_documents",
    "next_billing_date",
    "next_due_period",
    "period_key",
]


@attrs.frozen
class BillingStep:
    """What one billing step produced.

    Attributes:
        key: The step's idempotency key (also the document's id).
        period: The period billed, or ``None`` for an adjustment-only or a
            trial document (key ``"retainer:<id>:trial:<n>"``).
        document: The draft invoice or credit note, or ``None`` when the
            period cost nothing (e.g. paused throughout).
    """

    key: str
    period: BillingPeriod | None
    document: Invoice | CreditNote | None


def period_key(retainer_id: str, period_start: date) -> str:
    """The idempotency key of a retainer's period: ``"retainer:<id>:<start>"``."""
    require_text("retainer_id", retainer_id)
    require_date("period_start", period_start)
    return f"retainer:{retainer_id}:{period_start.isoformat()}"


def _adjustment_key(retainer_id: str, count: int) -> str:
    return f"retainer:{retainer_id}:adjustment:{count}"


def period_due_on(retainer: Retainer, period: BillingPeriod) -> date:
    """The local date *period* becomes billable.

    In advance: its start (or the retainer's start, if later). In arrears:
    its end (or the retainer's end, if earlier).
    """
    require_instance("retainer", retainer, Retainer)
    require_instance("period", period, BillingPeriod)
    return _due_on(retainer, period)


def _due_on(retainer: Retainer, period: BillingPeriod) -> date:
    if retainer.terms.timing is BillingTiming.ADVANCE:
        return max(period.start, retainer.paid_from)
    end = retainer.ends_on
    return period.end if end is None else min(period.end, end)


def next_billing_date(retainer: Retainer) -> date | None:
    """The local date on which `bill_retainer` next has something to do.

    That is the next period's due date, or earlier when adjustment lines are
    pending (they are due at once); ``None`` when the retainer has ended and
    nothing is left to bill. Index it so a scheduler can find the retainers
    due on or before today without loading them all.
    """
    require_instance("retainer", retainer, Retainer)
    period = retainer.schedule.period(retainer.next_period)
    end = retainer.ends_on
    due = _due_on(retainer, period) if end is None or period.start < end else None
    for other in _settle_dates(retainer):
        due = other if due is None else min(due, other)
    if retainer.pending:
        earliest = min(line.period_start or retainer.starts_on for line in retainer.pending)
        return earliest if due is None else min(due, earliest)
    return due


def _trial_due_on(retainer: Retainer) -> date | None:
    trial = retainer.trial
    if trial is None or trial.billed >= len(trial.pieces):
        return None
    piece = trial.pieces[trial.billed]
    if retainer.terms.timing is BillingTiming.ADVANCE:
        return piece.start
    end = retainer.ends_on
    return piece.end if end is None else min(piece.end, end)


def _settle_dates(retainer: Retainer) -> list[date]:
    # A trial piece to bill, the trial's end, the end of a commitment window.
    dates = []
    if (piece := _trial_due_on(retainer)) is not None:
        dates.append(piece)
    trial = retainer.trial
    if trial is not None and not trial.ended:
        dates.append(trial.ends_on)
    window = retainer.commitment_window
    if window is not None and not retainer.commitment_settled:
        dates.append(window[1])
    return dates


def _bill_trial(retainer: Retainer) -> BillingStep:
    trial = retainer.trial
    assert trial is not None  # noqa: S101 - _trial_due_on checked
    n = trial.billed
    piece = trial.pieces[n]
    key = f"retainer:{retainer.id}:trial:{n}"
    lines: tuple[LineItem, ...] = ()
    ended = retainer.ends_on is not None and piece.start >= retainer.ends_on
    if not ended and (piece.price.amount > 0 or trial.document is TrialDocument.ZERO_INVOICE):
        last = date.fromordinal(piece.end.toordinal() - 1).isoformat()
        free = " (free)" if piece.price.amount == 0 else ""
        text = f"Trial: {retainer.terms.description} {piece.start.isoformat()} to {last}{free}"
        line = LineItem._trusted(
            text,
            piece.price,
            LineKind.TRIAL,
            retainer.terms.tax_rate,
            period_start=piece.start,
            period_end=piece.end,
        )
        lines = (line,)
    document = _document(retainer, key, lines, "Trial")
    retainer.trial = attrs.evolve(trial, billed=n + 1)
    if isinstance(document, Invoice):
        retainer.last_invoice_id = document.id
    return BillingStep(key, None, document)


def _trial_step(retainer: Retainer, through: date) -> BillingStep | None:
    due = _trial_due_on(retainer)
    return _bill_trial(retainer) if due is not None and due <= through else None


def next_due_period(retainer: Retainer, through: date) -> BillingPeriod | None:
    """The next unbilled period if it is due on or before *through*."""
    require_instance("retainer", retainer, Retainer)
    require_date("through", through)
    return _next_due(retainer, through)


def _next_due(retainer: Retainer, through: date) -> BillingPeriod | None:
    period = retainer.schedule.period(retainer.next_period)
    return period if _is_due(retainer, period, through) else None


def _flip(line: LineItem) -> LineItem:
    # A credit note states amounts the other way round.
    kind = LineKind.PRORATION if line.kind is LineKind.CREDIT else LineKind.CREDIT
    description = line.description.removeprefix("Credit: ")
    if kind is LineKind.CREDIT:
        description = f"Less: {description}"
    return LineItem._trusted(
        description,
        -line.unit_price,
        kind,
        line.tax_rate,
        period_start=line.period_start,
        period_end=line.period_end,
        quantity=line.quantity,
    )


def _document(
    retainer: Retainer, key: str, lines: tuple[LineItem, ...], reason: str
) -> Invoice | CreditNote | None:
    if not lines:
        return None
    currency = retainer.terms.fee.currency
    if len(lines) > 1 or lines[0].unit_price.amount < 0:
        total = sum_lines(lines, currency)[2]
        if total.amount < 0:
            return CreditNote(
                id=key,
                party_id=retainer.party_id,
                currency=currency,
                lines=tuple(_flip(line) for line in lines),
                reason=reason,
                invoice_id=retainer.last_invoice_id,
                source=InvoiceSource.RETAINER,
                source_id=retainer.id,
                idempotency_key=key,
                business=retainer.business,
            )
    return Invoice._trusted_draft(
        key,
        retainer.party_id,
        currency=currency,
        lines=lines,
        payment_terms_days=retainer.terms.payment_terms_days,
        source=InvoiceSource.RETAINER,
        source_id=retainer.id,
        idempotency_key=key,
        business=retainer.business,
    )


def _bill_adjustments(retainer: Retainer) -> BillingStep:
    key = _adjustment_key(retainer.id, retainer.adjustment_count)
    document = _document(retainer, key, retainer.pending, "Retainer adjustment")
    retainer.pending = ()
    retainer.adjustment_count += 1
    if isinstance(document, Invoice):
        retainer.last_invoice_id = document.id
    return BillingStep(key, None, document)


def _bill_period(retainer: Retainer, period: BillingPeriod) -> BillingStep:
    key = period_key(retainer.id, period.start)
    lines = retainer.period_lines(period)
    if retainer.pending:
        lines = (*lines, *retainer.pending)
        retainer.pending = ()
    document = _document(retainer, key, lines, "Retainer adjustment")
    retainer.next_period = period.index + 1
    if isinstance(document, Invoice):
        retainer.last_invoice_id = document.id
    return BillingStep(key, period, document)


def _is_due(retainer: Retainer, period: BillingPeriod, through: date) -> bool:
    end = retainer.ends_on
    if end is not None and period.start >= end:
        return False
    return _due_on(retainer, period) <= through


def _settle_before(retainer: Retainer, period: BillingPeriod, through: date, at: datetime) -> None:
    # What falls due by the period's due date (a trial's end, a commitment
    # window's end) is settled before the period is billed, so a true-up rides
    # on the invoice of the period it follows, even when a run catches up.
    retainer.settle(min(through, _due_on(retainer, period)), at)


def bill_next(retainer: Retainer, through: date, at: datetime) -> BillingStep | None:
    """Bill the next due period of *retainer* (or its pending adjustments); mutate the marker.

    Returns ``None`` when nothing is due on or before the local date *through*.
    Pending adjustment lines ride on the period's invoice; when no period is
    due they make a document of their own (a credit note when they net
    negative).
    """
    require_date("through", through)
    require_aware("at", at)
    require_instance("retainer", retainer, Retainer)
    if (trial := _trial_step(retainer, through)) is not None:
        return trial
    _settle_before(retainer, retainer.schedule.period(retainer.next_period), through, at)
    period = _next_due(retainer, through)
    if period is not None:
        return _bill_period(retainer, period)
    retainer.settle(through, at)
    if retainer.pending:
        return _bill_adjustments(retainer)
    return None


def bill_retainer(retainer: Retainer, through: date, at: datetime) -> list[BillingStep]:
    """Bill everything due up to *through*: trial pieces, each due period, then adjustments.

    The same as calling `bill_next` until it returns ``None``, with each
    boundary computed once (still from the anchor). Before each period,
    `Retainer.settle` applies what fell due by then: an undecided trial's
    end (convert or cancel) and the end of an amount commitment's window
    (the true-up rides on the next invoice).
    """
    require_date("through", through)
    require_aware("at", at)
    require_instance("retainer", retainer, Retainer)
    steps = []
    while (trial := _trial_step(retainer, through)) is not None:
        steps.append(trial)
    schedule = retainer.schedule
    k = retainer.next_period
    start = schedule.boundary(k)
    while True:
        end = schedule.boundary(k + 1)
        period = BillingPeriod(k, start, end)
        _settle_before(retainer, period, through, at)
        if not _is_due(retainer, period, through):
            break
        steps.append(_bill_period(retainer, period))
        k, start = k + 1, end
    retainer.settle(through, at)
    if retainer.pending:
        steps.append(_bill_adjustments(retainer))
    return steps


def issue_documents(
    steps: Iterable[BillingStep],
    invoices: InvoiceNumberSequence,
    credit_notes: InvoiceNumberSequence,
    on: date,
    at: datetime,
) -> list[Invoice | CreditNote]:
    """Issue the documents of *steps* in order, taking numbers from the two sequences."""
    given = tuple_of("steps", BillingStep, steps)
    require_instance("invoices", invoices, InvoiceNumberSequence)
    require_instance("credit_notes", credit_notes, InvoiceNumberSequence)
    require_date("on", on)
    require_aware("at", at)
    issued: list[Invoice | CreditNote] = []
    for step in given:
        document = step.document
        if isinstance(document, Invoice):
            document.issue(invoices, on, at)
        elif isinstance(document, CreditNote):
            document.issue(credit_notes, on, at)
        else:
            continue
        issued.append(document)
    return issued


def invoice_for_order(
    order: Order, at: datetime, *, payment_terms_days: int | None = None
) -> Invoice:
    """A draft invoice for a fulfilled order; marks the order invoiced.

    It falls due *payment_terms_days* after issue (default: the order's own terms).

    Its id and idempotency key are ``"order:<order id>"``, so invoicing the
    same order twice cannot store two invoices.
    """
    require_aware("at", at)
    require_instance("order", order, Order)
    if order.status is not OrderStatus.FULFILLED:
        raise ValidationError(
            "order.status", order.status.value, "only a fulfilled order can be invoiced"
        )
    key = f"order:{order.id}"
    invoice = Invoice(
        id=key,
        party_id=order.party_id,
        currency=order.currency,
        lines=order.lines,
        payment_terms_days=(
            order.payment_terms_days if payment_terms_days is None else payment_terms_days
        ),
        source=InvoiceSource.ORDER,
        source_id=order.id,
        idempotency_key=key,
        business=order.business,
    )
    order.mark_invoiced(invoice.id, at)
    return invoice


def credit_note_for_refund(order: Order, refund: Refund) -> CreditNote:
    """Record *refund* on *order* and draft the matching credit note.

    A full refund credits every line as sold. A partial refund is split over
    the lines in proportion to their totals (``Money.allocate``: no cent is
    lost); each part is a tax-inclusive amount whose net is backed out at
    the line's tax rate, and a last zero-tax "rounding" line (a cent or two at
    most) makes the note's total equal the refund exactly.
    """
    require_instance("order", order, Order)
    order.refund(refund)
    key = f"refund:{order.id}:{refund.id}"
    currency = order.currency
    if refund.amount == order.total and len(order.refunds) == 1:
        lines = tuple(
            attrs.evolve(line, description=f"Refund: {line.description}") for line in order.lines
        )
    else:
        parts = refund.amount.allocate([line.total.amount for line in order.lines])
        built: list[LineItem] = []
        for line, part in zip(order.lines, parts, strict=True):
            if part.amount == 0:
                continue
            net = (part / (1 + line.tax_rate)).round(Rounding.HALF_UP)
            built.append(
                LineItem._trusted(f"Refund: {line.description}", net, line.kind, line.tax_rate)
            )
        gap = refund.amount - sum_lines(tuple(built), currency)[2]
        if gap.amount != 0:
            kind = LineKind.CREDIT if gap.amount < 0 else LineKind.SERVICE
            built.append(LineItem._trusted("Rounding", gap, kind, Decimal(0)))
        lines = tuple(built)
    return CreditNote(
        id=key,
        party_id=order.party_id,
        currency=currency,
        lines=lines,
        reason=refund.reason or "Refund",
        invoice_id=order.invoice_id,
        source=InvoiceSource.ORDER,
        source_id=order.id,
        idempotency_key=key,
        business=order.business,
    )
