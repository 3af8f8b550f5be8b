"""Thresholds with hysteresis, and when decay will cross back down."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from relationship_core._scoring import Activity, Lead, LeadState, load_model, score
from relationship_core._scoring.thresholds import (
    Direction,
    ScoringState,
    ThresholdState,
    crossings,
    next_crossing,
)

from .strategies import NOW, SAAS

MODEL = load_model(
    {
        "decay": {"half_life": "14d"},
        "criteria": [
            SAAS,
            {"name": "opens", "kind": "engagement", "activity": "email_opened", "points": 10},
            {
                "name": "visits",
                "kind": "engagement",
                "activity": "page_visited",
                "points": 5,
                "decay": {"window": "7d"},
            },
        ],
        "thresholds": [
            {"score": 50, "stage": "marketing-qualified", "hysteresis": 5},
            {"score": 80, "stage": "sales-qualified", "hysteresis": 10},
        ],
    }
)


def _walk(scores: list[str]) -> list[tuple[str, str]]:
    state = ThresholdState()
    fired = []
    for value in scores:
        result = crossings(MODEL, state, Decimal(value))
        state = result.state
        fired += [(e.threshold.stage, e.direction.value) for e in result.events]
    return fired


def test_a_wobbling_score_crosses_once() -> None:
    assert _walk(["49", "50", "47", "51", "46", "52"]) == [("marketing-qualified", "up")]


def test_it_crosses_down_only_below_the_hysteresis_line() -> None:
    assert _walk(["55", "45", "44.99"]) == [
        ("marketing-qualified", "up"),
        ("marketing-qualified", "down"),
    ]


def test_a_jump_fires_every_threshold_in_order() -> None:
    assert _walk(["90", "10"]) == [
        ("marketing-qualified", "up"),
        ("sales-qualified", "up"),
        ("sales-qualified", "down"),
        ("marketing-qualified", "down"),
    ]
    assert ThresholdState(2).stage(MODEL.thresholds) == "sales-qualified"


@given(st.lists(st.decimals(min_value=0, max_value=100, places=2), max_size=30))
def test_between_up_and_down_lines_nothing_fires(values: list[Decimal]) -> None:
    state = ThresholdState()
    for value in values:
        result = crossings(MODEL, state, value)
        if 45 <= value < 50 and state.level <= 1:
            assert result.events == ()
        for event in result.events:
            assert (event.direction is Direction.UP) == (result.state.level > state.level)
        state = result.state


def _state(*activities: Activity) -> ScoringState:
    lead = LeadState(Lead(attributes={"custom.industry": "saas"}, activities=activities))
    level = crossings(MODEL, ThresholdState(), score(MODEL, lead, NOW).total).state
    return ScoringState(lead, level)


def test_next_crossing_is_the_instant_decay_takes_the_score_below_the_down_line() -> None:
    # 10 + 4 opens now = 50: qualified; it falls below 45 when 40 * 2**(-t/14d) < 35
    state = _state(*[Activity(type="email_opened", occurred_at=NOW)] * 4)
    assert state.crossed.level == 1
    when = next_crossing(state, MODEL, NOW)
    assert when is not None
    assert score(MODEL, state.lead, when).total < 45
    assert score(MODEL, state.lead, when - timedelta(microseconds=1)).total >= 45
    # engagement in cents is round(4000 * 2**(-t / 14d)); below 35.00 means 3499.5 or less
    expected = timedelta(days=14) * math.log2(4000 / 3499.5)
    assert abs((when - NOW) - expected) < timedelta(milliseconds=1)


def test_next_crossing_finds_a_window_ending() -> None:
    # 10 + 3 opens 46 days ago (3.06...) ... keep it simple: visits only, in a 7-day window
    state = _state(*[Activity(type="page_visited", occurred_at=NOW - timedelta(days=2))] * 8)
    assert score(MODEL, state.lead, NOW).total == 50
    assert next_crossing(state, MODEL, NOW) == NOW + timedelta(days=5)


def test_no_crossing_below_every_threshold_or_when_fit_alone_keeps_it_up() -> None:
    assert next_crossing(_state(), MODEL, NOW) is None
    fit_only = load_model({**MODEL.to_mapping(), "criteria": [MODEL.to_mapping()["criteria"][0]]})  # type: ignore[index]
    lead = LeadState(Lead(attributes={"custom.industry": "saas"}))
    assert next_crossing(ScoringState(lead, ThresholdState(0)), fit_only, NOW) is None
