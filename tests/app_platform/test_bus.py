"""The event bus: handlers run in the unit of work, cascade, and fail it as a whole."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

import attrs
import pytest

import relationship_core as rc
from relationship_core import (
    Actor,
    DomainEvent,
    Engagement,
    EngagementStarted,
    EventHandlerSpec,
    ManualClock,
    Party,
    Person,
)
from relationship_core._app.uow import UnitOfWork
from relationship_core.exceptions import ConflictError, EventCascadeError, ValidationError
from relationship_core.plugins import NewJob

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@attrs.frozen(kw_only=True)
class Pinged(DomainEvent):
    name: ClassVar[str] = "test.pinged"
    hop: int


def _start(party: Party) -> Engagement:
    return Engagement.start(
        party, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
    )


def _welcome(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, EngagementStarted)
    party = uow.parties.get(event.party_id)
    party.tag("welcomed")  # a change to another aggregate, in the same transaction
    uow.enqueue(NewJob("email.welcome", {"party": event.party_id}, event.occurred_at))
    uow.publish(Pinged(aggregate_id=event.aggregate_id, occurred_at=event.occurred_at, hop=1))


def test_handlers_change_enqueue_and_publish_in_the_same_commit(url: str) -> None:
    seen: list[str] = []
    handlers = [
        EventHandlerSpec("welcome", "engagement.started", _welcome),
        EventHandlerSpec("audit", "*", lambda event, uow: seen.append(event.name)),
    ]
    with rc.open(url, clock=ManualClock(T0), handlers=handlers) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        seen.clear()
        with crm.unit_of_work(actor=Actor.person("u-1")) as uow:
            deal = uow.engagements.add(_start(ada))
        assert crm.parties.get(ada.id).tags == frozenset({"welcomed"})
        [job] = crm.jobs.claim("w1")
        assert job.queue == "email.welcome"
        logged = crm.events.read_logged()
        names = [e.event.name for e in logged]
        # Breadth first: the lifecycle move (a built-in handler) and the ping, both caused by the start.
        assert names == ["engagement.started", "lifecycle.stage_changed", "unknown"]
        started, moved, pinged = logged
        assert moved.envelope.causation_id == started.envelope.id
        # Pinged is not a known type of this store: it reads back as UnknownEvent.
        assert isinstance(pinged.event, rc.UnknownEvent)
        assert pinged.event.event_name == "test.pinged"
        assert pinged.envelope.causation_id == started.envelope.id
        assert pinged.envelope.correlation_id == started.envelope.correlation_id == uow.id
        assert seen == ["engagement.started", "lifecycle.stage_changed", "test.pinged"]
        assert deal.pending_events == ()


def test_a_failing_handler_fails_the_whole_command(url: str) -> None:
    def boom(event: DomainEvent, uow: UnitOfWork) -> None:
        uow.enqueue(NewJob("never", {}, event.occurred_at))
        raise RuntimeError("handler failed")

    with rc.open(url, clock=ManualClock(T0)) as crm:
        crm.bus.register("engagement.started", boom, name="boom")
        ada = crm.parties.add(Person(name="Ada"))
        deal = _start(ada)
        with pytest.raises(RuntimeError) as info, crm.unit_of_work() as uow:
            uow.engagements.add(deal)
        assert any("boom" in note for note in info.value.__notes__)
        assert crm.engagements.find(deal.id) is None
        assert [e.name for _, e in crm.events.read()] == []
        assert crm.jobs.claim("w1") == []


def test_a_conflict_in_a_handler_writes_nothing(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))

        def touch_party(event: DomainEvent, uow: UnitOfWork) -> None:
            party = uow.parties.get(ada.id)
            other = crm.parties.get(ada.id)  # someone else changes it meanwhile
            other.tag("raced")
            crm.parties.update(other)
            party.tag("mine")

        crm.bus.register("engagement.started", touch_party, name="touch")
        deal = _start(ada)
        with pytest.raises(ConflictError), crm.unit_of_work() as uow:
            uow.engagements.add(deal)
        assert crm.engagements.find(deal.id) is None
        assert crm.parties.get(ada.id).tags == frozenset({"raced"})
        assert crm.events.read() == []


def _echo(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, Pinged)
    uow.publish(Pinged(aggregate_id=event.aggregate_id, occurred_at=T0, hop=event.hop + 1))


def test_a_cascade_past_the_depth_limit_names_the_chain_and_writes_nothing(url: str) -> None:
    echo = EventHandlerSpec("echo", "test.pinged", _echo)
    with rc.open(url, clock=ManualClock(T0), handlers=[echo], max_event_depth=3) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        uow = crm.unit_of_work()
        uow.parties.get(ada.id).tag("x")
        uow.publish(Pinged(aggregate_id=ada.id, occurred_at=T0, hop=0))
        with pytest.raises(EventCascadeError) as info:
            uow.commit()
        assert info.value.limit == 3
        assert info.value.chain[0] == ("the command", "test.pinged")
        assert [h for h, _ in info.value.chain[1:]] == ["echo"] * 4
        assert "echo" in str(info.value)
        assert "max_event_depth" in str(info.value)
        assert crm.parties.get(ada.id).tags == frozenset()
        assert crm.events.read() == []


def test_a_cascade_within_the_limit_commits(url: str) -> None:
    def stop_at_three(event: DomainEvent, uow: UnitOfWork) -> None:
        assert isinstance(event, Pinged)
        if event.hop < 3:
            _echo(event, uow)

    with rc.open(url, clock=ManualClock(T0), max_event_depth=3) as crm:
        crm.bus.register("test.pinged", stop_at_three)
        with crm.unit_of_work() as uow:
            uow.publish(Pinged(aggregate_id="x", occurred_at=T0, hop=0))
        logged = crm.events.read_logged()
        assert [e.event.data["hop"] for e in logged] == [0, 1, 2, 3]  # type: ignore[attr-defined]
        ids = [e.envelope.id or "" for e in logged]
        assert ids == sorted(ids)
        assert [e.envelope.causation_id for e in logged[1:]] == ids[:-1]


def test_bus_registration_is_checked() -> None:
    with rc.open("memory://") as crm:
        crm.bus.register("x", lambda event, uow: None, name="one")
        with pytest.raises(ValidationError, match="registered already"):
            crm.bus.register("y", lambda event, uow: None, name="one")
        crm.bus.unregister("one")
        with pytest.raises(ValidationError, match="no such handler") as info:
            crm.bus.unregister("one")
        # Every bus carries the built-in features' handlers (billing's policies).
        known = info.value.reason.partition("known: ")[2].split(", ")
        assert "one" not in known
        assert {name for name in known if name.startswith("billing.")} == {
            "billing.start-retainer-on-promotion",
            "billing.end-retainers-on-lapse",
            "billing.order-paid",
            "billing.invoice-on-fulfilment",
        }
        with pytest.raises(ValidationError):
            crm.bus.max_depth = 0
        with pytest.raises(ValidationError):
            EventHandlerSpec("", "x", print)
