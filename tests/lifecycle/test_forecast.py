"""Periods and the weighted pipeline: per currency, grouped, equal to a brute force."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._domain.money import Money
from relationship_core._lifecycle import (
    DEFAULT_PIPELINE,
    Opportunity,
    Period,
    weighted_pipeline,
)
from relationship_core.exceptions import ValidationError

NOW = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
PROBABILITY = {s.name: s.probability for s in DEFAULT_PIPELINE.stages}


def opp(
    amount: str, currency: str, close: date, stage: str = "proposal", owner: str = "bob"
) -> Opportunity:
    deal = Opportunity.open(
        party_id="p",
        title="t",
        owner=owner,
        amount=Money(amount, currency),
        expected_close=close,
        at=NOW,
        stage=stage if not DEFAULT_PIPELINE.stage(stage).is_closed else None,
    )
    if stage == "closed-won":
        deal.win(at=NOW)
    elif stage == "closed-lost":
        deal.lose(at=NOW, reason_code="r")
    return deal


def test_periods_in_a_time_zone() -> None:
    assert Period.next_quarter(NOW, "UTC") == Period(date(2026, 4, 1), date(2026, 6, 30))
    assert Period.next_quarter(NOW, "Europe/Paris") == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert Period.this_quarter(NOW, "Europe/Paris") == Period(date(2026, 4, 1), date(2026, 6, 30))
    assert Period.this_month(NOW, "America/New_York") == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert Period.next_quarter(datetime(2026, 11, 5, tzinfo=UTC), "UTC") == Period(
        date(2027, 1, 1), date(2027, 3, 31)
    )
    assert date(2026, 2, 28) in Period.between(date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(ValidationError):
        Period.between(date(2026, 2, 2), date(2026, 2, 1))
    with pytest.raises(ValidationError):
        Period.next_quarter(datetime(2026, 1, 1), "UTC")  # noqa: DTZ001
    with pytest.raises(ValidationError):
        Period.this_month(NOW, "Mars/Olympus")


def test_worked_example_per_currency_and_owner() -> None:
    q2 = Period.next_quarter(NOW, "UTC")
    deals = [
        opp("1000", "EUR", date(2026, 4, 15)),  # proposal 50%
        opp("2000", "EUR", date(2026, 6, 30), "negotiation", owner="cy"),  # 80%
        opp("500", "USD", date(2026, 5, 1), "prospecting"),  # 10%
        opp("900", "EUR", date(2026, 7, 1)),  # next period
        opp("700", "EUR", date(2026, 5, 1), "closed-won"),  # closed: not pipeline
    ]
    zero = opp("300", "EUR", date(2026, 5, 2))
    zero.set_probability(0)
    deals.append(zero)
    forecast = weighted_pipeline(deals, q2)
    totals = forecast.totals()
    assert totals["EUR"].weighted == Money("2100", "EUR")
    assert totals["EUR"].unweighted == Money("3300", "EUR")
    assert totals["EUR"].count == 3
    assert totals["USD"].weighted == Money("50", "USD")
    by_owner = weighted_pipeline(deals, q2, by=["owner"])
    assert {(r.group, r.currency): r.weighted for r in by_owner.rows} == {
        (("bob",), "EUR"): Money("500", "EUR"),
        (("cy",), "EUR"): Money("1600", "EUR"),
        (("bob",), "USD"): Money("50", "USD"),
    }
    by_category = weighted_pipeline(deals, q2, by=("forecast_category",))
    assert {r.group for r in by_category.rows} == {("best_case",), ("commit",), ("pipeline",)}


def test_bad_grouping() -> None:
    with pytest.raises(ValidationError, match="owner"):
        weighted_pipeline([], Period.this_month(NOW, "UTC"), by=["colour"])


deals_st = st.lists(
    st.tuples(
        st.integers(0, 10**6).map(lambda c: f"{c / 100:.2f}"),
        st.sampled_from(["EUR", "USD", "JPY"]),
        st.integers(0, 200).map(lambda d: date(2026, 3, 1) + timedelta(days=d)),
        st.sampled_from(DEFAULT_PIPELINE.names),
        st.sampled_from(["bob", "cy"]),
        st.none() | st.integers(0, 100).map(lambda p: Decimal(p) / 100),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(deals_st, st.integers(0, 150), st.integers(0, 90))
def test_weighted_sums_equal_brute_force(
    rows: list[tuple[str, str, date, str, str, Decimal | None]], start: int, length: int
) -> None:
    period = Period.between(
        date(2026, 3, 1) + timedelta(days=start), date(2026, 3, 1) + timedelta(days=start + length)
    )
    deals = []
    expected: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for written, currency, close, stage, owner, override in rows:
        amount = written.split(".")[0] if currency == "JPY" else written
        deal = opp(amount, currency, close, stage, owner)
        if override is not None and not deal.is_closed:
            deal.set_probability(override)
        deals.append(deal)
        closed = stage in ("closed-won", "closed-lost")
        if not closed and period.start <= close <= period.end:
            p = override if override is not None else PROBABILITY[stage]
            expected[(owner, currency)][0] += Decimal(amount) * p
            expected[(owner, currency)][1] += Decimal(amount)
    forecast = weighted_pipeline(deals, period, by=["owner"])
    got = {
        (r.group[0], r.currency): [r.weighted.amount, r.unweighted.amount] for r in forecast.rows
    }
    assert got == dict(expected)
    for currency, total in forecast.totals().items():
        assert total.weighted.amount == sum(
            (v[0] for (_, c), v in expected.items() if c == currency), Decimal(0)
        )
