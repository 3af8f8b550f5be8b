"""The weighted pipeline report: hand-computed figures on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import (
    Money,
    Opportunity,
    Period,
    Person,
    weighted_pipeline,
)
from relationship_core.exceptions import MissingExtraError, ValidationError
from relationship_core.reports import PipelineReport, pipeline_report

NOW = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # already 1 April in Paris


def _deal(  # noqa: PLR0917 - one deal per table row
    party: str, amount: str, currency: str, close: date, stage: str, owner: str
) -> Opportunity:
    return Opportunity.open(
        party_id=party,
        title="t",
        owner=owner,
        amount=Money(amount, currency),
        expected_close=close,
        at=NOW,
        stage=stage,
    )


def _fill(crm: rc.CRM) -> None:
    party = crm.parties.add(Person(name="Ada")).id
    deals = crm.repository(Opportunity)
    deals.add(_deal(party, "1000", "EUR", date(2026, 7, 15), "proposal", "bob"))  # 500
    deals.add(_deal(party, "2000", "EUR", date(2026, 9, 30), "negotiation", "cy"))  # 1600
    deals.add(_deal(party, "300", "EUR", date(2026, 8, 1), "proposal", "bob"))  # 150
    deals.add(_deal(party, "500", "USD", date(2026, 8, 1), "prospecting", "bob"))  # 50
    override = _deal(party, "100", "EUR", date(2026, 7, 1), "proposal", "bob")
    override.set_probability(Decimal("0.333"))  # 33.3: the override, not the stage's 50 %
    deals.add(override)
    deals.add(_deal(party, "900", "EUR", date(2026, 10, 1), "proposal", "bob"))  # next-next quarter
    deals.add(_deal(party, "700", "EUR", date(2026, 6, 30), "proposal", "bob"))  # this quarter
    won = _deal(party, "4000", "EUR", date(2026, 8, 15), "negotiation", "cy")
    won.win(at=NOW)
    deals.add(won)  # closed: revenue, not pipeline


def test_next_quarter_in_the_business_zone_per_owner_and_currency(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(NOW)) as crm:
        crm.repository(rc.Business).add(rc.Business.create("studio", time_zone="Europe/Paris"))
        _fill(crm)
        report = pipeline_report(crm, by=["owner"], business="studio")
        assert report.period == Period(date(2026, 7, 1), date(2026, 9, 30))  # Paris: Q3 is next
        got = [(r.group, r.currency, r.count, r.weighted, r.unweighted) for r in report.rows]
        assert got == [
            (("bob",), "EUR", 3, Money("683.3", "EUR"), Money("1400", "EUR")),
            (("bob",), "USD", 1, Money("50", "USD"), Money("500", "USD")),
            (("cy",), "EUR", 1, Money("1600", "EUR"), Money("2000", "EUR")),
        ]
        assert report.totals()["EUR"].weighted == Money("2283.3", "EUR")
        assert report.totals()["EUR"].count == 4
        # UTC (no such business stored): it is still March, so next quarter is Q2.
        utc = pipeline_report(crm, by=[])
        assert utc.period == Period(date(2026, 4, 1), date(2026, 6, 30))
        assert [(r.currency, r.weighted) for r in utc.rows] == [("EUR", Money("350", "EUR"))]


def test_any_period_by_pipeline_stage_and_owner(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(NOW)) as crm:
        _fill(crm)
        report = pipeline_report(crm, Period(date(2026, 8, 1), date(2026, 8, 31)))
        assert [(r.group, r.currency, r.weighted.amount) for r in report.rows] == [
            (("sales", "proposal", "bob"), "EUR", Decimal("150")),
            (("sales", "prospecting", "bob"), "USD", Decimal("50")),
        ]
        assert "150.00 EUR" in report.to_text()
        assert "<table>" in report._repr_html_()


def test_frame_and_plot() -> None:
    with rc.open("memory://", clock=rc.ManualClock(NOW)) as crm:
        _fill(crm)
        report = pipeline_report(crm, by="stage")
        try:
            frame = report.to_frame()
        except MissingExtraError:
            pytest.skip("the analytics extra is not installed")
        assert list(frame.columns) == ["stage", "currency", "count", "weighted", "unweighted"]
        assert report.plot_png().startswith("iVBOR")  # a PNG


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"period": "next"}, "period"),
        ({"by": ["colour"]}, "by"),
        ({"by": ["owner", "owner"]}, "by"),
        ({"by": 3}, "by"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], field: str) -> None:
    with rc.open("memory://") as crm, pytest.raises(ValidationError) as err:
        pipeline_report(crm, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    with pytest.raises(ValidationError):
        pipeline_report("crm")  # type: ignore[arg-type]


_STAGES = ["prospecting", "qualification", "proposal", "negotiation"]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.sampled_from(["EUR", "USD"]),
            st.integers(0, 200),
            st.sampled_from(_STAGES),
            st.sampled_from(["a", "b"]),
        ),
        max_size=12,
    )
)
def test_the_store_sum_equals_the_in_memory_forecast(
    deals: list[tuple[int, str, int, str, str]],
) -> None:
    with rc.open("memory://", clock=rc.ManualClock(NOW)) as crm:
        party = crm.parties.add(Person(name="Ada")).id
        made = []
        for cents, currency, day, stage, owner in deals:
            deal = _deal(
                party,
                str(Decimal(cents) / 100),
                currency,
                date(2026, 4, 1).fromordinal(date(2026, 4, 1).toordinal() + day),
                stage,
                owner,
            )
            crm.repository(Opportunity).add(deal)
            made.append(deal)
        period = Period(date(2026, 5, 1), date(2026, 8, 31))
        report: PipelineReport = pipeline_report(crm, period, by=["owner", "stage"])
        expected = weighted_pipeline(made, period, by=["owner", "stage"])
        assert [(r.group, r.currency, r.count, r.weighted, r.unweighted) for r in report.rows] == [
            (r.group, r.currency, r.count, r.weighted, r.unweighted) for r in expected.rows
        ]
