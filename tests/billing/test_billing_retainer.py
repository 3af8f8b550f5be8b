"""The retainer aggregate: start, fee changes, pauses, cancellation, commitment, hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from relationship_core import Money
from relationship_core._billing.biller import bill_retainer
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.events import (
    RetainerCancelled,
    RetainerFeeChanged,
    RetainerPaused,
    RetainerResumed,
    RetainerStarted,
)
from relationship_core._billing.hours import HoursPolicy
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.lifecycle import end_retainer_on_lapse, start_retainer_for
from relationship_core._billing.lines import LineKind
from relationship_core._billing.proration import THIRTY_360
from relationship_core._billing.retainer import (
    BillingTiming,
    Retainer,
    RetainerStatus,
    RetainerTerms,
)
from relationship_core._domain.engagements import Engagement
from relationship_core.exceptions import InvalidTransitionError, ValidationError

from .conftest import AT, make_retainer, usd


def status(thing: object) -> object:
    """Read a status without letting mypy narrow it between moves."""
    return thing.status  # type: ignore[attr-defined]


def totals(retainer: Retainer, through: date) -> list[tuple[str, str, Money]]:
    out = []
    for step in bill_retainer(retainer, through, AT):
        doc = step.document
        assert doc is not None
        out.append((type(doc).__name__, step.key, doc.total))
    return out


def test_start_records_event_and_bills_in_advance() -> None:
    r = make_retainer()
    (event,) = r.pull_events()
    assert isinstance(event, RetainerStarted)
    assert event.starts_on == date(2026, 1, 1)
    assert totals(r, date(2026, 3, 1)) == [
        ("Invoice", "retainer:R1:2026-01-01", usd("310.00")),
        ("Invoice", "retainer:R1:2026-02-01", usd("310.00")),
        ("Invoice", "retainer:R1:2026-03-01", usd("310.00")),
    ]
    assert r.next_period == 3
    assert totals(r, date(2026, 3, 31)) == []  # nothing new until April


def test_start_date_defaults_to_the_local_day_of_the_instant() -> None:
    terms = RetainerTerms(usd("100.00"), BillingCycle.monthly(), "Europe/London")
    # 23:30 UTC on 28 March is still the 28th in London (GMT) ...
    r = Retainer.start("R", "P", terms, datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    assert r.starts_on == date(2026, 3, 28)
    # ... but 23:30 UTC on 29 March is 00:30 BST on the 30th.
    r = Retainer.start("R", "P", terms, datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    assert r.starts_on == date(2026, 3, 30)
    assert r.terms.anchor == date(2026, 3, 30)
    terms = RetainerTerms(usd("100.00"), BillingCycle.monthly(), "America/New_York")
    r = Retainer.start("R", "P", terms, datetime(2026, 11, 1, 4, 30, tzinfo=UTC))
    assert r.starts_on == date(2026, 11, 1)  # 00:30 EDT, an hour before the change


def test_mid_period_start_is_prorated() -> None:
    r = make_retainer(starts_on=date(2026, 1, 17))
    steps = bill_retainer(r, date(2026, 2, 1), AT)
    first = steps[0].document
    assert isinstance(first, Invoice)
    (line,) = first.lines
    assert line.kind is LineKind.PRORATION
    assert line.net == usd("150.00")  # 15 of 31 days of 310.00
    assert (line.period_start, line.period_end) == (date(2026, 1, 17), date(2026, 2, 1))
    assert steps[1].document is not None
    assert steps[1].document.total == usd("310.00")


def test_arrears_bills_after_the_period_ends() -> None:
    r = make_retainer(timing=BillingTiming.ARREARS, starts_on=date(2026, 1, 17))
    assert totals(r, date(2026, 1, 31)) == []
    assert totals(r, date(2026, 2, 1)) == [("Invoice", "retainer:R1:2026-01-01", usd("150.00"))]


def test_month_end_anchor_periods_from_the_retainer() -> None:
    r = make_retainer("100.00", anchor=date(2024, 1, 31), starts_on=date(2024, 1, 31))
    keys = [s.key for s in bill_retainer(r, date(2024, 4, 30), AT)]
    assert keys == [
        "retainer:R1:2024-01-31",
        "retainer:R1:2024-02-29",
        "retainer:R1:2024-03-31",
        "retainer:R1:2024-04-30",
    ]


def test_fee_change_mid_period_credits_old_and_charges_new() -> None:
    r = make_retainer()
    bill_retainer(r, date(2026, 3, 1), AT)  # March billed at 310.00
    r.change_fee(usd("400.00"), AT, effective_on=date(2026, 3, 16))
    event = r.pull_events()[-1]
    assert isinstance(event, RetainerFeeChanged)
    assert (event.old_fee, event.new_fee) == (usd("310.00"), usd("400.00"))
    credit, charge = r.pending
    assert credit.kind is LineKind.CREDIT
    assert credit.net == usd("-160.00")  # 16 of 31 days of 310.00
    assert charge.net == usd("206.45")  # 16 of 31 days of 400.00
    april = bill_retainer(r, date(2026, 4, 1), AT)[0].document
    assert april is not None
    assert april.total == usd("446.45")  # 400.00 + 206.45 - 160.00
    assert r.pending == ()
    assert r.fee == usd("400.00")
    assert r.fee_on(date(2026, 3, 15)) == usd("310.00")


def test_fee_change_in_an_unbilled_period_needs_no_adjustment() -> None:
    r = make_retainer(timing=BillingTiming.ARREARS)
    r.change_fee(usd("400.00"), AT, effective_on=date(2026, 1, 16))
    assert r.pending == ()
    (step,) = bill_retainer(r, date(2026, 2, 1), AT)
    assert step.document is not None
    # 15 days at 310 + 16 days at 400, pieces of one running total
    assert [line.net for line in step.document.lines] == [usd("150.00"), usd("206.45")]


def test_pause_and_resume() -> None:
    r = make_retainer()
    bill_retainer(r, date(2026, 3, 1), AT)
    r.pause(AT, on=date(2026, 3, 11))
    assert r.status is RetainerStatus.PAUSED
    (credit,) = r.pending
    assert credit.net == usd("-210.00")  # 21 of 31 days
    # April and May come due while paused: nothing to charge; the credit goes out.
    steps = bill_retainer(r, date(2026, 5, 1), AT)
    assert [s.key for s in steps] == ["retainer:R1:2026-04-01", "retainer:R1:2026-05-01"]
    note = steps[0].document
    assert isinstance(note, CreditNote)
    assert note.total == usd("210.00")
    assert steps[1].document is None
    r.resume(AT, on=date(2026, 5, 21))
    assert status(r) is RetainerStatus.ACTIVE
    (charge,) = r.pending
    assert charge.net == usd("110.00")  # 11 of 31 days of May
    kinds = [type(e) for e in r.pull_events()]
    assert RetainerPaused in kinds
    assert RetainerResumed in kinds
    with pytest.raises(InvalidTransitionError) as info:
        r.resume(AT, on=date(2026, 5, 22))
    assert info.value.allowed == ("paused", "changed", "cancelled")


def test_cancel_at_period_end_needs_no_credit() -> None:
    r = make_retainer()
    bill_retainer(r, date(2026, 3, 1), AT)
    assert r.cancel(AT, on=date(2026, 3, 10)) == date(2026, 4, 1)
    assert r.pending == ()
    assert totals(r, date(2027, 1, 1)) == []
    event = r.pull_events()[-1]
    assert isinstance(event, RetainerCancelled)
    assert not event.immediately


def test_cancel_now_issues_a_credit_note() -> None:
    r = make_retainer()
    bill_retainer(r, date(2026, 3, 1), AT)
    march = r.last_invoice_id
    assert r.cancel(AT, immediately=True, on=date(2026, 3, 21)) == date(2026, 3, 21)
    (step,) = bill_retainer(r, date(2026, 3, 21), AT)
    note = step.document
    assert isinstance(note, CreditNote)
    assert note.total == usd("110.00")  # 11 unused days of 31
    assert note.invoice_id == march
    assert step.key == "retainer:R1:adjustment:0"
    assert totals(r, date(2027, 1, 1)) == []
    with pytest.raises(InvalidTransitionError):
        r.pause(AT, on=date(2026, 3, 10))


def test_cancel_inside_the_minimum_term_bills_a_true_up() -> None:
    r = make_retainer(minimum_periods=6, starts_on=date(2026, 1, 17))
    assert r.commitment_ends_on == date(2026, 8, 1)  # the partial January does not count
    bill_retainer(r, date(2026, 3, 1), AT)
    r.cancel(AT, on=date(2026, 3, 10))  # ends 1 April
    (true_up,) = r.pending
    assert true_up.kind is LineKind.TRUE_UP
    assert true_up.net == usd("1240.00")  # April..July, 4 x 310.00
    (step,) = bill_retainer(r, date(2026, 4, 1), AT)
    assert isinstance(step.document, Invoice)
    assert step.document.total == usd("1240.00")


def test_cancel_after_the_minimum_term_has_no_true_up() -> None:
    r = make_retainer(minimum_periods=2)
    bill_retainer(r, date(2026, 3, 1), AT)
    r.cancel(AT, on=date(2026, 3, 10))
    assert r.pending == ()


def test_hours_roll_over_under_a_cap_and_expire_oldest_first() -> None:
    policy = HoursPolicy("10", usd("90.00"), rollover_cap="12", expire_after=1)
    r = make_retainer(hours=policy)
    assert r.record_hours("4", date(2026, 1, 5), AT) == 0  # 6 left from January
    assert r.hours_bank.available == Decimal(6)
    r.record_hours("0", date(2026, 2, 2), AT)  # February: 6 carried + 10
    assert r.hours_bank.available == Decimal(16)
    # March: January's lot expired (1 period of rollover); Feb's 10 are carried.
    r.record_hours("0", date(2026, 3, 2), AT)
    assert [(lot.granted_in, lot.hours) for lot in r.hours_bank.lots] == [
        (1, Decimal(10)),
        (2, Decimal(10)),
    ]
    # Oldest first: 12 hours take February's 10 and 2 of March's.
    assert r.record_hours("12", date(2026, 3, 20), AT) == 0
    assert [(lot.granted_in, lot.hours) for lot in r.hours_bank.lots] == [(2, Decimal(8))]
    assert r.record_hours("11", date(2026, 3, 25), AT) == Decimal(3)
    (overage,) = r.pending
    assert overage.kind is LineKind.OVERAGE
    assert overage.net == usd("270.00")
    with pytest.raises(ValidationError) as info:
        r.record_hours("1", date(2026, 2, 10), AT)
    assert info.value.field == "worked_on"


def test_the_rollover_cap_trims_the_oldest_hours() -> None:
    policy = HoursPolicy("10", usd("90.00"), rollover_cap="12", expire_after=3)
    r = make_retainer(hours=policy)
    r.record_hours("0", date(2026, 3, 1), AT)  # Jan 10 + Feb 10 carried -> capped at 12
    lots = [(lot.granted_in, lot.hours) for lot in r.hours_bank.lots]
    assert lots == [(0, Decimal(2)), (1, Decimal(10)), (2, Decimal(10))]


def test_periods_paused_throughout_grant_no_hours() -> None:
    policy = HoursPolicy("10", usd("90.00"), rollover_cap="50", expire_after=6)
    r = make_retainer(hours=policy)
    r.pause(AT, on=date(2026, 1, 20))
    r.resume(AT, on=date(2026, 3, 10))  # February paused throughout
    r.record_hours("0", date(2026, 3, 10), AT)
    assert [lot.granted_in for lot in r.hours_bank.lots] == [0, 2]
    assert r.hours_bank.available == Decimal(20)
    with pytest.raises(ValidationError) as info:
        r.record_hours("1", date(2026, 2, 10), AT)  # paused that day
    assert info.value.field == "worked_on"


def test_thirty_360_retainer() -> None:
    r = make_retainer("300.00", starts_on=date(2026, 2, 15), proration=THIRTY_360)
    (step,) = bill_retainer(r, date(2026, 2, 15), AT)
    assert step.document is not None
    assert step.document.total == usd("160.00")  # 16 of 30 units: 15-28 Feb, 28th worth 3


def test_tax_applies_to_every_line() -> None:
    r = make_retainer("100.00", tax_rate="0.2")
    (step,) = bill_retainer(r, date(2026, 1, 1), AT)
    assert step.document is not None
    assert (step.document.subtotal, step.document.tax, step.document.total) == (
        usd("100.00"),
        usd("20.00"),
        usd("120.00"),
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"fee": Money("-1.00", "USD")}, "fee", Money("-1.00", "USD")),
        ({"fee": Money("1.001", "USD")}, "fee", Money("1.001", "USD")),
        ({"time_zone": "Nowhere/Land"}, "time_zone", "Nowhere/Land"),
        ({"tax_rate": "1.5"}, "tax_rate", "1.5"),
        ({"minimum_periods": -1}, "minimum_periods", -1),
        ({"cycle": "monthly"}, "cycle", "monthly"),
        ({"timing": "later"}, "timing", "later"),
        ({"anchor": datetime(2026, 1, 1, tzinfo=UTC)}, "anchor", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_bad_terms_name_field_and_value(
    kwargs: dict[str, object], field: str, value: object
) -> None:
    args: dict[str, object] = {
        "fee": usd("1.00"),
        "cycle": BillingCycle.monthly(),
        "time_zone": "UTC",
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        RetainerTerms(**args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert info.value.value == value


def test_unknown_currency_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Money("1.00", "XYZ")
    assert (info.value.field, info.value.value) == ("currency", "XYZ")
    terms = RetainerTerms(usd("1.00"), BillingCycle.monthly(), "UTC")
    with pytest.raises(ValidationError) as info:
        Retainer.start("R", "P", terms, datetime(2026, 1, 1))  # noqa: DTZ001
    assert info.value.field == "at"


def test_changes_before_the_start_or_after_the_end_are_refused() -> None:
    r = make_retainer(starts_on=date(2026, 1, 10))
    with pytest.raises(ValidationError) as info:
        r.change_fee(usd("1.00"), AT, effective_on=date(2026, 1, 9))
    assert (info.value.field, info.value.value) == ("effective_on", date(2026, 1, 9))
    with pytest.raises(ValidationError) as info:
        r.change_fee(Money("1.00", "EUR"), AT, effective_on=date(2026, 1, 19))
    assert info.value.field == "fee"
    r.cancel(AT, immediately=True, on=date(2026, 2, 1))
    with pytest.raises(InvalidTransitionError):
        r.change_fee(usd("1.00"), AT, effective_on=date(2026, 1, 20))


def test_promotion_starts_a_retainer_and_a_lapse_ends_it() -> None:
    engagement = Engagement.start(
        "P9",
        kind="customer",
        acquired_on=date(2025, 6, 1),
        at=AT,
        support_team="desk",
        time_zone="Europe/London",
    )
    terms = RetainerTerms(usd("500.00"), BillingCycle.monthly(), "Europe/London")
    with pytest.raises(ValidationError) as info:
        start_retainer_for(engagement, terms, AT)
    assert info.value.field == "engagement.kind"
    engagement.promote_to_client(
        account_manager="ann", reason="signed", at=AT, on=date(2026, 1, 15)
    )
    retainer = start_retainer_for(engagement, terms, AT, retainer_id="R9")
    assert retainer.starts_on == date(2026, 1, 15)
    assert retainer.engagement_id == engagement.id
    assert retainer.party_id == "P9"
    bill_retainer(retainer, date(2026, 2, 15), AT)
    engagement.lapse_to_customer(reason="budget", at=AT, on=date(2026, 3, 3))
    lapse = engagement.pull_events()[-1]
    assert end_retainer_on_lapse(retainer, lapse) == date(2026, 3, 15)  # type: ignore[arg-type]
    assert retainer.status is RetainerStatus.CANCELLED
    assert end_retainer_on_lapse(retainer, lapse) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "anchor", "boundary"),
    [
        # each week contains the change: 8 March and 1 November in New York,
        # 29 March and 25 October in London
        ("America/New_York", date(2026, 3, 2), date(2026, 3, 9)),
        ("America/New_York", date(2026, 10, 26), date(2026, 11, 2)),
        ("Europe/London", date(2026, 3, 23), date(2026, 3, 30)),
        ("Europe/London", date(2026, 10, 19), date(2026, 10, 26)),
    ],
)
def test_a_period_comes_due_at_local_midnight_across_dst(
    zone: str, anchor: date, boundary: date
) -> None:
    from relationship_core._billing.schedule import local_billing_date, local_midnight

    r = make_retainer(
        "70.00", starts_on=anchor, anchor=anchor, cycle=BillingCycle.weekly(), time_zone=zone
    )
    bill_retainer(r, anchor, AT)
    midnight = local_midnight(boundary, zone)
    just_before = midnight - timedelta(minutes=1)
    assert bill_retainer(r, local_billing_date(just_before, zone), AT) == []
    (step,) = bill_retainer(r, local_billing_date(midnight + timedelta(minutes=1), zone), AT)
    assert step.period is not None
    assert step.period.start == boundary
    assert step.key == f"retainer:R1:{boundary.isoformat()}"
    # the same instants seen as "24h x 7 after the anchor's midnight" would be an hour off
    seven_days = local_midnight(anchor, zone).astimezone(UTC) + timedelta(days=7)
    assert seven_days != midnight.astimezone(UTC)
