"""The biller: idempotent under repetition, interruption and persistence."""

from __future__ import annotations

import copy
import itertools
from datetime import date, timedelta
from typing import Any

import attrs
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from relationship_core import Money
from relationship_core._billing.biller import (
    BillingStep,
    bill_next,
    bill_retainer,
    issue_documents,
    next_billing_date,
    next_due_period,
)
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.proration import ACTUAL_DAYS, THIRTY_360, Proration
from relationship_core._billing.retainer import BillingTiming, Retainer, RetainerTerms
from relationship_core._serialize import structure, unstructure

from .conftest import AT

CYCLES = st.sampled_from(
    [
        BillingCycle.monthly(),
        BillingCycle.quarterly(),
        BillingCycle.weekly(),
        BillingCycle.every_months(2),
        BillingCycle.yearly(),
    ]
)


@st.composite
def retainers(draw: st.DrawFn) -> Retainer:
    anchor = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    starts_on = anchor + timedelta(days=draw(st.integers(0, 60)))
    terms = RetainerTerms(
        Money.from_minor(draw(st.integers(0, 10**7)), draw(st.sampled_from(["USD", "JPY", "KWD"]))),
        draw(CYCLES),
        draw(st.sampled_from(["UTC", "America/New_York", "Europe/London"])),
        anchor=anchor,
        timing=draw(st.sampled_from(list(BillingTiming))),
        proration=draw(
            st.sampled_from([ACTUAL_DAYS, THIRTY_360, Proration.fixed_days_per_month()])
        ),
        tax_rate=draw(st.sampled_from(["0", "0.2", "0.075"])),
        minimum_periods=draw(st.integers(0, 4)),
    )
    retainer = Retainer.start("R", "P", terms, AT, starts_on=starts_on)
    retainer.pull_events()
    return retainer


def snapshot(step: BillingStep) -> tuple[Any, ...]:
    doc = step.document
    if doc is None:
        return (step.key, None)
    return (step.key, type(doc).__name__, doc.total, tuple(unstructure(doc)["lines"]))


def change(retainer: Retainer, kind: int, day: date) -> None:
    """One of a few timeline changes, applied the same way in both runs."""
    if day < retainer.starts_on:
        return
    if kind == 0:
        retainer.change_fee(
            retainer.fee * 2, AT, effective_on=max(day, retainer.fee_changes[-1].effective_on)
        )
    elif kind == 1:
        retainer.pause(AT, on=day)
    elif kind == 2:
        retainer.cancel(AT, immediately=True, on=day)
    else:
        retainer.cancel(AT, on=day)


class Store:
    """A toy transactional store: documents inserted once by key, retainer as a dict."""

    def __init__(self, retainer: Retainer) -> None:
        self.retainer = unstructure(retainer)
        self.documents: dict[str, tuple[Any, ...]] = {}
        self.order: list[str] = []

    def load(self) -> Retainer:
        return structure(copy.deepcopy(self.retainer), Retainer)

    def commit(self, retainer: Retainer, steps: list[BillingStep]) -> None:
        for step in steps:
            assert step.key not in self.documents, f"billed twice: {step.key}"
            self.documents[step.key] = snapshot(step)
            self.order.append(step.key)
        self.retainer = unstructure(retainer)


@settings(max_examples=120, deadline=None)
@given(retainers(), st.integers(1, 900), st.integers(0, 3), st.integers(0, 400), st.data())
def test_generation_is_idempotent_under_repetition_and_interruption(
    retainer: Retainer, horizon: int, kind: int, change_after: int, data: st.DataObject
) -> None:
    through = retainer.starts_on + timedelta(days=horizon)
    change_day = retainer.starts_on + timedelta(days=change_after)

    # Reference: one uninterrupted run to the change day, the change, then the rest.
    reference = copy.deepcopy(retainer)
    expected = [snapshot(s) for s in bill_retainer(reference, min(change_day, through), AT)]
    if change_day <= through:
        change(reference, kind, change_day)
        expected += [snapshot(s) for s in bill_retainer(reference, through, AT)]
    expected += [snapshot(s) for s in bill_retainer(reference, through, AT)]  # repeat: no-op

    # The same, through a store, with crashes at random points and reruns.
    store = Store(retainer)

    crashes = [0]

    def run(until: date) -> None:
        while True:
            working = store.load()
            steps: list[BillingStep] = []
            crashed = False
            while (step := bill_next(working, until, AT)) is not None:
                steps.append(step)
                if crashes[0] < 5 and data.draw(st.integers(0, 4), label="crash") == 4:
                    crashes[0] += 1
                    crashed = True  # discard everything since the last commit
                    break
                if data.draw(st.booleans(), label="commit now"):
                    store.commit(working, steps)
                    steps = []
            if not crashed:
                store.commit(working, steps)
                if bill_next(store.load(), until, AT) is None:
                    return

    run(min(change_day, through))
    if change_day <= through:
        working = store.load()
        change(working, kind, change_day)
        store.commit(working, [])
    run(through)
    run(through)  # a repeated run bills nothing
    assert [store.documents[k] for k in store.order] == expected
    assert store.load() == reference


def _started(proration: Proration, cycle: BillingCycle, anchor: date, starts_on: date) -> Retainer:
    terms = RetainerTerms(Money("3000.00", "USD"), cycle, "UTC", anchor=anchor, proration=proration)
    return Retainer.start("R", "P", terms, AT, starts_on=starts_on)


#: A start on the 61st day of a two-month period at 30 days per month (it was free).
SIXTY_FIRST_DAY = _started(
    Proration.fixed_days_per_month(30),
    BillingCycle.every_months(2),
    date(2026, 3, 1),
    date(2026, 4, 30),
)
#: A start on the 31st, the last day of a monthly period, under 30/360 (it was free).
THIRTY_FIRST = _started(THIRTY_360, BillingCycle.monthly(), date(2026, 1, 1), date(2026, 1, 31))


@settings(max_examples=60, deadline=None)
@given(retainers(), st.integers(1, 1500))
@example(SIXTY_FIRST_DAY, 90)
@example(THIRTY_FIRST, 60)
def test_no_period_is_skipped_or_billed_twice(retainer: Retainer, horizon: int) -> None:
    retainer = copy.deepcopy(retainer)  # explicit examples are shared objects
    through = retainer.starts_on + timedelta(days=horizon)
    upcoming = next_billing_date(retainer)
    assert upcoming is not None
    all_steps = bill_retainer(retainer, through, AT)
    assert bool(all_steps) == (upcoming <= through)
    after = next_billing_date(retainer)
    assert after is None or after > through
    steps = [s for s in all_steps if s.period is not None]
    indexes = [s.period.index for s in steps if s.period is not None]
    assert indexes == list(range(retainer.first_period, retainer.first_period + len(indexes)))
    assert next_due_period(retainer, through) is None
    # Fee lines never overlap, and with a fee large enough that no piece rounds
    # to zero they tile the service from the start with no gap.
    spans = [
        (line.period_start, line.period_end)
        for s in steps
        if s.document is not None
        for line in s.document.lines
    ]
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end is not None
        assert start is not None
        assert end <= start
    if spans and retainer.fee.minor_units >= 100_000:
        assert spans[0][0] == retainer.starts_on
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end == start


def test_a_start_on_the_last_day_of_a_long_fixed_days_period_is_billed() -> None:
    # Every two months from 1 March at 30 days per month: 1 March - 1 May is
    # 61 days worth 60. Starting on 30 April, the period's last day, bills one
    # day (3000.00 / 60 = 50.00); the next invoice covers May and June.
    retainer = copy.deepcopy(SIXTY_FIRST_DAY)
    steps = bill_retainer(retainer, date(2026, 5, 1), AT)
    lines = [line for step in steps if step.document for line in step.document.lines]
    assert [(line.period_start, line.period_end, line.unit_price) for line in lines] == [
        (date(2026, 4, 30), date(2026, 5, 1), Money("50.00", "USD")),
        (date(2026, 5, 1), date(2026, 7, 1), Money("3000.00", "USD")),
    ]


def test_issue_documents_numbers_invoices_and_credit_notes_separately() -> None:
    terms = RetainerTerms(
        Money("310.00", "USD"), BillingCycle.monthly(), "UTC", anchor=date(2026, 1, 1)
    )
    retainer = Retainer.start("R", "P", terms, AT, starts_on=date(2026, 1, 1))
    invoices = InvoiceNumberSequence("acme")
    notes = InvoiceNumberSequence("acme-cn", prefix="CN")
    steps = bill_retainer(retainer, date(2026, 2, 1), AT)
    retainer.cancel(AT, immediately=True, on=date(2026, 2, 15))
    steps += bill_retainer(retainer, date(2026, 2, 15), AT)
    issued = issue_documents(steps, invoices, notes, date(2026, 2, 15), AT)
    assert [(type(d).__name__, d.number) for d in issued] == [
        ("Invoice", "INV-2026-000001"),
        ("Invoice", "INV-2026-000002"),
        ("CreditNote", "CN-2026-000001"),
    ]
    note = issued[2]
    assert isinstance(note, CreditNote)
    feb = issued[1]
    assert isinstance(feb, Invoice)
    assert note.invoice_id == feb.id
    feb.apply_credit_note(note, AT)
    assert feb.balance == Money("155.00", "USD")  # 14 of 28 days kept


@st.composite
def timelines(draw: st.DrawFn) -> tuple[Retainer, list[tuple[int, int, int]]]:
    retainer = draw(retainers())
    retainer = attrs.evolve(retainer, terms=attrs.evolve(retainer.terms, minimum_periods=0))
    ops = draw(
        st.lists(
            st.tuples(st.integers(0, 4), st.integers(1, 120), st.integers(0, 10**6)), max_size=8
        )
    )
    return retainer, ops


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_net_billed_equals_the_final_timeline_priced(
    case: tuple[Retainer, list[tuple[int, int, int]]],
) -> None:
    """However changes and billing runs interleave, credits and charges net out to
    exactly what the final timeline says each billed period costs."""
    retainer, ops = case
    currency = retainer.terms.fee.currency
    day = retainer.starts_on
    net = Money.zero(currency)

    def run(through: date) -> None:
        nonlocal net
        for step in bill_retainer(retainer, through, AT):
            if isinstance(step.document, Invoice):
                net += step.document.subtotal
            elif isinstance(step.document, CreditNote):
                net -= step.document.subtotal

    for kind, gap, cents in ops:
        day += timedelta(days=gap)
        run(day - timedelta(days=kind))  # billing sometimes lags the change
        if retainer.ends_on is not None:
            break
        if kind == 0:
            last = retainer.fee_changes[-1].effective_on
            retainer.change_fee(Money.from_minor(cents, currency), AT, effective_on=max(day, last))
        elif kind == 1 and retainer.pauses and retainer.pauses[-1].end is None:
            if day > retainer.pauses[-1].start:
                retainer.resume(AT, on=day)
        elif kind == 1:
            floor = retainer.pauses[-1].end if retainer.pauses else day
            assert floor is not None
            retainer.pause(AT, on=max(day, floor))
        elif kind == 2:
            retainer.cancel(AT, immediately=True, on=day)
        elif kind == 3:
            retainer.cancel(AT, on=day)
    run(day + timedelta(days=800))
    upcoming = next_billing_date(retainer)
    assert upcoming is None or upcoming > day + timedelta(days=800)
    expected = Money.zero(currency)
    schedule = retainer.schedule
    for k in range(retainer.first_period, retainer.next_period):
        for line in retainer.period_lines(schedule.period(k)):
            expected += line.net
    event(f"adjustments: {retainer.adjustment_count > 0}, ops: {len(ops) > 2}")
    assert retainer.pending == ()
    assert net == expected
