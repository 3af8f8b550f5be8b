"""Decay crossings through jobs: a score that fades crosses its threshold when nothing happens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import relationship_core as rc
from relationship_core import Engagement, ManualClock, Person
from relationship_core._scoring import (
    Decay,
    Direction,
    EngagementCriterion,
    FitCriterion,
    ScoringModel,
    Threshold,
)
from relationship_core._scoring.decay import DECAY_QUEUE
from relationship_core._scoring.service import ScoringService
from relationship_core._scoring.stored import ScoreCrossed

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)

FADING = ScoringModel(
    name="fading",
    criteria=[
        FitCriterion(name="vip", field="tags", op="equals", value="vip", points=30),
        EngagementCriterion(
            name="call",
            activity="interaction.call",
            points=20,
            decay=Decay(half_life=timedelta(days=1)),
        ),
    ],
    thresholds=[Threshold(score=50, stage="marketing-qualified", hysteresis=5)],
)


def _crossed(crm: rc.CRM) -> list[ScoreCrossed]:
    return [e for _, e in crm.events.read(limit=500) if isinstance(e, ScoreCrossed)]


def _lead_with_a_call(crm: rc.CRM, at: datetime) -> tuple[Person, Engagement]:
    ada = Person(name="Ada")
    ada.tag("vip")
    crm.parties.add(ada)
    with crm.unit_of_work() as uow:
        deal = uow.engagements.add(
            Engagement.start(
                ada, kind="customer", acquired_on=date(2026, 1, 5), at=at, support_team="desk"
            )
        )
        deal.log_interaction(channel="call", at=at, summary="intro call")
    return ada, deal


def _runner(crm: rc.CRM, clock: ManualClock) -> rc.Runner:
    return rc.Runner(crm, queues=[DECAY_QUEUE], worker="decay", clock=clock)


def test_decay_below_the_threshold_fires_at_the_predicted_instant(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        ScoringService(crm).use(FADING)
        ada, _ = _lead_with_a_call(crm, T0)  # 30 + 20 = 50: up
        [up] = _crossed(crm)
        assert up.direction is Direction.UP
        # 20 * 2**(-t) < 15 at t = log2(4/3) days, about 9 h 58 min after the call.
        runner = _runner(crm, clock)
        clock.advance(timedelta(hours=9))
        assert runner.run_once() == []  # not due yet: nothing fires
        assert len(_crossed(crm)) == 1
        clock.advance(timedelta(hours=3))
        [result] = runner.run_once()
        assert result.outcome == "done", result
        _, down = _crossed(crm)
        assert (down.direction, down.stage) == (Direction.DOWN, "marketing-qualified")
        assert down.value < Decimal(45)
        assert T0 + timedelta(hours=9, minutes=57) < down.occurred_at < T0 + timedelta(hours=10)
        stored = ScoringService(crm).of(ada.id)
        assert stored is not None
        assert stored.crossed.level == 0
        assert stored.snapshot is not None
        assert stored.snapshot.as_of == down.occurred_at
        clock.advance(timedelta(days=30))
        assert runner.run_once() == []  # below every threshold: no further check


def test_a_later_interaction_makes_the_earlier_check_stale(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        ScoringService(crm).use(FADING)
        _, deal = _lead_with_a_call(crm, T0)
        clock.advance(timedelta(hours=8))
        with crm.unit_of_work() as uow:  # a second call: the crossing moves a day later
            uow.engagements.get(deal.id).log_interaction(channel="call", at=clock.now(), summary="")
        clock.advance(timedelta(hours=4))  # past the first prediction
        runner = _runner(crm, clock)
        results = runner.run_once()
        assert [r.outcome for r in results] == ["done"]  # the stale check ran and did nothing
        assert [e.direction for e in _crossed(crm)] == [Direction.UP]
        clock.advance(timedelta(days=3))
        results = runner.drain()
        directions = [e.direction for e in _crossed(crm)]
        assert directions == [Direction.UP, Direction.DOWN]
        assert results


def test_decay_checks_can_be_switched_off(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock, config={"scoring": {"decay_checks": False}}) as crm:
        ScoringService(crm).use(FADING)
        _lead_with_a_call(crm, T0)
        clock.advance(timedelta(days=3))
        assert _runner(crm, clock).run_once() == []
        assert [e.direction for e in _crossed(crm)] == [Direction.UP]


def test_models_given_in_the_config_score_from_the_start(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock, config={"scoring": {"models": [FADING.to_mapping()]}}) as crm:
        ada, _ = _lead_with_a_call(crm, T0)  # no ScoringService.use: the plugin's handler scores
        stored = ScoringService(crm).of(ada.id)
        assert stored is not None
        assert stored.value == Decimal("50.00")
        assert [m.name for m in ScoringService(crm).models] == ["fading"]


def test_rescoring_can_be_switched_off(url: str) -> None:
    settings = {"models": [FADING], "rescore_on_interaction": False}
    with rc.open(url, clock=ManualClock(T0), config={"scoring": settings}) as crm:
        ada, _ = _lead_with_a_call(crm, T0)
        scoring = ScoringService(crm)
        assert scoring.of(ada.id) is None
        assert scoring.rescore(ada.id)["fading"].value == Decimal("50.00")
