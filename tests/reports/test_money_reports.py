"""Sales, revenue and cohort reports: hand-computed figures on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

import relationship_core as rc
from relationship_core import LifecycleService, Money, Period, Person
from relationship_core._billing.cycles import BillingCycle
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._billing.metrics import purchase_revenue
from relationship_core._billing.orders import Order
from relationship_core._billing.retainer import RetainerTerms
from relationship_core.exceptions import MissingExtraError, ValidationError
from relationship_core.reports import (
    CohortReport,
    RevenueReport,
    SalesReport,
    retention_cohorts,
    revenue_report,
    sales_report,
)

START = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _sales(crm: rc.CRM, clock: rc.ManualClock) -> None:
    ada = crm.parties.add(Person(name="Ada")).id
    sales = LifecycleService(crm)
    close = date(2026, 3, 31)

    def deal(owner: str, amount: str, currency: str = "EUR") -> str:
        money = Money(amount, currency)
        return sales.open_deal(
            party_id=ada, title="t", owner=owner, amount=money, expected_close=close
        ).id

    a, b, c, d = (
        deal("bob", "1000"),
        deal("bob", "500", "USD"),
        deal("bob", "200"),
        deal("cy", "700"),
    )
    e = deal("cy", "50")  # stays open
    clock.advance(timedelta(days=10))
    sales.win_deal(a)  # 10 days
    sales.lose_deal(d, reason_code="price")
    clock.advance(timedelta(days=20))
    sales.win_deal(b)  # 30 days
    sales.win_deal(c)  # 30 days
    clock.advance(timedelta(days=90))  # April: the next quarter
    sales.lose_deal(e, reason_code="timing")


def test_sales_per_rep(url: str) -> None:
    clock = rc.ManualClock(START)
    with rc.open(url, clock=clock) as crm:
        _sales(crm, clock)
        report = sales_report(crm, Period(date(2026, 1, 1), date(2026, 3, 31)))
        got = [
            (r.owner, r.won, r.lost, r.win_rate, r.revenue_won, r.average_cycle)
            for r in report.rows
        ]
        assert got == [
            (
                "bob",
                3,
                0,
                Fraction(1),
                (Money("1200", "EUR"), Money("500", "USD")),
                timedelta(days=70 / 3),
            ),
            ("cy", 0, 1, Fraction(0), (), None),
        ]
        # The default period is this quarter (April to June): cy's loss only.
        assert [(r.owner, r.lost) for r in sales_report(crm).rows] == [("cy", 1)]
        assert "1200.00 EUR, 500.00 USD" in report.to_text()
        assert "23.3 d" in report.to_text()
        with pytest.raises(ValidationError) as err:
            sales_report(crm, "Q1")  # type: ignore[arg-type]
        assert err.value.field == "period"


def _billing(crm: rc.CRM, clock: rc.ManualClock) -> None:
    billing = rc.BillingService(crm, clock=clock, time_zone="UTC")
    ada = crm.parties.add(Person(name="Ada")).id
    bea = crm.parties.add(Person(name="Bea")).id
    cy = crm.parties.add(Person(name="Cy")).id

    def buy(party: str, price: str, currency: str = "EUR") -> Order:
        kit = LineItem("Kit", 2, Money(price, currency), LineKind.PRODUCT)
        return billing.place_order(party, [kit])

    buy(ada, "10.00")  # January: 20 EUR
    buy(bea, "5.00", "USD")  # 10 USD
    billing.cancel_order(buy(bea, "99.00").id, "mistake")  # counts nothing
    terms = RetainerTerms(fee=Money("300", "EUR"), cycle=BillingCycle.monthly(), time_zone="UTC")
    retainer = billing.start_retainer(cy, terms, starts_on=date(2026, 1, 15))
    clock.set(datetime(2026, 2, 10, 10, tzinfo=UTC))
    buy(ada, "7.50")  # February: 15 EUR
    billing.change_fee(retainer.id, Money("450", "EUR"), effective_on=date(2026, 2, 20))
    clock.set(datetime(2026, 3, 3, 10, tzinfo=UTC))
    buy(cy, "1.00")  # March: 2 EUR; Cy's first order
    billing.cancel(retainer.id, immediately=True, on=date(2026, 3, 10))


def test_revenue_per_month_and_currency(url: str) -> None:
    clock = rc.ManualClock(START)
    with rc.open(url, clock=clock) as crm:
        _billing(crm, clock)
        assert revenue_report(crm, months=1).rows[0].mrr == Money("450", "EUR")  # 3 March
        clock.set(datetime(2026, 3, 31, 12, tzinfo=UTC))  # the current month ends today
        report = revenue_report(crm, months=3)
        got = [
            (r.month.month, r.currency, r.orders, r.purchase_revenue, r.mrr, r.arr)
            for r in report.rows
        ]
        eur, usd = "EUR", "USD"
        assert got == [
            (1, eur, 1, Money("20", eur), Money("300", eur), Money("3600", eur)),
            (1, usd, 1, Money("10", usd), Money("0", usd), Money("0", usd)),
            (2, eur, 1, Money("15", eur), Money("450", eur), Money("5400", eur)),
            (3, eur, 1, Money("2", eur), Money("0", eur), Money("0", eur)),
        ]
        moves = [r.movements for r in report.rows if r.currency == eur]
        assert [(m.new, m.expansion, m.churn) for m in moves if m is not None] == [
            (Money("300", eur), Money("0", eur), Money("0", eur)),
            (Money("0", eur), Money("150", eur), Money("0", eur)),
            (Money("0", eur), Money("0", eur), Money("450", eur)),
        ]
        orders = list(crm.repository(Order).iterate())
        for row in report.rows:
            nxt = date(2026, row.month.month + 1, 1)
            assert row.purchase_revenue == purchase_revenue(
                orders, row.month, nxt, "UTC", row.currency
            )
        assert "3600.00" in report.to_text()


def test_revenue_in_a_reporting_currency(url: str) -> None:
    clock = rc.ManualClock(START)
    with rc.open(url, clock=clock) as crm:
        _billing(crm, clock)
        clock.set(datetime(2026, 3, 31, 12, tzinfo=UTC))
        rates = rc.ExchangeRates([(date(2026, 1, 1), "USD", "EUR", "0.905")])
        report = revenue_report(crm, months=3, reporting_currency="EUR", rates=rates)
        got = [
            (r.month.month, r.currency, r.orders, r.purchase_revenue, r.mrr) for r in report.rows
        ]
        eur = "EUR"
        # January: 20.00 EUR + 10.00 USD x 0.905 = 9.05 EUR, converted per order.
        assert got == [
            (1, eur, 2, Money("29.05", eur), Money("300", eur)),
            (2, eur, 1, Money("15", eur), Money("450", eur)),
            (3, eur, 1, Money("2", eur), Money("0", eur)),
        ]
        with pytest.raises(ValidationError) as missing:
            revenue_report(crm, months=3, reporting_currency="GBP", rates=rates)
        assert missing.value.field == "rates"
        assert "->GBP on 2026-01-" in str(missing.value.value)
        with pytest.raises(ValidationError) as alone:
            revenue_report(crm, reporting_currency="EUR")
        assert alone.value.field == "rates"
        with pytest.raises(ValidationError) as bad:
            revenue_report(crm, reporting_currency="EURO", rates=rates)
        assert bad.value.field == "reporting_currency"


def test_retention_cohorts(url: str) -> None:
    clock = rc.ManualClock(START)
    with rc.open(url, clock=clock) as crm:
        _billing(crm, clock)
        report = retention_cohorts(crm, months=3)
        assert [(r.cohort.month, r.customers, r.active) for r in report.rows] == [
            (1, 2, (2, 1, 0)),  # Ada and Bea (her cancelled order does not count); Ada again
            (3, 1, (1,)),  # Cy
        ]
        assert report.rows[0].retention(1) == Fraction(1, 2)
        assert report.rows[0].retention(3) is None
        assert "50%" in report.to_text()


def test_frames_and_plots() -> None:
    clock = rc.ManualClock(START)
    with rc.open("memory://", clock=clock) as crm:
        _billing(crm, clock)
        _sales(crm, clock)
        period = Period(date(2026, 1, 1), date(2026, 6, 30))
        reports: list[SalesReport | RevenueReport | CohortReport] = [
            sales_report(crm, period),
            revenue_report(crm, months=6),
            retention_cohorts(crm, months=6),
        ]
        try:
            frames = [r.to_frame() for r in reports]
        except MissingExtraError:
            pytest.skip("the analytics extra is not installed")
        assert list(frames[0]["currency"].fillna("-")) == ["EUR", "USD", "-"]
        assert list(frames[1]["purchase_revenue"]) == [15, 2]  # February and March
        assert list(frames[2]["customers"]) == [1]  # Cy in March (January is out of range)
        for report in reports:
            assert report.plot_png().startswith("iVBOR")
            assert "<table>" in report._repr_html_()


def test_lifetime_value_per_segment() -> None:
    pytest.importorskip("scipy")
    import random

    from relationship_core.reports import ltv_report

    rng = random.Random(3)
    clock = rc.ManualClock(START)
    with rc.open("memory://", clock=clock) as crm:
        billing = rc.BillingService(crm, clock=clock, time_zone="UTC")
        people = [crm.parties.add(Person(name=f"P{n}")).id for n in range(30)]
        for week in range(40):
            clock.set(START + timedelta(weeks=week))
            for party in rng.sample(people, k=4):
                kit = LineItem("Kit", rng.randrange(1, 4), Money("20.00", "EUR"), LineKind.PRODUCT)
                billing.place_order(party, [kit])
        report = ltv_report(
            crm, "EUR", months=6, segment=lambda p: "early" if p < people[15] else "late"
        )
        assert [r.segment for r in report.rows] == ["early", "late"]
        assert sum(r.customers for r in report.rows) == 30
        for row in report.rows:
            assert row.total.amount > 0
            assert (
                abs(row.mean.amount * row.customers - row.total.amount)
                <= Decimal("0.01") * row.customers
            )
        longer = ltv_report(crm, "EUR", months=12)
        assert [r.segment for r in longer.rows] == ["person"]
        assert longer.rows[0].total > sum((r.total for r in report.rows), Money("0", "EUR"))
        with pytest.raises(ValidationError):
            ltv_report(crm, "USD")  # no orders in dollars
        assert "early" in report.to_text()
