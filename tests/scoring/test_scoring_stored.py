"""Scoring in a store: snapshots stored and queried, rescoring on the bus, crossings published once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Actor, DomainEvent, Engagement, ManualClock, Person
from relationship_core._app.uow import UnitOfWork
from relationship_core._lifecycle.reactions import lifecycle_of
from relationship_core._lifecycle.service import LifecycleService
from relationship_core._scoring import (
    Activity,
    Decay,
    Direction,
    EngagementCriterion,
    FitCriterion,
    Lead,
    ScoringModel,
    Threshold,
    ThresholdState,
    crossings,
    score,
)
from relationship_core._scoring.kinds import PARTY_SCORES
from relationship_core._scoring.service import ScoringService
from relationship_core._scoring.stored import PartyScore, ScoreCrossed
from relationship_core.exceptions import NotFoundError, ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)

MODEL = ScoringModel(
    name="inbound",
    criteria=[
        FitCriterion(name="vip", field="tags", op="equals", value="vip", points=30),
        EngagementCriterion(name="call", activity="interaction.call", points=20),
    ],
    thresholds=[Threshold(score=50, stage="marketing-qualified", hysteresis=5)],
)


def _log_call(crm: rc.CRM, engagement_id: str, at: datetime) -> None:
    with crm.unit_of_work() as uow:
        uow.engagements.get(engagement_id).log_interaction(channel="call", at=at, summary="call")


def _engaged(crm: rc.CRM, *tags: str) -> tuple[Person, Engagement]:
    ada = Person(name="Ada")
    ada.tag(*tags) if tags else None
    crm.parties.add(ada)
    with crm.unit_of_work() as uow:
        shop = uow.engagements.add(
            Engagement.start(
                ada, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
            )
        )
    return ada, shop


def test_a_snapshot_is_stored_by_the_handler_and_queried_with_score_over_50(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        scoring = ScoringService(crm)
        scoring.use(MODEL)
        vip, vip_deal = _engaged(crm, "vip")
        plain, plain_deal = _engaged(crm)
        _log_call(crm, vip_deal.id, T0)
        _log_call(crm, plain_deal.id, T0)

        stored = crm.repository(PartyScore).get(f"inbound:{vip.id}")
        assert stored.snapshot is not None
        assert stored.snapshot.value == Decimal("50.00")
        assert stored.snapshot.model_version == MODEL.version
        assert sum(c.points for c in stored.contributions) == stored.snapshot.value
        hot = crm.repository(PARTY_SCORES).query(("score", "gt", 45))
        assert [s.party_id for s in hot] == [vip.id]
        assert [s.party_id for s in scoring.above(49)] == [vip.id]
        assert [s.party_id for s in crm.repository(PartyScore).query(("score", "gt", 50))] == []
        assert scoring.of(plain.id) is not None
        assert scoring.of(plain.id).value == Decimal("20.00")  # type: ignore[union-attr]


def test_a_crossing_is_published_once_with_hysteresis(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        ScoringService(crm).use(MODEL)
        ada, deal = _engaged(crm, "vip")
        _log_call(crm, deal.id, T0)  # 30 + 20 = 50: crosses up
        _log_call(crm, deal.id, T0 + timedelta(hours=1))  # 70: already above
        # Editing a party records no event, so the application rescores: 40 < 50 - 5.
        clock.advance(timedelta(hours=2))
        party = crm.parties.get(ada.id)
        party.untag("vip")
        crm.parties.update(party)
        ScoringService(crm).rescore(ada.id)
        ScoringService(crm).rescore(ada.id)  # still 40: nothing more fires
        crossed = [e for _, e in crm.events.read(limit=500) if isinstance(e, ScoreCrossed)]
        assert [(e.direction, e.stage, e.value) for e in crossed] == [
            (Direction.UP, "marketing-qualified", Decimal("50.00")),
            (Direction.DOWN, "marketing-qualified", Decimal("40.00")),
        ]
        # The engagement's start made Ada a customer; the crossings moved nothing.
        assert [m.to_stage for m in LifecycleService(crm).history(ada.id)] == ["customer"]


def test_a_score_wobbling_inside_the_hysteresis_crosses_once(url: str) -> None:
    wobbly = ScoringModel(
        name="wobbly",
        criteria=[EngagementCriterion(name="call", activity="interaction.call", points=25)],
        thresholds=[Threshold(score=50, stage="marketing-qualified", hysteresis=30)],
        decay=Decay(window=timedelta(days=1)),
    )
    clock = ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        scoring = ScoringService(crm)
        scoring.use(wobbly)
        ada, deal = _engaged(crm)
        _log_call(crm, deal.id, T0)
        _log_call(crm, deal.id, T0 + timedelta(hours=1))  # 50: up
        scoring.rescore(ada.id, at=T0 + timedelta(hours=24, minutes=30))  # 25: above 50 - 30
        _log_call(crm, deal.id, T0 + timedelta(hours=24, minutes=40))  # 50 again: nothing
        crossed = [e for _, e in crm.events.read(limit=500) if e.name == "score.crossed"]
        assert len(crossed) == 1
        assert crm.repository(PartyScore).get(f"wobbly:{ada.id}").crossed.level == 1


def test_without_a_model_nothing_is_scored(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada, deal = _engaged(crm)
        _log_call(crm, deal.id, T0)
        assert list(crm.repository(PartyScore).iterate()) == []
        with pytest.raises(ValidationError):
            ScoringService(crm).of(ada.id)
        with pytest.raises(NotFoundError):
            ScoringService(crm).rescore("nobody")


@given(counts=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=12))
def test_stored_crossings_are_the_pure_crossings_of_the_same_scores(counts: list[int]) -> None:
    """Recording a score sequence fires exactly what `crossings` fires, state carried between."""
    ladder = ScoringModel(
        name="ladder",
        criteria=[EngagementCriterion(name="call", activity="interaction.call", points=10)],
        thresholds=[
            Threshold(score=20, stage="marketing-qualified", hysteresis=5),
            Threshold(score=40, stage="sales-qualified", hysteresis=10),
        ],
    )
    stored = PartyScore(party_id="p", model="ladder")
    state, expected = ThresholdState(), []
    for n in counts:
        lead = Lead(activities=[Activity(type="interaction.call", occurred_at=T0)] * n)
        result = score(ladder, lead, T0)
        step = crossings(ladder, state, result.total)
        state = step.state
        expected += [(c.threshold.stage, c.direction) for c in step.events]
        stored.record(ladder, result)
    fired = [(e.stage, e.direction) for e in stored.pull_events() if isinstance(e, ScoreCrossed)]
    assert fired == expected
    assert stored.crossed == state


def test_a_rule_may_move_the_lifecycle_on_a_crossing_in_the_same_commit(url: str) -> None:
    def qualify(event: DomainEvent, uow: UnitOfWork) -> None:
        assert isinstance(event, ScoreCrossed)
        if event.direction is Direction.UP:
            lifecycle_of(uow, event.party_id).move(
                event.stage,
                occurred_at=event.occurred_at,
                recorded_at=event.occurred_at,
                actor=Actor.rule("mql-threshold"),
                source_id=uow.envelope(event).id,
            )

    handlers = [rc.EventHandlerSpec("qualify", "score.crossed", qualify)]
    # Only the rule moves Ada here (not her engagement's start, which would make her a customer).
    off = {"lifecycle": {"follow_engagements": False}}
    with rc.open(url, clock=ManualClock(T0), handlers=handlers, config=off) as crm:
        ScoringService(crm).use(MODEL)
        ada, deal = _engaged(crm, "vip")
        _log_call(crm, deal.id, T0)
        lifecycle = LifecycleService(crm).of(ada.id)
        assert lifecycle is not None
        assert [(m.to_stage, m.actor) for m in lifecycle.moves] == [
            ("marketing-qualified", Actor.rule("mql-threshold"))
        ]
