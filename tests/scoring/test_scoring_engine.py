"""Scoring one lead: a worked example, and the properties the explanation keeps."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core._domain.engagements import Interaction
from relationship_core._domain.parties import Person
from relationship_core._scoring import (
    Activity,
    Lead,
    LeadState,
    ScoringModel,
    load_model,
    score,
)
from relationship_core.exceptions import ValidationError

from .strategies import NOW, SAAS, SIZE, leads, models

MODEL = load_model(
    {
        "decay": {"half_life": "14d"},
        "criteria": [
            SAAS,
            SIZE,
            {
                "name": "opens",
                "kind": "engagement",
                "activity": "email_opened",
                "points": 4,
                "cap": 10,
            },
            {"name": "meetings", "kind": "engagement", "activity": "meeting_booked", "points": 20},
            {
                "name": "unsubscribed",
                "kind": "engagement",
                "activity": "unsubscribed",
                "points": -15,
                "decay": {"window": "30d"},
            },
        ],
        "groups": {"engagement": {"cap": 25}},
        "total_cap": 45,
    }
)


def _at(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_worked_example_with_decay_and_every_kind_of_cap() -> None:
    lead = Lead(
        attributes={"custom.industry": "saas", "custom.employees": 120},
        activities=[
            Activity(type="email_opened", occurred_at=_at(0)),  # 4 x 1
            Activity(type="email_opened", occurred_at=_at(14)),  # 4 x 0.5
            Activity(type="email_opened", occurred_at=_at(28)),  # 4 x 0.25 -> 7.00
            Activity(
                type="meeting_booked", occurred_at=_at(7)
            ),  # 20 x 2**-0.5 = 14.142... -> 14.14
            Activity(type="unsubscribed", occurred_at=_at(40)),  # outside its 30-day window
            Activity(type="meeting_booked", occurred_at=NOW + timedelta(days=1)),  # not yet
        ],
    )
    result = score(MODEL, lead, NOW)
    lines = {c.criterion: c.points for c in result.contributions}
    assert lines == {
        "saas": Decimal("10.00"),
        "size": Decimal("15.00"),
        "opens": Decimal("7.00"),
        "meetings": Decimal("14.14"),
        "unsubscribed": Decimal("0.00"),
        # fit 25 + engagement 21.14 = 46.14 > 45: the total's cap takes 1.14
        "cap:total": Decimal("-1.14"),
    }
    assert (result.fit, result.engagement, result.total) == (
        Decimal(25),
        Decimal("21.14"),
        Decimal(45),
    )
    assert result.total_adjustment == Decimal("-1.14")
    why = {c.criterion: c.why for c in result.contributions}
    assert "3 x email_opened" in why["opens"]
    assert "capped at 45" in why["cap:total"]


def test_a_group_cap_adds_a_line_so_the_explanation_still_sums() -> None:
    lead = Lead(activities=[Activity(type="meeting_booked", occurred_at=NOW)] * 2)
    result = score(MODEL, lead, NOW)
    assert result.engagement == Decimal(25)
    assert [
        (c.criterion, c.points) for c in result.contributions if c.criterion.startswith("cap:")
    ] == [("cap:engagement", Decimal("-15.00"))]


def test_a_criterion_cap_shows_in_its_own_line() -> None:
    lead = Lead(activities=[Activity(type="email_opened", occurred_at=NOW)] * 5)
    (opens,) = (c for c in score(MODEL, lead, NOW).contributions if c.criterion == "opens")
    assert opens.points == Decimal(10)
    assert "capped at 10" in opens.why


def test_a_lead_from_a_party_and_its_interactions() -> None:
    model = load_model(
        {
            "criteria": [
                {
                    "name": "vip",
                    "kind": "fit",
                    "field": "tags",
                    "op": "equals",
                    "value": "vip",
                    "points": 5,
                },
                {
                    "name": "founded",
                    "kind": "fit",
                    "field": "custom.founded",
                    "op": "range",
                    "minimum": {"date": "2020-01-01"},
                    "points": 3,
                },
                {
                    "name": "met",
                    "kind": "engagement",
                    "activity": "interaction.meeting",
                    "points": 7,
                },
            ]
        }
    )
    ada = Person(name="Ada", tags=["VIP"], custom_fields={"founded": date(2021, 5, 1)})
    meeting = Interaction(
        engagement_id="e1", party_id=ada.id, channel="meeting", occurred_at=_at(1)
    )
    result = score(model, Lead.from_party(ada, interactions=[meeting]), NOW)
    assert result.total == Decimal(15)


def test_scoring_refuses_a_naive_instant() -> None:
    with pytest.raises(ValidationError, match="naive"):
        score(MODEL, Lead(), datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), leads())
def test_the_explanation_sums_to_the_total_exactly(model: ScoringModel, lead: Lead) -> None:
    result = score(model, lead, NOW)
    assert sum(c.points for c in result.contributions) == result.total
    assert result.fit + result.engagement + result.total_adjustment == result.total
    assert result.snapshot().value == result.total
    assert result.snapshot().model_version == model.version


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), leads())
def test_caps_hold(model: ScoringModel, lead: Lead) -> None:
    result = score(model, lead, NOW)
    by_name = {c.criterion: c.points for c in result.contributions}
    for criterion in model.criteria:
        if criterion.cap is not None:
            assert abs(by_name[criterion.name]) <= criterion.cap
    for group in model.groups:
        if group.cap is not None:
            part = result.fit if group.name == "fit" else result.engagement
            assert abs(part) <= group.cap
    if model.total_cap is not None:
        assert abs(result.total) <= model.total_cap


@given(models(positive=True), leads(), st.integers(0, 100 * 86_400), st.integers(0, 100 * 86_400))
def test_decay_is_monotone_in_time(
    model: ScoringModel, lead: Lead, first: int, second: int
) -> None:
    early, late = sorted((first, second))
    before = score(model, lead, NOW + timedelta(seconds=early))
    after = score(model, lead, NOW + timedelta(seconds=late))
    assert after.total <= before.total
    assert after.engagement <= before.engagement
    assert after.fit == before.fit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), leads(), st.lists(st.sampled_from(["email_opened", "meeting_booked"]), max_size=3))
def test_rescoring_the_state_after_an_event_equals_scoring_the_whole_lead(
    model: ScoringModel, lead: Lead, added: list[str]
) -> None:
    state = LeadState(lead)
    score(model, state, NOW)  # warms the fit cache
    events = [Activity(type=t, occurred_at=_at(i)) for i, t in enumerate(added)]
    for event in events:
        state.add(event)
    whole = Lead(attributes=lead.attributes, activities=(*lead.activities, *events))
    assert score(model, state, NOW).contributions == score(model, whole, NOW).contributions


def test_new_attributes_are_scored_on_the_next_score() -> None:
    state = LeadState(Lead(attributes={"custom.industry": "retail"}))
    assert score(MODEL, state, NOW).fit == 0
    state.set_attributes({"custom.industry": "saas"})
    assert score(MODEL, state, NOW).fit == 10
