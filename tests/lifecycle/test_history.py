"""The stage history: append-only moves, figures derived from them, as of any instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._lifecycle import (
    DEFAULT_LIFECYCLE,
    Actor,
    LifecycleStageChanged,
    PartyLifecycle,
    StageKind,
    StageMove,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ANN = Actor.person("ann")


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_worked_example_with_a_backdated_correction() -> None:
    party = PartyLifecycle(party_id="p1")
    party.move("lead", occurred_at=day(0), recorded_at=day(0), actor=ANN, source_id="form-7")
    party.move("opportunity", occurred_at=day(10), recorded_at=day(10), actor=ANN)
    assert party.as_of(day(20)).became("marketing-qualified") is None
    # Found later: the lead had qualified on day 3.
    party.move("marketing-qualified", occurred_at=day(3), recorded_at=day(12), actor=ANN)
    view = party.as_of(day(20))
    assert view.stage == "opportunity"
    assert view.became("marketing-qualified") == day(3)
    assert view.exited("lead") == day(3)
    assert view.cumulative_time_in("lead") == timedelta(days=3)
    assert view.cumulative_time_in("marketing-qualified") == timedelta(days=7)
    assert view.latest_time_in("opportunity") == timedelta(days=10)
    # What we believed on day 11, before the correction was recorded:
    before = party.as_of(day(20), known_at=day(11))
    assert before.cumulative_time_in("lead") == timedelta(days=10)
    event = party.pull_events()[-1]
    assert isinstance(event, LifecycleStageChanged)
    assert event.backdated
    assert (event.from_stage, event.to_stage) == ("lead", "marketing-qualified")


def test_loss_reactivation_and_reentry() -> None:
    party = PartyLifecycle(party_id="p2")
    party.move("lead", occurred_at=day(0), recorded_at=day(0), actor=ANN)
    party.move("opportunity", occurred_at=day(5), recorded_at=day(5), actor=ANN)
    with pytest.raises(ValidationError, match="reason code"):
        party.move("lost", occurred_at=day(8), recorded_at=day(8), actor=ANN)
    party.move("lost", occurred_at=day(8), recorded_at=day(8), actor=ANN, reason_code="price")
    with pytest.raises(InvalidTransitionError) as caught:
        party.move("lead", occurred_at=day(9), recorded_at=day(9), actor=ANN)
    assert caught.value.allowed == ("recycled",)
    party.move("recycled", occurred_at=day(30), recorded_at=day(30), actor=Actor.rule("nurture"))
    party.move("lead", occurred_at=day(31), recorded_at=day(31), actor=ANN)
    view = party.as_of(day(40))
    assert view.stage_before_loss == "opportunity"
    assert view.cycle == 1
    assert view.entries("lead") == 2
    assert view.reentries("lead") == 1
    assert view.first_entered("lead") == day(0)
    assert view.last_entered("lead") == day(31)
    assert view.cumulative_time_in("lead") == timedelta(days=5 + 9)
    assert [s.cycle for s in view.stays()] == [0, 0, 0, 1, 1]
    assert len(party.moves) == 5  # the old cycle is kept


def test_backward_override_is_recorded() -> None:
    party = PartyLifecycle(party_id="p3")
    party.move("opportunity", occurred_at=day(0), recorded_at=day(0), actor=ANN)
    with pytest.raises(InvalidTransitionError, match="allowed moves: customer"):
        party.move("lead", occurred_at=day(1), recorded_at=day(1), actor=ANN)
    move = party.move(
        "lead", occurred_at=day(1), recorded_at=day(1), actor=ANN, override=True, note="too early"
    )
    assert move.override
    assert party.stage == "lead"


def test_append_only_and_instants_checked() -> None:
    party = PartyLifecycle(party_id="p4")
    party.move("lead", occurred_at=day(0), recorded_at=day(5), actor=ANN)
    with pytest.raises(ValidationError, match="append-only"):
        party.move("customer", occurred_at=day(1), recorded_at=day(4), actor=ANN)
    with pytest.raises(ValidationError, match="recorded early"):
        party.move("customer", occurred_at=day(7), recorded_at=day(6), actor=ANN)
    with pytest.raises(ValidationError):
        party.move("customer", occurred_at=datetime(2026, 2, 1), recorded_at=day(40), actor=ANN)  # noqa: DTZ001
    with pytest.raises(ValidationError, match="Actor"):
        party.move("customer", occurred_at=day(6), recorded_at=day(6), actor="ann")  # type: ignore[arg-type]


def test_same_source_moves_once() -> None:
    party = PartyLifecycle(party_id="p5")
    first = party.move("lead", occurred_at=day(0), recorded_at=day(0), actor=ANN, source_id="e1")
    again = party.move("lead", occurred_at=day(0), recorded_at=day(1), actor=ANN, source_id="e1")
    assert again is first
    assert len(party.moves) == 1


# -- properties: derived figures equal a brute-force replay ------------------

MINUTE = timedelta(minutes=1)
HORIZON = 240  # minutes


def at(minute: int) -> datetime:
    return T0 + minute * MINUTE


@st.composite
def histories(draw: st.DrawFn) -> PartyLifecycle:
    """Random valid histories over a few hours, often back-dated, at distinct minutes."""
    party = PartyLifecycle(party_id="p")
    used: set[int] = set()
    for k in range(draw(st.integers(1, 12))):
        recorded = at(HORIZON + k)
        minute = draw(st.integers(0, HORIZON - 1).filter(lambda m: m not in used))
        current = party.stage_at(at(minute))
        options = list(DEFAULT_LIFECYCLE.allowed_from(current))
        backward = [
            s
            for s in DEFAULT_LIFECYCLE.names
            if current is not None
            and s not in options
            and s != current
            and DEFAULT_LIFECYCLE.is_backward(current, s)
        ]
        to = draw(st.sampled_from(options + backward))
        party.move(
            to,
            occurred_at=at(minute),
            recorded_at=recorded,
            actor=ANN,
            reason_code="r",
            override=to in backward,
        )
        used.add(minute)
    return party


def brute_stage(moves: list[StageMove], minute: int) -> str | None:
    """The stage at a minute: the last move (by occurrence, then recording) at or before it."""
    best: StageMove | None = None
    for move in moves:
        if move.occurred_at <= at(minute) and (
            best is None
            or (move.occurred_at, move.recorded_at) > (best.occurred_at, best.recorded_at)
        ):
            best = move
    return None if best is None else best.to_stage


def brute_figures(moves: list[StageMove], until: int, stage: str) -> dict[str, object]:
    """Walk minute by minute up to *until* (every move falls on a whole minute)."""
    grid = [brute_stage(moves, m) for m in range(until + 1)]
    entries = [m for m in range(until + 1) if grid[m] == stage and (m == 0 or grid[m - 1] != stage)]
    exits = [m for m in range(1, until + 1) if grid[m - 1] == stage and grid[m] != stage]
    minutes_in = sum(1 for m in range(until) if grid[m] == stage)
    latest = None
    if entries:
        later_exits = [e for e in exits if e > entries[-1]]
        latest = ((later_exits[0] if later_exits else until) - entries[-1]) * MINUTE
    losses = [
        m
        for m in range(1, until + 1)
        if grid[m] != grid[m - 1]
        and grid[m] is not None
        and DEFAULT_LIFECYCLE.stage(grid[m]).kind is StageKind.ENDED  # type: ignore[arg-type]
    ]
    recycles = [
        m for m in range(1, until + 1) if grid[m] == "recycled" and grid[m - 1] != "recycled"
    ]
    return {
        "stage": grid[until],
        "first_entered": at(entries[0]) if entries else None,
        "last_entered": at(entries[-1]) if entries else None,
        "exited": at(exits[-1]) if exits else None,
        "cumulative": minutes_in * MINUTE,
        "latest": latest,
        "entries": len(entries),
        "before_loss": grid[losses[-1] - 1] if losses else None,
        "cycle": len(recycles),
    }


def figures(party: PartyLifecycle, until: int, stage: str, **kw: datetime) -> dict[str, object]:
    view = party.as_of(at(until), **kw)
    return {
        "stage": view.stage,
        "first_entered": view.first_entered(stage),
        "last_entered": view.last_entered(stage),
        "exited": view.exited(stage),
        "cumulative": view.cumulative_time_in(stage),
        "latest": view.latest_time_in(stage),
        "entries": view.entries(stage),
        "before_loss": view.stage_before_loss,
        "cycle": view.cycle,
    }


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(0, HORIZON), st.sampled_from(DEFAULT_LIFECYCLE.names))
def test_derived_figures_equal_brute_force_replay(
    party: PartyLifecycle, until: int, stage: str
) -> None:
    assert figures(party, until, stage) == brute_figures(list(party.moves), until, stage)


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(0, HORIZON), st.sampled_from(DEFAULT_LIFECYCLE.names))
def test_as_of_equals_replay_of_truncated_history(
    party: PartyLifecycle, until: int, stage: str
) -> None:
    replayed = PartyLifecycle(party_id="p")
    for move in party.moves:
        if move.occurred_at <= at(until):
            replayed.move(
                move.to_stage,
                occurred_at=move.occurred_at,
                recorded_at=move.recorded_at,
                actor=move.actor,
                reason_code=move.reason_code,
                note=move.note,
                override=move.override,
            )
    assert figures(party, until, stage) == figures(replayed, until, stage)
    assert replayed.as_of(at(until)).stays() == party.as_of(at(until)).stays()


@settings(max_examples=40, deadline=None)
@given(histories(), st.integers(0, 12), st.sampled_from(DEFAULT_LIFECYCLE.names))
def test_known_at_equals_the_history_recorded_by_then(
    party: PartyLifecycle, k: int, stage: str
) -> None:
    known_at = at(HORIZON + k)
    prefix = [m for m in party.moves if m.recorded_at <= known_at]
    assert figures(party, HORIZON, stage, known_at=known_at) == brute_figures(
        prefix, HORIZON, stage
    )
