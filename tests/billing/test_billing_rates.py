"""Exchange rates the caller supplies, and metrics in a reporting currency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relationship_core import (
    BillingCycle,
    ExchangeRates,
    Invoice,
    InvoiceNumberSequence,
    LineItem,
    LineKind,
    Money,
    Order,
    Retainer,
    RetainerTerms,
    annual_recurring_revenue,
    average_revenue_per_account,
    monthly_recurring_revenue,
    mrr_by_account,
    mrr_movements,
    purchase_revenue,
    revenue_per_account,
)
from relationship_core.exceptions import ValidationError

AT = datetime(2026, 1, 1, tzinfo=UTC)
RATES = ExchangeRates(
    [
        (date(2026, 1, 1), "USD", "EUR", "0.90"),
        (date(2026, 2, 1), "USD", "EUR", "0.95"),
        (date(2026, 1, 1), "GBP", "EUR", Decimal("1.17")),
        (date(2026, 1, 1), "JPY", "EUR", "0.0061"),
    ]
)


def retainer(party: str, fee: Money, rid: str | None = None) -> Retainer:
    terms = RetainerTerms(fee, BillingCycle.monthly(), "UTC")
    return Retainer.start(rid or f"R-{party}", party, terms, AT, starts_on=date(2026, 1, 1))


def test_the_latest_rate_on_or_before_the_date_holds() -> None:
    assert RATES.rate("USD", "EUR", date(2026, 1, 31)) == Decimal("0.90")
    assert RATES.rate("USD", "EUR", date(2026, 2, 1)) == Decimal("0.95")
    assert RATES.rate("usd", "EUR", date(2030, 1, 1)) == Decimal("0.95")
    assert RATES.rate("EUR", "EUR", date(1990, 1, 1)) == 1
    assert RATES.pairs == {("USD", "EUR"), ("GBP", "EUR"), ("JPY", "EUR")}
    assert ExchangeRates({(date(2026, 1, 1), "USD", "EUR"): "0.90"}) == ExchangeRates(
        [(date(2026, 1, 1), "USD", "EUR", Decimal("0.9"))]
    )


def test_a_missing_rate_names_the_pair_and_the_date() -> None:
    with pytest.raises(ValidationError) as early:
        RATES.rate("USD", "EUR", date(2025, 12, 31))
    assert early.value.field == "rates"
    assert early.value.value == "USD->EUR on 2025-12-31"
    assert "first is on 2026-01-01" in early.value.reason
    with pytest.raises(ValidationError) as reverse:  # inverses are not derived
        RATES.rate("EUR", "USD", date(2026, 3, 1))
    assert reverse.value.value == "EUR->USD on 2026-03-01"


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([(date(2026, 1, 1), "USD", "EUR", 0.9)], "rates[0].rate"),
        ([(date(2026, 1, 1), "USD", "EUR", "0")], "rates[0].rate"),
        ([(date(2026, 1, 1), "USD", "EUR", "abc")], "rates[0].rate"),
        ([(datetime(2026, 1, 1, tzinfo=UTC), "USD", "EUR", "1")], "rates[0].date"),
        ([(date(2026, 1, 1), "XXX1", "EUR", "1")], "rates[0].from"),
        ([(date(2026, 1, 1), "USD", "EUR")], "rates[0]"),
        ([(date(2026, 1, 1), "EUR", "EUR", "1")], "rates[0].to"),
        ("USD", "rates"),
    ],
)
def test_bad_rates_name_the_field(rows: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ExchangeRates(rows)  # type: ignore[arg-type]
    assert info.value.field == field


def test_convert_rounds_to_the_target_minor_unit_half_even() -> None:
    assert RATES.convert(Money("10.05", "USD"), "EUR", date(2026, 1, 5)) == Money("9.04", "EUR")
    assert RATES.convert(Money("1000", "JPY"), "EUR", date(2026, 1, 5)) == Money("6.10", "EUR")
    with pytest.raises(ValidationError) as info:
        RATES.convert(Decimal("1"), "EUR", date(2026, 1, 5))  # type: ignore[arg-type]
    assert info.value.field == "money"


def test_mrr_in_a_reporting_currency_converts_each_retainer() -> None:
    items = [
        retainer("a", Money("100.00", "EUR")),
        retainer("b", Money("333.33", "USD")),
        retainer("b", Money("10.01", "USD"), rid="R-b2"),
        retainer("c", Money("50.00", "GBP")),
    ]
    on = date(2026, 1, 15)
    # 333.33 x 0.90 = 299.997 -> 300.00; 10.01 x 0.90 = 9.009 -> 9.01; 50 x 1.17 = 58.50
    assert mrr_by_account(items, on, "EUR", rates=RATES) == {
        "a": Money("100.00", "EUR"),
        "b": Money("309.01", "EUR"),
        "c": Money("58.50", "EUR"),
    }
    assert monthly_recurring_revenue(items, on, "EUR", rates=RATES) == Money("467.51", "EUR")
    assert annual_recurring_revenue(items, on, "EUR", rates=RATES) == Money("5610.12", "EUR")
    assert average_revenue_per_account(items, on, "EUR", rates=RATES) == Money("155.84", "EUR")
    with pytest.raises(ValidationError) as mixed:  # without rates: one currency only
        monthly_recurring_revenue(items, on, "EUR")
    assert mixed.value.field == "retainers[1].terms.fee"
    with pytest.raises(ValidationError) as missing:
        monthly_recurring_revenue(items, on, "GBP", rates=RATES)
    assert missing.value.value == "EUR->GBP on 2026-01-15"
    with pytest.raises(ValidationError) as kind:
        monthly_recurring_revenue(items, on, "EUR", rates={"USD": 1})  # type: ignore[arg-type]
    assert kind.value.field == "rates"


def test_movements_convert_each_date_at_its_rate() -> None:
    items = [retainer("a", Money("100.00", "USD")), retainer("b", Money("100.00", "EUR"))]
    m = mrr_movements(items, date(2026, 1, 15), date(2026, 2, 15), "EUR", rates=RATES)
    assert (m.starting, m.ending) == (Money("190.00", "EUR"), Money("195.00", "EUR"))
    assert m.expansion == Money("5.00", "EUR")  # the rate moved, not the fee
    assert m.reconciles


def test_revenue_converts_each_document_at_its_date() -> None:
    seq = InvoiceNumberSequence("acme")
    jan = Invoice("I1", "P1", "USD", (LineItem("x", 1, Money("100.05", "USD")),))
    jan.issue(seq, date(2026, 1, 10), AT)
    feb = Invoice("I2", "P1", "USD", (LineItem("x", 1, Money("100.05", "USD")),))
    feb.issue(seq, date(2026, 2, 10), AT)
    eur = Invoice("I3", "P2", "EUR", (LineItem("x", 1, Money("10.00", "EUR")),))
    eur.issue(seq, date(2026, 2, 11), AT)
    docs = [jan, feb, eur]
    # 100.05 x 0.90 = 90.045 -> 90.04 (half even); 100.05 x 0.95 = 95.0475 -> 95.05
    assert revenue_per_account(docs, date(2026, 1, 1), date(2026, 3, 1), "EUR", rates=RATES) == {
        "P1": Money("185.09", "EUR"),
        "P2": Money("10.00", "EUR"),
    }
    assert revenue_per_account(docs, date(2026, 1, 1), date(2026, 3, 1), "EUR") == {
        "P2": Money("10.00", "EUR")
    }
    order = Order.place("O1", "C", [LineItem("x", 1, Money("20.00", "GBP"), LineKind.PRODUCT)], AT)
    other = Order.place("O2", "C", [LineItem("x", 1, Money("5.00", "EUR"), LineKind.PRODUCT)], AT)
    total = purchase_revenue(
        [order, other], date(2026, 1, 1), date(2026, 2, 1), "UTC", "EUR", rates=RATES
    )
    assert total == Money("28.40", "EUR")


@given(
    st.lists(
        st.tuples(st.integers(0, 10**9), st.integers(0, 59)),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.decimals(Decimal("0.5"), Decimal("2"), places=6), min_size=1, max_size=6),
)
def test_per_document_rounding_sums_exact_cents(
    docs: list[tuple[int, int]], rate_values: list[Decimal]
) -> None:
    base = date(2026, 1, 1)
    rows = [(base + timedelta(days=10 * i), "USD", "EUR", r) for i, r in enumerate(rate_values)]
    rates = ExchangeRates(rows)
    seq = InvoiceNumberSequence("acme")
    invoices = []
    expected = Decimal(0)
    for i, (cents, day) in enumerate(docs):
        amount = Money.from_minor(cents, "USD")
        inv = Invoice(f"I{i}", "P", "USD", (LineItem("x", 1, amount),))
        on = base + timedelta(days=day)
        inv.issue(seq, on, AT)
        invoices.append(inv)
        rate = rows[min(day // 10, len(rows) - 1)][3]
        expected += (amount.amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    got = revenue_per_account(invoices, base, base + timedelta(days=60), "EUR", rates=rates)
    total = got.get("P", Money.zero("EUR"))
    assert total.amount == expected
    assert total.is_rounded
    # Each document rounds on its own: at most half a cent each from the unrounded sum.
    exact = sum(
        (
            inv.subtotal.amount * rows[min((inv.issued_on - base).days // 10, len(rows) - 1)][3]
            for inv in invoices
            if inv.issued_on is not None
        ),
        Decimal(0),
    )
    assert abs(total.amount - exact) <= Decimal("0.005") * len(invoices)
