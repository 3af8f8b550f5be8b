"""Trials: free or priced, by days or periods; the end sets the bill-cycle day; decisions, events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import (
    BillingCycle,
    BillingTiming,
    HoursPolicy,
    Invoice,
    InvoiceNumberSequence,
    LineKind,
    Money,
    Retainer,
    RetainerTerms,
    Trial,
    TrialDocument,
    TrialEnd,
    TrialOutcome,
    bill_retainer,
    clamp_to_month,
    issue_documents,
    next_billing_date,
    retainer_mrr,
)
from relationship_core._billing import events as billing_events
from relationship_core._serialize import event_from_dict, event_to_dict
from relationship_core.exceptions import InvalidTransitionError, ValidationError

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def start(trial: Trial, *, on: date = date(2026, 1, 17), **extra: object) -> Retainer:
    cycle = extra.pop("cycle", BillingCycle.monthly())
    terms = RetainerTerms(eur("300.00"), cycle, "Europe/Paris", trial=trial, **extra)  # type: ignore[arg-type]
    return Retainer.start("R1", "P1", terms, AT, starts_on=on)


def names(retainer: Retainer) -> list[str]:
    return [e.name for e in retainer.pull_events()]


def test_a_free_trial_bills_nothing_and_its_end_sets_the_bill_cycle_day() -> None:
    r = start(Trial(days=14))
    assert r.trial_ends_on == date(2026, 1, 31) == r.paid_from
    assert r.terms.bill_cycle_day == 31
    assert [p.start for p in r.schedule.periods(0, 3)] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    assert names(r) == ["retainer.started", "retainer.trial_started"]
    (trial_step,) = bill_retainer(r, date(2026, 1, 30), AT)
    assert trial_step.key == "retainer:R1:trial:0"
    assert trial_step.document is None
    assert retainer_mrr(r, date(2026, 1, 20)) == eur("0.00")  # trials are not MRR
    assert next_billing_date(r) == date(2026, 1, 31)
    (first,) = bill_retainer(r, date(2026, 1, 31), AT)
    assert isinstance(first.document, Invoice)
    assert first.document.total == eur("300.00")
    assert first.key == "retainer:R1:2026-01-31"
    assert names(r) == ["retainer.trial_converted", "retainer.trial_ended"]
    assert r.trial is not None
    assert r.trial.outcome is TrialOutcome.CONVERTED
    assert r.trial.ended
    assert retainer_mrr(r, date(2026, 2, 1)) == eur("300.00")
    assert bill_retainer(r, date(2026, 1, 31), AT) == []  # idempotent


def test_a_zero_invoice_policy_puts_the_free_trial_on_paper() -> None:
    r = start(Trial(days=14, document=TrialDocument.ZERO_INVOICE))
    (step,) = bill_retainer(r, date(2026, 1, 17), AT)
    doc = step.document
    assert isinstance(doc, Invoice)
    assert doc.total == eur("0.00")
    (line,) = doc.lines
    assert line.kind is LineKind.TRIAL
    assert line.description == "Trial: Retainer 2026-01-17 to 2026-01-30 (free)"
    seq = InvoiceNumberSequence("acme")
    notes = InvoiceNumberSequence("acme-cn", prefix="CN")
    issue_documents([step], seq, notes, date(2026, 1, 17), AT)
    assert doc.status.value == "paid"  # nothing to pay: settled at issue


@pytest.mark.parametrize(
    ("timing", "due"),
    [(BillingTiming.ADVANCE, date(2026, 1, 17)), (BillingTiming.ARREARS, date(2026, 1, 31))],
)
def test_a_priced_trial_is_one_flat_line_in_advance_or_arrears(
    timing: BillingTiming, due: date
) -> None:
    r = start(Trial(days=14, price=eur("9.00")), timing=timing, tax_rate="0.20")
    assert next_billing_date(r) == due
    assert bill_retainer(r, due - timedelta(days=1), AT) == []
    (step,) = bill_retainer(r, due, AT)
    assert isinstance(step.document, Invoice)
    assert step.document.total == eur("10.80")
    assert step.document.lines[0].kind is LineKind.TRIAL


def test_a_trial_in_periods_counts_cycles_and_clamps() -> None:
    r = start(Trial(periods=1), on=date(2026, 1, 31))
    assert r.trial_ends_on == date(2026, 2, 28)
    assert r.terms.bill_cycle_day == 28  # the end's day, as it falls


def test_an_explicit_bill_cycle_day_wins_and_the_first_paid_piece_is_prorated() -> None:
    r = start(Trial(days=14), bill_cycle_day=1)
    assert r.terms.bill_cycle_day == 1
    steps = bill_retainer(r, date(2026, 2, 1), AT)
    paid = [s.document for s in steps if isinstance(s.document, Invoice)]
    # 31 January alone: 1/31 of 300.00; then all of February.
    assert [d.total for d in paid] == [eur("9.68"), eur("300.00")]
    assert paid[0].lines[0].kind is LineKind.PRORATION


def test_a_weekly_trial_anchors_the_schedule_on_its_end() -> None:
    r = start(Trial(days=10), cycle=BillingCycle.weekly())
    assert r.terms.bill_cycle_day is None
    assert r.terms.anchor == date(2026, 1, 27)
    assert r.schedule.boundary(1) == date(2026, 2, 3)


def test_extending_moves_the_end_and_the_bill_cycle_day() -> None:
    r = start(Trial(days=14))
    r.pull_events()
    at = datetime(2026, 1, 25, 9, tzinfo=UTC)
    assert r.extend_trial(at, days=5, price=eur("4.00")) == date(2026, 2, 5)
    assert r.terms.bill_cycle_day == 5
    assert r.next_period == 0
    (event,) = r.pull_events()
    assert isinstance(event, billing_events.RetainerTrialExtended)
    assert (event.old_ends_on, event.ends_on, event.price) == (
        date(2026, 1, 31),
        date(2026, 2, 5),
        eur("4.00"),
    )
    steps = bill_retainer(r, date(2026, 2, 5), AT)
    assert [s.key for s in steps] == [
        "retainer:R1:trial:0",
        "retainer:R1:trial:1",
        "retainer:R1:2026-02-05",
    ]
    totals = [s.document.total if s.document else None for s in steps]
    assert totals == [None, eur("4.00"), eur("300.00")]


def test_a_trial_cannot_be_extended_after_its_end() -> None:
    r = start(Trial(days=14))
    bill_retainer(r, date(2026, 1, 31), AT)
    with pytest.raises(InvalidTransitionError) as info:
        r.extend_trial(datetime(2026, 2, 1, tzinfo=UTC), days=3)
    assert (info.value.entity, info.value.current) == ("trial", "ended")
    r2 = start(Trial(days=14))
    with pytest.raises(ValidationError) as bad:
        r2.extend_trial(datetime(2026, 2, 2, tzinfo=UTC), days=3)
    assert bad.value.field == "at"
    with pytest.raises(ValidationError) as none:
        r2.extend_trial(AT)
    assert none.value.field == "days"


def test_cancelling_in_the_trial_ends_at_its_end_with_nothing_paid() -> None:
    r = start(Trial(days=14), minimum_periods=6)
    r.pull_events()
    ends = r.cancel_trial(datetime(2026, 1, 20, tzinfo=UTC), reason="not for us")
    assert ends == date(2026, 1, 31)
    assert r.pending == ()
    assert names(r) == ["retainer.trial_cancelled", "retainer.cancelled"]
    steps = bill_retainer(r, date(2026, 3, 1), AT)
    assert [s.document for s in steps] == [None]
    assert names(r) == ["retainer.trial_ended"]
    assert next_billing_date(r) is None
    with pytest.raises(InvalidTransitionError):
        r.convert_trial(AT)


def test_on_end_cancel_ends_an_undecided_trial() -> None:
    r = start(Trial(days=14, on_end=TrialEnd.CANCEL))
    r.pull_events()
    assert bill_retainer(r, date(2026, 2, 28), AT)[1:] == []
    assert r.ends_on == date(2026, 1, 31)
    assert r.status.value == "cancelled"
    assert names(r) == ["retainer.trial_cancelled", "retainer.cancelled", "retainer.trial_ended"]


def test_converting_early_is_recorded_once() -> None:
    r = start(Trial(days=14, on_end=TrialEnd.CANCEL))
    r.convert_trial(AT)
    with pytest.raises(InvalidTransitionError) as info:
        r.convert_trial(AT)
    assert info.value.current == "converted"
    steps = bill_retainer(r, date(2026, 1, 31), AT)
    assert isinstance(steps[-1].document, Invoice)
    assert [e.name for e in r.pull_events()][-2:] == [
        "retainer.trial_converted",
        "retainer.trial_ended",
    ]


def test_the_trial_has_no_pauses_or_hours() -> None:
    r = start(Trial(days=14), hours=HoursPolicy("5", eur("80.00")))
    with pytest.raises(ValidationError) as paused:
        r.pause(AT, on=date(2026, 1, 20))
    assert paused.value.field == "on"
    with pytest.raises(ValidationError) as hours:
        r.record_hours("1", date(2026, 1, 20), AT)
    assert hours.value.field == "worked_on"
    assert r.record_hours("6", date(2026, 2, 2), AT) == 1  # the first paid period's bank


def test_a_fee_change_in_the_trial_sets_the_paid_fee() -> None:
    r = start(Trial(days=14))
    r.change_fee(eur("350.00"), AT, effective_on=date(2026, 1, 20))
    steps = bill_retainer(r, date(2026, 1, 31), AT)
    assert steps[-1].document is not None
    assert steps[-1].document.total == eur("350.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "days"),
        ({"days": 1, "periods": 1}, "days"),
        ({"days": 0}, "days"),
        ({"periods": -1}, "periods"),
        ({"days": 3, "price": eur("1.001")}, "price"),
        ({"days": 3, "document": "paper"}, "document"),
        ({"days": 3, "on_end": "maybe"}, "on_end"),
    ],
)
def test_bad_trials_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Trial(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_bad_trial_terms_name_the_field() -> None:
    with pytest.raises(ValidationError) as currency:
        RetainerTerms(
            eur("1.00"),
            BillingCycle.monthly(),
            "UTC",
            trial=Trial(days=1, price=Money("1.00", "USD")),
        )
    assert currency.value.field == "trial.price"
    with pytest.raises(ValidationError) as kind:
        RetainerTerms(eur("1.00"), BillingCycle.monthly(), "UTC", trial=14)  # type: ignore[arg-type]
    assert kind.value.field == "trial"
    with pytest.raises(ValidationError) as anchor:
        start(Trial(days=3), anchor=date(2026, 1, 1))
    assert anchor.value.field == "anchor"
    with pytest.raises(ValidationError) as none:
        start(Trial(days=3)).extend_trial(AT)
    assert none.value.field == "days"


def test_trial_events_round_trip() -> None:
    r = start(Trial(days=14, price=eur("5.00")))
    r.extend_trial(AT, periods=1)
    r.convert_trial(AT)
    bill_retainer(r, date(2026, 3, 1), AT)
    events = r.pull_events()
    types = {cls.name: cls for cls in (getattr(billing_events, n) for n in billing_events.__all__)}
    assert {e.name for e in events} >= {
        "retainer.trial_started",
        "retainer.trial_extended",
        "retainer.trial_converted",
        "retainer.trial_ended",
    }
    for event in events:
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event))), types) == event


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=1, max_value=120),
)
def test_the_trial_end_sets_a_bill_cycle_day_that_clamps(day: date, length: int) -> None:
    r = start(Trial(days=length), on=day)
    end = day + timedelta(days=length)
    assert r.paid_from == end
    assert r.terms.bill_cycle_day == end.day
    schedule = r.schedule
    assert schedule.boundary(0) == end
    assert r.next_period == 0
    for k in range(1, 14):
        b = schedule.boundary(k)
        assert b == clamp_to_month(b.year, b.month, end.day)  # 29-31 clamp, then come back
        assert b > schedule.boundary(k - 1)


def test_bill_next_bills_the_trial_then_each_period() -> None:
    from relationship_core import bill_next

    r = start(Trial(days=14, price=eur("9.00")))
    keys = []
    while (step := bill_next(r, date(2026, 3, 1), AT)) is not None:
        keys.append(step.key)
    assert keys == [
        "retainer:R1:trial:0",
        "retainer:R1:2026-01-31",
        "retainer:R1:2026-02-28",
    ]


@settings(max_examples=60, deadline=None)
@given(
    start_day=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    days=st.integers(min_value=1, max_value=60),
    priced=st.booleans(),
    on_end=st.sampled_from(list(TrialEnd)),
    timing=st.sampled_from(list(BillingTiming)),
    horizon=st.integers(min_value=0, max_value=200),
    commit=st.booleans(),
)
def test_bill_retainer_equals_bill_next_repeated(
    *,
    start_day: date,
    days: int,
    priced: bool,
    on_end: TrialEnd,
    timing: BillingTiming,
    horizon: int,
    commit: bool,
) -> None:
    from relationship_core import AmountCommitment, bill_next

    trial = Trial(days=days, price=eur("5.00") if priced else None, on_end=on_end)
    extra: dict[str, object] = {"timing": timing}
    if commit:
        extra["commitment"] = AmountCommitment(eur("1000.00"), months=2)
    through = start_day + timedelta(days=horizon)
    a, b = start(trial, on=start_day, **extra), start(trial, on=start_day, **extra)
    at_once = bill_retainer(a, through, AT)
    one_by_one = []
    while (step := bill_next(b, through, AT)) is not None:
        one_by_one.append(step)
    assert [(s.key, s.document) for s in at_once] == [(s.key, s.document) for s in one_by_one]
    assert a == b
