"""MRR, ARR, movements that reconcile, churn and retention, purchase revenue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import Money
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.invoices import Invoice
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.metrics import (
    annual_recurring_revenue,
    average_revenue_per_account,
    gross_revenue_retention,
    logo_churn_rate,
    monthly_recurring_revenue,
    mrr_by_account,
    mrr_movements,
    net_revenue_retention,
    purchase_revenue,
    purchase_revenue_by_period,
    retainer_mrr,
    revenue_churn_rate,
    revenue_per_account,
)
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import Order, Refund
from relationship_core._billing.retainer import Retainer, RetainerTerms
from relationship_core._billing.schedule import BillingSchedule
from relationship_core.exceptions import ValidationError

AT = datetime(2026, 1, 1, tzinfo=UTC)


def retainer(
    party: str,
    fee: str,
    starts_on: date,
    cycle: BillingCycle | None = None,
    rid: str | None = None,
) -> Retainer:
    terms = RetainerTerms(Money(fee, "USD"), cycle or BillingCycle.monthly(), "UTC")
    return Retainer.start(rid or f"R-{party}", party, terms, AT, starts_on=starts_on)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def test_every_cadence_normalised_to_a_month() -> None:
    on = date(2026, 6, 1)
    start = date(2026, 1, 1)
    assert retainer_mrr(retainer("a", "300.00", start), on) == usd("300.00")
    assert retainer_mrr(retainer("a", "900.00", start, BillingCycle.quarterly()), on) == usd(
        "300.00"
    )
    assert retainer_mrr(retainer("a", "1000.00", start, BillingCycle.yearly()), on) == usd("83.33")
    assert retainer_mrr(retainer("a", "120.00", start, BillingCycle.weekly()), on) == usd("520.00")
    assert retainer_mrr(retainer("a", "240.00", start, BillingCycle.weekly(2)), on) == usd("520.00")
    assert retainer_mrr(retainer("a", "300.00", date(2026, 7, 1)), on) == usd("0.00")


def test_mrr_excludes_paused_and_ended_retainers_and_one_off_lines() -> None:
    a = retainer("a", "100.00", date(2026, 1, 1))
    b = retainer("b", "200.00", date(2026, 1, 1))
    b.pause(AT, on=date(2026, 3, 1))
    c = retainer("c", "50.00", date(2026, 1, 1))
    c.cancel(AT, immediately=True, on=date(2026, 2, 10))
    assert monthly_recurring_revenue([a, b, c], date(2026, 2, 1), "USD") == usd("350.00")
    assert monthly_recurring_revenue([a, b, c], date(2026, 3, 1), "USD") == usd("100.00")
    assert annual_recurring_revenue([a, b, c], date(2026, 3, 1), "USD") == usd("1200.00")
    assert average_revenue_per_account([a, b, c], date(2026, 2, 1), "USD") == usd("116.67")
    assert average_revenue_per_account([], date(2026, 2, 1), "USD") is None


def test_movements_worked_example() -> None:
    start, end = date(2026, 1, 1), date(2026, 2, 1)
    steady = retainer("steady", "100.00", date(2025, 6, 1))
    grows = retainer("grows", "200.00", date(2025, 6, 1))
    grows.change_fee(usd("250.00"), AT, effective_on=date(2026, 1, 15))
    shrinks = retainer("shrinks", "300.00", date(2025, 6, 1))
    shrinks.change_fee(usd("240.00"), AT, effective_on=date(2026, 1, 20))
    leaves = retainer("leaves", "400.00", date(2025, 6, 1))
    leaves.cancel(AT, on=date(2026, 1, 5))  # ends 1 February
    joins = retainer("joins", "150.00", date(2026, 1, 10))
    back = retainer("back", "80.00", date(2025, 3, 1), rid="R-back-1")
    back.cancel(AT, on=date(2025, 5, 5))
    back2 = retainer("back", "90.00", date(2026, 1, 20), rid="R-back-2")
    everyone = [steady, grows, shrinks, leaves, joins, back, back2]
    m = mrr_movements(everyone, start, end, "USD")
    assert m.starting == usd("1000.00")
    assert (m.new, m.expansion, m.reactivation) == (usd("150.00"), usd("50.00"), usd("90.00"))
    assert (m.contraction, m.churn) == (usd("60.00"), usd("400.00"))
    assert m.ending == usd("830.00")
    assert m.reconciles
    assert m.starting + m.net_new == m.ending
    assert logo_churn_rate(m) == Decimal(1) / 4
    assert revenue_churn_rate(m) == Decimal("0.46")
    assert net_revenue_retention(m) == Decimal("0.59")
    assert gross_revenue_retention(m) == Decimal("0.54")
    assert mrr_by_account(everyone, end, "USD")["back"] == usd("90.00")


def test_rates_are_none_without_a_starting_base() -> None:
    m = mrr_movements([], date(2026, 1, 1), date(2026, 2, 1), "USD")
    assert m.reconciles
    assert logo_churn_rate(m) is None
    assert net_revenue_retention(m) is None


def test_bad_metric_input() -> None:
    with pytest.raises(ValidationError) as info:
        mrr_movements([], date(2026, 2, 1), date(2026, 1, 1), "USD")
    assert info.value.field == "end_on"
    eur = Retainer.start(
        "R", "P", RetainerTerms(Money("1.00", "EUR"), BillingCycle.monthly(), "UTC"), AT
    )
    with pytest.raises(ValidationError) as info:
        monthly_recurring_revenue([eur], date(2026, 2, 1), "USD")
    assert info.value.field == "retainers[0].terms.fee"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),  # party
            st.integers(0, 10**6),  # fee in cents
            st.integers(0, 700),  # start offset
            st.sampled_from(
                [
                    BillingCycle.monthly(),
                    BillingCycle.weekly(),
                    BillingCycle.yearly(),
                    BillingCycle.every_months(5),
                ]
            ),
            st.one_of(st.none(), st.integers(0, 700)),  # cancel offset
            st.one_of(
                st.none(), st.tuples(st.integers(0, 700), st.integers(0, 10**6))
            ),  # fee change
        ),
        max_size=12,
    ),
    st.integers(0, 700),
    st.integers(0, 700),
)
def test_mrr_movements_reconcile_exactly(
    specs: list[tuple[int, int, int, BillingCycle, int | None, tuple[int, int] | None]],
    a: int,
    b: int,
) -> None:
    origin = date(2025, 1, 1)
    items = []
    for i, (party, cents, start, cycle, cancel, change) in enumerate(specs):
        terms = RetainerTerms(Money.from_minor(cents, "USD"), cycle, "UTC")
        r = Retainer.start(
            f"R{i}", f"P{party}", terms, AT, starts_on=origin + timedelta(days=start)
        )
        if change is not None and change[0] >= start:
            r.change_fee(
                Money.from_minor(change[1], "USD"),
                AT,
                effective_on=origin + timedelta(days=change[0]),
            )
        if cancel is not None and cancel >= start and r.ends_on is None:
            r.cancel(
                AT,
                immediately=True,
                on=max(origin + timedelta(days=cancel), r.fee_changes[-1].effective_on),
            )
        items.append(r)
    first, second = sorted((origin + timedelta(days=a), origin + timedelta(days=b)))
    m = mrr_movements(items, first, second, "USD")
    assert m.starting + m.new + m.expansion + m.reactivation - m.contraction - m.churn == m.ending
    assert m.starting == monthly_recurring_revenue(items, first, "USD")
    assert m.ending == monthly_recurring_revenue(items, second, "USD")
    for part in (m.new, m.expansion, m.contraction, m.churn, m.reactivation):
        assert part.amount >= 0
    grr = gross_revenue_retention(m)
    if grr is not None:
        assert 0 <= grr <= 1


def test_revenue_per_account_and_purchase_revenue() -> None:
    seq = InvoiceNumberSequence("acme")
    issued = Invoice("I1", "P1", "USD", (LineItem("x", 1, usd("100.00"), tax_rate="0.2"),))
    issued.issue(seq, date(2026, 1, 10), AT)
    draft = Invoice("I2", "P1", "USD", (LineItem("x", 1, usd("50.00")),))
    late = Invoice("I3", "P2", "USD", (LineItem("x", 1, usd("70.00")),))
    late.issue(seq, date(2026, 2, 1), AT)
    assert revenue_per_account(
        [issued, draft, late], date(2026, 1, 1), date(2026, 2, 1), "USD"
    ) == {"P1": usd("100.00")}

    def placed(oid: str, at: datetime, price: str) -> Order:
        return Order.place(
            oid, "C", [LineItem("x", 1, usd(price), LineKind.PRODUCT, tax_rate="0.1")], at
        )

    # 23:30 UTC on 31 January is already 1 February in Paris.
    jan = placed("O1", datetime(2026, 1, 15, tzinfo=UTC), "40.00")
    feb = placed("O2", datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "60.00")
    cancelled = placed("O3", datetime(2026, 1, 20, tzinfo=UTC), "999.00")
    cancelled.cancel("no", AT)
    refunded = placed("O4", datetime(2026, 1, 20, tzinfo=UTC), "100.00")
    refunded.assign("t", AT)
    refunded.start_work(AT)
    refunded.fulfil(AT)
    refunded.mark_invoiced("I", AT)
    refunded.mark_paid(AT)
    refunded.refund(Refund("r", usd("55.00"), AT))  # half of 110.00 incl. tax
    orders = [jan, feb, cancelled, refunded]
    months = list(BillingSchedule(BillingCycle.monthly(), date(2026, 1, 1)).periods(0, 2))
    by_month = purchase_revenue_by_period(orders, months, "Europe/Paris", "USD")
    assert [amount for _, amount in by_month] == [usd("90.00"), usd("60.00")]
    assert purchase_revenue(orders, date(2026, 1, 1), date(2026, 2, 1), "UTC", "USD") == usd(
        "150.00"
    )
