"""The lifecycle feature in a store: histories, engagement handlers, deals, the weighted pipeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import relationship_core as rc
from relationship_core import Actor, Engagement, ManualClock, Money, Party, Person
from relationship_core._app.uow import UnitOfWork
from relationship_core._domain.engagements import CustomerPromoted
from relationship_core._lifecycle import EngagementEnded, Opportunity, PartyLifecycle, Period
from relationship_core._lifecycle.kinds import PARTY_LIFECYCLES
from relationship_core._lifecycle.reactions import follow_engagement
from relationship_core._lifecycle.service import LifecycleService
from relationship_core.exceptions import InvalidTransitionError, ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _customer(party: Party, at: datetime = T0) -> Engagement:
    return Engagement.start(
        party, kind="customer", acquired_on=at.date(), at=at, support_team="desk"
    )


def test_a_lead_moves_through_stages_and_reads_back_with_its_history(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        service = LifecycleService(crm)
        service.move(ada.id, "lead", actor=Actor.form("contact-us"))
        clock.advance(timedelta(days=3))
        service.move(ada.id, "marketing-qualified", actor=Actor.rule("mql"))
        clock.advance(timedelta(days=4))
        service.move(ada.id, "sales-qualified", actor=Actor.person("ann"))
        with pytest.raises(InvalidTransitionError):
            service.move(ada.id, "lead", actor=Actor.person("ann"))
        reader = crm if url.startswith("memory") else rc.open(url, clock=clock)
        stored = reader.repository(PartyLifecycle).get(ada.id)
        assert stored.stage == "sales-qualified"
        assert [(m.from_stage, m.to_stage, m.actor) for m in stored.moves] == [
            (None, "lead", Actor.form("contact-us")),
            ("lead", "marketing-qualified", Actor.rule("mql")),
            ("marketing-qualified", "sales-qualified", Actor.person("ann")),
        ]
        view = stored.as_of(clock.now())
        assert view.cumulative_time_in("lead") == timedelta(days=3)
        found = crm.repository(PARTY_LIFECYCLES).query(
            ("became_marketing_qualified", "ge", T0 + timedelta(days=1)), stage="sales-qualified"
        )
        assert [lc.party_id for lc in found] == [ada.id]
        assert [lc.party_id for lc in LifecycleService(crm).in_stage("lead")] == []
        # Each version records who wrote it, in the log too.
        changes = [e for e in crm.events.read_logged() if e.event.name == "lifecycle.stage_changed"]
        assert [e.envelope.actor for e in changes][-1] == Actor.person("ann")
        if reader is not crm:
            reader.close()


def test_a_promotion_moves_the_party_to_client_through_the_handler(url: str) -> None:
    clock = ManualClock(T0)
    with rc.open(url, clock=clock) as crm:  # on by default
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work(actor=Actor.person("ann")) as uow:
            shop = uow.engagements.add(_customer(ada))
        assert LifecycleService(crm).of(ada.id).stage == "customer"  # type: ignore[union-attr]
        with crm.unit_of_work(actor=Actor.person("ann")) as uow:
            engagement = uow.engagements.get(shop.id)
            engagement.promote_to_client(
                account_manager="bob", reason="upsell", at=T0 + timedelta(days=27)
            )
        lifecycle = crm.repository(PARTY_LIFECYCLES).get(ada.id)
        assert [m.to_stage for m in lifecycle.moves] == ["customer", "client"]
        assert lifecycle.moves[-1].actor == Actor.person("ann")
        assert lifecycle.engagements == {shop.id: rc.EngagementKind.CLIENT}


def test_replaying_an_engagement_event_does_not_move_twice(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            shop = uow.engagements.add(_customer(ada))
        promoted = CustomerPromoted(
            aggregate_id=shop.id,
            occurred_at=T0 + timedelta(days=1),
            party_id=ada.id,
            account_manager="bob",
            on=date(2026, 1, 6),
            reason="upsell",
        )
        for _ in range(2):  # delivered, then redelivered
            with crm.unit_of_work() as uow:
                uow.publish(promoted, kind="engagement")
        [logged_again] = [
            e
            for _, e in crm.events.read()
            if e.name == "engagement.promoted" and e.aggregate_id == shop.id
        ][1:]
        with crm.unit_of_work() as uow:  # a consumer replaying the log
            follow_engagement(logged_again, uow)
        moves = crm.repository(PARTY_LIFECYCLES).get(ada.id).moves
        assert [m.to_stage for m in moves] == ["customer", "client"]
        assert (
            moves[-1].source_id
            == f"engagement.promoted:{shop.id}:{promoted.occurred_at.isoformat()}"
        )


def test_the_end_of_the_last_engagement_is_churn(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            shop = uow.engagements.add(_customer(ada))
        with crm.unit_of_work() as uow:
            uow.publish(
                EngagementEnded(
                    aggregate_id=shop.id,
                    occurred_at=T0 + timedelta(days=30),
                    party_id=ada.id,
                    on=date(2026, 2, 4),
                    reason_code="moved-away",
                ),
                kind="engagement",
            )
        lifecycle = LifecycleService(crm).of(ada.id)
        assert lifecycle is not None
        assert lifecycle.stage == "churned"
        assert lifecycle.moves[-1].reason_code == "moved-away"
        [ended] = [e for _, e in crm.events.read() if e.name == "engagement.ended"]
        assert isinstance(ended, EngagementEnded)  # the feature registered the event type


def test_a_failing_move_writes_nothing(url: str) -> None:
    def boom(event: object, uow: UnitOfWork) -> None:
        raise RuntimeError("later handler failed")

    handlers = [rc.EventHandlerSpec("boom", "lifecycle.stage_changed", boom)]
    with rc.open(url, clock=ManualClock(T0), handlers=handlers) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with pytest.raises(RuntimeError), crm.unit_of_work() as uow:
            uow.engagements.add(_customer(ada))
        assert LifecycleService(crm).of(ada.id) is None
        assert crm.engagements.of_party(ada.id) == []


def test_engagements_move_nothing_in_a_store_that_switched_them_off(url: str) -> None:
    off = {"lifecycle": {"follow_engagements": False}}
    with rc.open(url, clock=ManualClock(T0), config=off) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            uow.engagements.add(_customer(ada))
        assert LifecycleService(crm).of(ada.id) is None
        assert [e.name for _, e in crm.events.read()] == ["engagement.started"]


def test_an_engagement_start_moves_the_party_by_default(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            uow.engagements.add(_customer(ada))
        assert LifecycleService(crm).of(ada.id).stage == "customer"  # type: ignore[union-attr]
        assert [e.name for _, e in crm.events.read()] == [
            "engagement.started",
            "lifecycle.stage_changed",
        ]


def test_the_old_opt_in_names_still_work_and_warn(url: str) -> None:
    with pytest.warns(DeprecationWarning, match="LIFECYCLE_HANDLERS is deprecated"):
        handlers = rc.LIFECYCLE_HANDLERS
    with rc.open(url, clock=ManualClock(T0), handlers=handlers) as crm:
        with pytest.warns(DeprecationWarning, match="follow_engagements"):
            LifecycleService(crm).follow_engagements()
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            uow.engagements.add(_customer(ada))
        assert [m.to_stage for m in LifecycleService(crm).history(ada.id)] == ["customer"]


def test_a_lifecycle_needs_a_stored_party(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        with pytest.raises(ValidationError) as caught:
            LifecycleService(crm).move("nobody", "lead")
        assert caught.value.field == "party_lifecycle.party_id"


def test_deals_are_stored_moved_and_forecast_in_the_business_zone(url: str) -> None:
    now = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # already 1 April in Paris
    with rc.open(url, clock=ManualClock(now)) as crm:
        crm.repository(rc.Business).add(rc.Business.create("studio", time_zone="Europe/Paris"))
        ada = crm.parties.add(Person(name="Ada"))
        paris = LifecycleService(crm, business="studio")
        assert paris.this_quarter() == Period(date(2026, 4, 1), date(2026, 6, 30))
        assert LifecycleService(crm).this_quarter() == Period(date(2026, 1, 1), date(2026, 3, 31))

        def deal(amount: str, close: date, owner: str) -> Opportunity:
            return paris.open_deal(
                party_id=ada.id,
                title="Retainer",
                owner=owner,
                amount=Money(amount, "EUR"),
                expected_close=close,
                stage="proposal",
            )

        first = deal("1000", date(2026, 4, 15), "bob")
        second = deal("2000", date(2026, 6, 30), "cy")
        deal("900", date(2026, 7, 1), "bob")  # next quarter
        lost = deal("5000", date(2026, 5, 1), "bob")
        paris.move_deal(second.id, "negotiation", actor=Actor.person("cy"))
        paris.lose_deal(lost.id, reason_code="price")
        paris.win_deal(first.id)

        deals = crm.repository(Opportunity)
        assert deals.get(second.id).stage == "negotiation"
        assert deals.get(first.id).closed_at == now
        assert {d.id for d in deals.query(status="lost")} == {lost.id}
        assert len(paris.deals_of(ada.id)) == 4
        forecast = paris.weighted_pipeline(by=["owner"])
        assert [(r.group, str(r.weighted.amount), r.count) for r in forecast.rows] == [
            (("cy",), "1600.00", 1)
        ]
        names = [e.name for _, e in crm.events.read(limit=1000)]
        assert names.count("opportunity.opened") == 4
        assert "opportunity.won" in names


def test_a_deal_needs_a_stored_party(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        with pytest.raises(ValidationError) as caught:
            LifecycleService(crm).open_deal(
                party_id="nobody",
                title="x",
                owner="bob",
                amount=Money("1", "EUR"),
                expected_close=date(2026, 2, 1),
            )
        assert caught.value.field == "opportunity.party_id"
        assert list(crm.repository(Opportunity).iterate()) == []


def test_ending_the_engagement_itself_is_churn_and_it_stays_ended(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            shop = uow.engagements.add(_customer(ada))
        with crm.unit_of_work() as uow:
            live = uow.engagements.get(shop.id)
            assert live.is_live
            live.end(reason_code="moved-away", at=T0 + timedelta(days=30), note="to Leeds")
        stored = crm.engagements.get(shop.id)
        assert (stored.ended_on, stored.end_reason, stored.is_live) == (
            date(2026, 2, 4),
            "moved-away",
            False,
        )
        lifecycle = LifecycleService(crm).of(ada.id)
        assert lifecycle is not None
        assert lifecycle.stage == "churned"
        with pytest.raises(InvalidTransitionError):
            stored.end(reason_code="again", at=T0 + timedelta(days=31))
        with pytest.raises(InvalidTransitionError):
            stored.promote_to_client(account_manager="amy", reason="back", at=T0)
        with pytest.raises(ValidationError):
            _customer(ada).end(reason_code="", at=T0)


def test_an_engagement_stored_before_it_could_end_reads_as_live() -> None:
    from relationship_core._app.kinds import ENGAGEMENTS
    from relationship_core._serialize import unstructure
    from relationship_core._storage.contract import Record

    shop = _customer(Person(name="Ada"))
    data = {k: v for k, v in unstructure(shop).items() if k not in ("ended_on", "end_reason")}
    old = Record("engagement", shop.id, 1, 1, data)  # layout 1: before `end` existed
    read = ENGAGEMENTS.from_record(old)
    assert read.is_live
    assert (read.ended_on, read.end_reason) == (None, None)
