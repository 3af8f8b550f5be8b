"""The demo's sales chapter: how the customer came in, from lead to won deal.

`lead_to_customer` is called by `relationship_core._demo.run_demo` right after
the first purchase, on the party that made it: Analytical Engines Ltd was a
lead in December 2025, scored on what it did (a form, e-mails opened, a
meeting), crossed the model's thresholds, moved through the lifecycle, and its
proposal went through the deal pipeline and was won on the morning of the
first order. Those December facts are recorded now, back-dated (``occurred_at``
and the scoring instant), which the lifecycle history and the score support;
the story's clock is not moved, so the billing chapters that follow are
unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from relationship_core._domain.engagements import Engagement
from relationship_core._domain.money import Money
from relationship_core._domain.parties import Party
from relationship_core._lifecycle.kinds import OPPORTUNITIES
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._lifecycle.service import LifecycleService
from relationship_core._lifecycle.timeline import timeline_order
from relationship_core._scoring.engine import Activity, Lead, score
from relationship_core._scoring.kinds import PARTY_SCORES
from relationship_core._scoring.model import (
    Decay,
    EngagementCriterion,
    FitCriterion,
    ScoringModel,
    Threshold,
)
from relationship_core._scoring.stored import PartyScore, score_id

if TYPE_CHECKING:
    from relationship_core._demo_story import _Story

__all__ = ["DEMO_MODEL", "lead_to_customer"]

#: The demo's lead-scoring model: fit on who the party is, engagement on what it did.
DEMO_MODEL = ScoringModel(
    name="inbound",
    criteria=[
        FitCriterion(name="company", field="kind", op="equals", value="organisation", points=20),
        FitCriterion(
            name="uk-based", field="time_zone", op="equals", value="Europe/London", points=10
        ),
        EngagementCriterion(
            name="form", activity="form_submitted", points=15, decay=Decay(half_life="30d")
        ),
        EngagementCriterion(
            name="e-mails",
            activity="email_opened",
            points=5,
            cap=10,
            decay=Decay(half_life="30d"),
        ),
        EngagementCriterion(
            name="meeting", activity="meeting_booked", points=25, decay=Decay(half_life="30d")
        ),
    ],
    thresholds=[
        Threshold(score=40, stage="marketing-qualified", hysteresis=5),
        Threshold(score=65, stage="sales-qualified", hysteresis=5),
    ],
)


def _day(month: int, day: int, year: int = 2025, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _score(story: _Story, party: Party, done: list[Activity], at: datetime) -> PartyScore:
    """Score *party* on *done* as of *at* and store it (crossings become events)."""
    result = score(DEMO_MODEL, Lead.from_party(party, activities=done), at)
    with story.crm.unit_of_work() as uow:
        repo = uow.repository(PARTY_SCORES)
        stored = repo.find(score_id(DEMO_MODEL.name, party.id))
        if stored is None:
            stored = repo.add(PartyScore(party_id=party.id, model=DEMO_MODEL.name))
        for crossing in stored.record(DEMO_MODEL, result):
            story.write(
                f"  {at:%Y-%m-%d}  score {result.total} crossed {crossing.threshold.score}"
                f" {crossing.direction.value}: {crossing.threshold.stage}"
            )
        return stored


def lead_to_customer(story: _Story, party: Party, engagement: Engagement) -> None:
    """Tell how *party* came in: scored as a lead, qualified, its proposal won (for *engagement*)."""
    write = story.write
    heading = "2. How they came in: a lead, scored, qualified, a deal won (Dec 2025)"
    write("")
    write(heading)
    write("-" * len(heading))
    lifecycle = LifecycleService(story.crm)
    lifecycle.move(party.id, "lead", occurred_at=_day(12, 1), note="web form: workshop enquiry")
    done = [Activity(type="form_submitted", occurred_at=_day(12, 1))]
    _score(story, party, done, _day(12, 1))
    done += [Activity(type="email_opened", occurred_at=_day(12, d)) for d in (3, 5, 8)]
    stored = _score(story, party, done, _day(12, 8))
    lifecycle.move(party.id, "marketing-qualified", occurred_at=_day(12, 8), note="score >= 40")
    done.append(Activity(type="meeting_booked", occurred_at=_day(12, 10)))
    stored = _score(story, party, done, _day(12, 10))
    lifecycle.move(party.id, "sales-qualified", occurred_at=_day(12, 10), note="score >= 65")
    write(f"  score {stored.value} on 2025-12-10 (engagement halves every 30 days), because:")
    for c in stored.contributions:
        why = c.why.replace(" (half-life 30d)", "")
        write(f"    {c.points:>+7} {c.criterion:<9} {why}")

    with story.crm.unit_of_work() as uow:
        deal = uow.add(
            Opportunity.open(
                party_id=party.id,
                title="Workshop kits and setup",
                owner="sam.sales",
                amount=Money("230.50", "GBP"),
                expected_close=_day(1, 9, 2026).date(),
                at=_day(12, 11),
                time_zone="Europe/London",
                engagement_id=engagement.id,
                id=story.new_id(),
            )
        )
    lifecycle.move(party.id, "opportunity", occurred_at=_day(12, 11), note=deal.title)
    with story.crm.unit_of_work() as uow:
        deal = uow.repository(OPPORTUNITIES).get(deal.id)
        path = [f"{deal.stage} ({deal.probability:.0%})"]
        for stage, at in (("qualification", _day(12, 12)), ("proposal", _day(12, 15))):
            deal.move_to(stage, at=at)
            path.append(f"{stage} ({deal.probability:.0%})")
        deal.send_proposal(at=_day(12, 15))
        deal.move_to("negotiation", at=_day(12, 22))
        path.append(f"negotiation ({deal.probability:.0%})")
        started = _day(1, 5, 2026, 9)  # the morning of the first order
        won_at = started - timedelta(minutes=30)
        deal.accept_proposal(at=won_at)
        path.append("closed-won")
    write(f"  deal {deal.title!r}, {deal.amount.amount} GBP, owner {deal.owner}:")
    write(f"    {' -> '.join(path[:3])}")
    write(f"    -> {' -> '.join(path[3:])} on {won_at:%Y-%m-%d}")
    found = lifecycle.of(party.id)
    if found is None or found.stage != "customer":  # the engagement's start moves it by default
        lifecycle.move(party.id, "customer", occurred_at=started, note="first order")
    moves = sorted(lifecycle.history(party.id), key=timeline_order)  # back-dated ones first
    stages = " -> ".join(m.to_stage for m in moves)
    write(f"  lifecycle: {stages}")
