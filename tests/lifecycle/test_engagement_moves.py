"""Engagement events become lifecycle moves: one truth for customer, client and churn."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from relationship_core._domain.engagements import Engagement, EngagementKind
from relationship_core._domain.events import DomainEvent
from relationship_core._lifecycle import (
    Actor,
    EngagementEnded,
    PartyLifecycle,
    engagement_stage,
    moves_for_engagement_event,
)
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
C, K = EngagementKind.CUSTOMER, EngagementKind.CLIENT


class Party:
    """A party's lifecycle fed by its engagements' events, as the platform will do it."""

    def __init__(self, current: str | None = None) -> None:
        self.lifecycle = PartyLifecycle(party_id="p")
        self.live: dict[str, EngagementKind] = {}
        if current:
            self.lifecycle.move(current, occurred_at=T0, recorded_at=T0, actor=_ACTOR)

    def feed(self, *events: DomainEvent) -> list[str]:
        moved = []
        for event in events:
            planned, self.live = moves_for_engagement_event(
                event, live=self.live, current=self.lifecycle.stage
            )
            for move in planned:
                self.lifecycle.apply(move, recorded_at=event.occurred_at)
                moved.append(move.to_stage)
        return moved


_ACTOR = Actor.person("ann")


def started(kind: str, at: datetime, eid: str = "e1") -> Engagement:
    return Engagement.start(
        "p",
        kind=kind,
        acquired_on=at.date(),
        at=at,
        id=eid,
        support_team="desk" if kind == "customer" else None,
        account_manager="mia" if kind == "client" else None,
    )


def ended(at: datetime, eid: str = "e1") -> EngagementEnded:
    return EngagementEnded(
        aggregate_id=eid, occurred_at=at, party_id="p", on=at.date(), reason_code="moved-away"
    )


def test_lead_becomes_customer_then_client_then_lapses_then_churns() -> None:
    party = Party("opportunity")
    engagement = started("customer", T0 + timedelta(days=1))
    assert party.feed(*engagement.pull_events()) == ["customer"]
    engagement.promote_to_client(
        account_manager="mia", reason="retainer", at=T0 + timedelta(days=30)
    )
    assert party.feed(*engagement.pull_events()) == ["client"]
    engagement.lapse_to_customer(reason="paused", at=T0 + timedelta(days=90))
    assert party.feed(*engagement.pull_events()) == ["customer"]
    assert party.feed(ended(T0 + timedelta(days=120))) == ["churned"]
    view = party.lifecycle.as_of(T0 + timedelta(days=200))
    assert view.stage == "churned"
    assert view.stage_before_loss == "customer"
    assert party.lifecycle.moves[-1].reason_code == "moved-away"


def test_most_advanced_live_engagement_decides() -> None:
    party = Party()
    client = started("client", T0, "e1")
    assert party.feed(*client.pull_events()) == ["client"]
    shop = started("customer", T0 + timedelta(days=1), "e2")
    assert party.feed(*shop.pull_events()) == []  # still a client
    assert party.feed(ended(T0 + timedelta(days=2), "e2")) == []  # one engagement still live
    assert party.feed(ended(T0 + timedelta(days=3), "e1")) == ["churned"]
    assert engagement_stage({"a": C, "b": K}) == "client"
    assert engagement_stage({}) is None


def test_lapse_keeps_client_while_another_client_engagement_is_live() -> None:
    party = Party()
    a, b = started("client", T0, "e1"), started("client", T0 + timedelta(days=1), "e2")
    party.feed(*a.pull_events(), *b.pull_events())
    a.lapse_to_customer(reason="x", support_team="desk", at=T0 + timedelta(days=5))
    assert party.feed(*a.pull_events()) == []
    assert party.lifecycle.stage == "client"


def test_an_advocate_stays_an_advocate_on_a_new_purchase() -> None:
    party = Party("advocate")
    assert party.feed(*started("customer", T0 + timedelta(days=1)).pull_events()) == []


def test_reactivation_after_churn_recycles_then_enters() -> None:
    party = Party()
    party.feed(*started("customer", T0, "e1").pull_events(), ended(T0 + timedelta(days=10)))
    again = started("client", T0 + timedelta(days=50), "e2")
    assert party.feed(*again.pull_events()) == ["recycled", "client"]
    assert party.lifecycle.as_of(T0 + timedelta(days=60)).cycle == 1


def test_redelivered_event_moves_once() -> None:
    party = Party()
    events = started("customer", T0).pull_events()
    party.feed(*events)
    party.live.clear()  # as if the projection of live engagements were lost
    party.feed(*events)
    assert len(party.lifecycle.moves) == 1


def test_not_an_engagement_event() -> None:
    with pytest.raises(ValidationError):
        moves_for_engagement_event(
            DomainEvent(aggregate_id="x", occurred_at=T0), live={}, current=None
        )


def test_ended_needs_a_reason_code() -> None:
    with pytest.raises(ValidationError):
        EngagementEnded(
            aggregate_id="e", occurred_at=T0, party_id="p", on=date(2026, 1, 1), reason_code=""
        )
