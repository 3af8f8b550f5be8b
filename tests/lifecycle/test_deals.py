"""Pipelines as data, the opportunity aggregate and its events."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from relationship_core._domain.events import EVENT_TYPES
from relationship_core._domain.money import Money
from relationship_core._lifecycle import (
    DEAL_EVENTS,
    DEFAULT_PIPELINE,
    EVENTS,
    DealStage,
    ForecastCategory,
    Opportunity,
    OpportunityLost,
    OpportunityWon,
    Pipeline,
    ProposalSent,
    to_probability,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)

TOML = """
name = "retainers"
probability_scale = "percent"

[[stages]]
name = "discovery"
probability = 15

[[stages]]
name = "pitch"
probability = 40.5
forecast_category = "best_case"

[[stages]]
name = "signed"
probability = 100
closed = true
won = true

[[stages]]
name = "passed"
probability = 0
closed = true
"""


def deal(**kw: object) -> Opportunity:
    args: dict[str, object] = {
        "party_id": "p1",
        "title": "Website",
        "owner": "bob",
        "amount": Money("1000", "EUR"),
        "expected_close": date(2026, 4, 15),
        "at": T0,
    }
    args.update(kw)
    return Opportunity.open(**args)  # type: ignore[arg-type]


def test_pipeline_from_toml_in_percent() -> None:
    pipeline = Pipeline.from_mapping(tomllib.loads(TOML))
    assert pipeline.stage("discovery").probability == Decimal("0.15")
    assert pipeline.stage("pitch").probability == Decimal("0.405")
    assert pipeline.stage("signed").forecast_category is ForecastCategory.CLOSED
    assert pipeline.stage("passed").forecast_category is ForecastCategory.OMITTED
    assert pipeline.open_stages == ("discovery", "pitch")


@pytest.mark.parametrize(
    ("value", "scale"), [("25%", "percent"), (True, "fraction"), (25, "fraction"), (-1, "percent")]
)
def test_probabilities_are_numbers_in_range(value: object, scale: str) -> None:
    data = tomllib.loads(TOML)
    data["probability_scale"] = scale
    data["stages"][0]["probability"] = value
    with pytest.raises(ValidationError) as caught:
        Pipeline.from_mapping(data)
    assert caught.value.field == "stages[0].probability"


@pytest.mark.parametrize(
    ("index", "change"),
    [
        (2, {"probability": 90}),
        (3, {"probability": 10}),
        (2, {"closed": False}),
        (0, {"forecast_category": "closed"}),
        (0, {"name": "pitch"}),
        (0, {"forecast_category": "maybe"}),
    ],
)
def test_bad_pipelines_are_refused(index: int, change: dict[str, object]) -> None:
    data = tomllib.loads(TOML)
    data["stages"][index].update(change)
    with pytest.raises(ValidationError):
        Pipeline.from_mapping(data)


def test_pipeline_needs_open_won_and_lost_stages() -> None:
    with pytest.raises(ValidationError, match="lost stage"):
        Pipeline(
            "x",
            (
                DealStage(name="a", probability=Decimal("0.1")),
                DealStage(
                    name="w", probability=1, is_closed=True, is_won=True, forecast_category="closed"
                ),
            ),
        )


def test_probability_defaults_from_stage_and_can_be_overridden() -> None:
    opp = deal()
    assert opp.stage == "prospecting"
    assert opp.probability == Decimal("0.1")
    opp.set_probability(Decimal("0.35"))
    assert opp.weighted_amount == Money("350", "EUR")
    opp.set_forecast_category("commit")
    assert opp.forecast_category is ForecastCategory.COMMIT
    opp.move_to("negotiation", at=T0 + timedelta(days=1))
    assert opp.probability == Decimal("0.8")  # overrides last until the stage changes
    assert opp.forecast_category is ForecastCategory.COMMIT
    with pytest.raises(ValidationError):
        opp.set_probability(Decimal("1.5"))
    with pytest.raises(ValidationError):
        opp.set_forecast_category("closed")


def test_proposal_accept_wins_with_events_for_rules() -> None:
    opp = deal(engagement_id="e1", time_zone="Asia/Tokyo")
    opp.move_to("proposal", at=T0)
    with pytest.raises(ValidationError, match="send_proposal"):
        opp.accept_proposal(at=T0)
    opp.send_proposal(at=T0 + timedelta(hours=1))
    opp.accept_proposal(at=datetime(2026, 2, 1, 20, tzinfo=UTC))
    events = opp.pull_events()
    assert [e.name for e in events] == [
        "opportunity.opened",
        "opportunity.stage_changed",
        "proposal.sent",
        "proposal.accepted",
        "opportunity.won",
    ]
    sent = events[2]
    assert isinstance(sent, ProposalSent)
    assert (sent.party_id, sent.engagement_id, sent.owner) == ("p1", "e1", "bob")
    assert sent.amount == Money("1000", "EUR")
    assert sent.expected_close == date(2026, 4, 15)
    won = events[-1]
    assert isinstance(won, OpportunityWon)
    assert won.closed_on == date(2026, 2, 2)  # already the 2nd in Tokyo
    assert won.probability == 1
    assert opp.is_won
    assert opp.forecast_category is ForecastCategory.CLOSED


def test_decline_loses_with_reason_and_stage_before() -> None:
    opp = deal()
    opp.move_to("negotiation", at=T0)
    opp.send_proposal(at=T0)
    with pytest.raises(ValidationError):
        opp.decline_proposal(at=T0, reason_code=" ")
    opp.decline_proposal(at=T0, reason_code="price", note="too dear")
    lost = opp.pull_events()[-1]
    assert isinstance(lost, OpportunityLost)
    assert (lost.reason_code, lost.stage_before) == ("price", "negotiation")
    assert lost.probability == 0
    assert opp.lost_reason == "price"


def test_closed_is_final_and_closing_needs_the_right_stage() -> None:
    opp = deal()
    with pytest.raises(InvalidTransitionError) as caught:
        opp.move_to("closed-won", at=T0)
    assert "qualification" in caught.value.allowed
    with pytest.raises(ValidationError, match="not a won stage"):
        opp.win(at=T0, stage="closed-lost")
    opp.lose(at=T0, reason_code="no-budget")
    actions: list[Callable[[], None]] = [
        lambda: opp.move_to("proposal", at=T0),
        lambda: opp.win(at=T0),
        lambda: opp.send_proposal(at=T0),
        lambda: opp.set_probability(Decimal("0.5")),
    ]
    for action in actions:
        with pytest.raises(InvalidTransitionError, match="final"):
            action()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError):
        deal(amount=Money("-1", "EUR"))
    with pytest.raises(ValidationError):
        deal(expected_close=datetime(2026, 4, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        deal(stage="nowhere")
    with pytest.raises(ValidationError):
        deal(party_id="")
    with pytest.raises(ValidationError):
        to_probability("p", float("nan"))


def test_events_are_offered_not_registered() -> None:
    names = [cls.name for cls in EVENTS]
    assert len(set(names)) == len(names)
    assert set(DEAL_EVENTS) <= set(EVENTS)
    assert not set(names) & set(EVENT_TYPES)
    assert DEFAULT_PIPELINE.won_stage().name == "closed-won"
