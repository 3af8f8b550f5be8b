"""Minimum commitments by amount: the window, what counts, the true-up to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import (
    AmountCommitment,
    BillingCycle,
    BillingStep,
    HoursPolicy,
    Invoice,
    LineKind,
    Money,
    Retainer,
    RetainerTerms,
    Trial,
    bill_retainer,
    next_billing_date,
)
from relationship_core._serialize import structure, unstructure
from relationship_core.exceptions import ValidationError

AT = datetime(2026, 1, 1, 12, tzinfo=UTC)
TEN_K = AmountCommitment(Money("10000.00", "EUR"), months=12)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def start(fee: str = "800.00", *, on: date = date(2026, 1, 1), **extra: object) -> Retainer:
    extra.setdefault("commitment", TEN_K)
    terms = RetainerTerms(eur(fee), BillingCycle.monthly(), "Europe/Berlin", **extra)  # type: ignore[arg-type]
    return Retainer.start("R1", "P1", terms, AT, starts_on=on)


def true_ups(steps: list[BillingStep]) -> list[Money]:
    out: list[Money] = []
    for step in steps:
        doc = step.document
        if doc is not None:
            out.extend(line.net for line in doc.lines if line.kind is LineKind.TRUE_UP)
    return out


def test_the_shortfall_is_billed_when_the_window_ends() -> None:
    r = start()
    assert r.commitment_window == (date(2026, 1, 1), date(2027, 1, 1))
    steps = bill_retainer(r, date(2026, 12, 31), AT)
    assert len(steps) == 12
    assert true_ups(steps) == []
    assert next_billing_date(r) == date(2027, 1, 1)
    steps = bill_retainer(r, date(2027, 1, 1), AT)
    # 10,000.00 - 9,600.00, on the first invoice after the window.
    assert true_ups(steps) == [eur("400.00")]
    assert steps[0].key == "retainer:R1:2027-01-01"
    assert bill_retainer(r, date(2027, 1, 1), AT) == []  # settled once
    assert true_ups(bill_retainer(r, date(2028, 1, 1), AT)) == []


def test_odd_cents_are_exact() -> None:
    r = start("833.33")
    steps = bill_retainer(r, date(2027, 1, 1), AT)
    assert true_ups(steps) == [eur("0.04")]  # 10,000.00 - 12 x 833.33


def test_reaching_the_amount_bills_no_true_up() -> None:
    r = start("900.00")
    assert true_ups(bill_retainer(r, date(2027, 2, 1), AT)) == []
    assert r.commitment_settled


def test_an_early_cancellation_bills_the_rest_of_the_commitment() -> None:
    r = start()
    bill_retainer(r, date(2026, 6, 1), AT)
    assert r.cancel(AT, on=date(2026, 6, 10)) == date(2026, 7, 1)  # June is the last period
    (line,) = r.pending
    assert line.kind is LineKind.TRUE_UP
    assert line.net == eur("5200.00")  # 10,000.00 - 6 x 800.00
    assert line.description == (
        "Minimum commitment true-up: 10000.00 EUR committed 2026-01-01 to 2026-12-31, "
        "4800.00 EUR billed"
    )


def test_credits_and_pauses_reduce_what_counts() -> None:
    r = start()
    bill_retainer(r, date(2026, 3, 1), AT)
    r.pause(AT, on=date(2026, 3, 1))
    r.resume(AT, on=date(2026, 5, 1))  # March and April credited
    steps = bill_retainer(r, date(2027, 1, 1), AT)
    assert true_ups(steps) == [eur("2000.00")]  # 10 x 800.00 counted


def test_an_immediate_cancellation_counts_the_prorated_days() -> None:
    r = start("310.00", commitment=AmountCommitment(eur("3720.00"), months=12))
    bill_retainer(r, date(2026, 3, 1), AT)
    r.cancel(AT, immediately=True, on=date(2026, 3, 21))
    # January, February, 1-20 March (20/31 of 310.00 = 200.00): 820.00 counted.
    assert [line.net for line in r.pending if line.kind is LineKind.TRUE_UP] == [eur("2900.00")]


def test_overage_does_not_count() -> None:
    r = start(hours=HoursPolicy("10", eur("100.00")))
    r.record_hours("50", date(2026, 1, 5), AT)  # 40 h over: 4,000.00 of overage
    steps = bill_retainer(r, date(2027, 1, 1), AT)
    assert true_ups(steps) == [eur("400.00")]


def test_the_window_opens_when_the_trial_ends() -> None:
    r = start(trial=Trial(days=14))
    assert r.commitment_window == (date(2026, 1, 15), date(2027, 1, 15))
    steps = bill_retainer(r, date(2027, 1, 15), AT)
    assert true_ups(steps) == [eur("400.00")]
    invoices = [s.document for s in steps if isinstance(s.document, Invoice)]
    assert invoices[-1].lines[0].period_start == date(2027, 1, 15)


def test_a_retainer_with_a_commitment_round_trips() -> None:
    r = start(trial=Trial(days=14, price=eur("9.00")))
    bill_retainer(r, date(2026, 2, 1), AT)
    again = structure(unstructure(r), Retainer)
    assert again == r
    assert again.trial == r.trial


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: AmountCommitment(eur("0.00"), months=12), "amount"),
        (lambda: AmountCommitment(eur("1.001"), months=12), "amount"),
        (lambda: AmountCommitment("10000", months=12), "amount"),
        (lambda: AmountCommitment(eur("1.00"), months=0), "months"),
        (lambda: start(commitment=AmountCommitment(Money("1.00", "USD"), 1)), "commitment.amount"),
        (lambda: start(minimum_periods=6), "commitment"),
        (lambda: start(commitment="10k"), "commitment"),
    ],
)
def test_bad_commitments_name_the_field(build: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


@settings(max_examples=40, deadline=None)
@given(
    fee=st.decimals(min_value=Decimal("0"), max_value=Decimal("2000"), places=2),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30000"), places=2),
    months=st.integers(min_value=1, max_value=14),
    day=st.integers(min_value=1, max_value=28),
)
def test_billed_plus_true_up_is_at_least_the_commitment_to_the_cent(
    fee: Decimal, amount: Decimal, months: int, day: int
) -> None:
    commitment = AmountCommitment(eur(str(amount)), months=months)
    r = start(str(fee), on=date(2026, 1, day), commitment=commitment)
    _, end = commitment.window(r.paid_from)
    steps = bill_retainer(r, end, AT)
    in_window = Money.zero("EUR")
    for step in steps:
        if step.document is None:
            continue
        for line in step.document.lines:
            starts = line.period_start
            if line.kind is not LineKind.TRUE_UP and starts is not None and starts < end:
                in_window += line.net
    (extra,) = true_ups(steps) or [Money.zero("EUR")]
    assert in_window + extra == max(in_window, eur(str(amount)))
