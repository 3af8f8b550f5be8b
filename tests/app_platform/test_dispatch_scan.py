"""After each handler the unit of work looks only at what changed: the same events as a full look.

`relationship_core._app.scan` keeps dispatch linear: after the command every
tracked aggregate is looked at, after each handler only those tracked since
and those whose events list gained an event. These tests check that it
dispatches exactly what looking at every aggregate every time would, in the
same order, and that it does not look at every aggregate every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import DomainEvent, Engagement, EventHandlerSpec, ManualClock, Person
from relationship_core._app import scan as scan_module
from relationship_core._app.uow import UnitOfWork
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
ENGAGEMENTS = 6


@attrs.frozen(kw_only=True)
class Nudged(DomainEvent):
    name: ClassVar[str] = "test.nudged"
    target: int
    hop: int


def _store(url: str, plan: list[tuple[int, int]], p: str = "") -> tuple[rc.CRM, list[str]]:
    def nudge(event: DomainEvent, uow: UnitOfWork) -> None:
        assert isinstance(event, Nudged)
        engagement = uow.engagements.get(f"{p}e{event.target}")
        # An event on an aggregate tracked long before, and a new child aggregate.
        engagement.log_interaction(
            "email", at=T0, summary=f"hop {event.hop}", id=f"{p}i-{event.aggregate_id}-{event.hop}"
        )
        if event.hop < 2:
            uow.publish(
                Nudged(
                    aggregate_id=event.aggregate_id,
                    occurred_at=T0,
                    target=(event.target + event.hop + 1) % ENGAGEMENTS,
                    hop=event.hop + 1,
                )
            )

    handlers = [EventHandlerSpec("nudge", "test.nudged", nudge)]
    crm = rc.open(url, clock=ManualClock(T0), handlers=handlers)
    ada = crm.parties.add(Person(name="Ada"))
    for n in range(ENGAGEMENTS):
        crm.engagements.add(
            Engagement.start(
                ada,
                kind="customer",
                acquired_on=date(2026, 1, 5),
                at=T0,
                id=f"{p}e{n}",
                support_team="desk",
            )
        )
    return crm, [f"{p}n{k}" for k in range(len(plan))]


def _run(url: str, plan: list[tuple[int, int]], p: str = "") -> list[tuple[str, str, int | None]]:
    crm, names = _store(url, plan, p)
    try:
        start = crm.events.read_logged()[-1].seq
        with crm.unit_of_work() as uow:
            for n in range(ENGAGEMENTS):
                uow.engagements.get(f"{p}e{n}")  # every engagement tracked before any handler runs
            for name, (target, hop) in zip(names, plan, strict=True):
                uow.publish(Nudged(aggregate_id=name, occurred_at=T0, target=target, hop=hop))
        logged = [e for e in crm.events.read_logged() if e.seq > start]
        position = {e.envelope.id: n for n, e in enumerate(logged)}
        return [
            (
                e.event.name,
                e.event.aggregate_id.removeprefix(p),
                position.get(e.envelope.causation_id),
            )
            for e in logged
        ]
    finally:
        crm.close()


def _full_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the scanner look at every entry after every handler (the old way)."""

    def since(self: scan_module.Scanner, touched: list[Any], adopt: Any) -> list[Any]:
        touched.clear()
        adopt([e.obj for e in self._order])
        return self.everything()

    monkeypatch.setattr(scan_module.Scanner, "since", since)


_PLANS = st.lists(
    st.tuples(st.integers(0, ENGAGEMENTS - 1), st.integers(0, 2)), min_size=1, max_size=6
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=_PLANS)
def test_the_events_and_their_causes_are_those_of_a_full_look(
    plan: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    incremental = _run("memory://", plan)
    with monkeypatch.context() as patched:
        _full_looks(patched)
        full = _run("memory://", plan)
    assert incremental == full
    nudges = sum(3 - hop for _, hop in plan)
    assert [name for name, _, _ in incremental].count("interaction.logged") == nudges


def test_the_same_on_a_real_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = [(0, 0), (5, 1), (2, 0), (2, 2)]
    incremental = _run(url, plan, "a-")
    with monkeypatch.context() as patched:
        _full_looks(patched)
        assert _run(url, plan, "b-") == incremental


def test_a_handler_is_not_followed_by_a_look_at_every_aggregate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked: list[int] = []
    since = scan_module.Scanner.since

    def counting(self: scan_module.Scanner, touched: list[Any], adopt: Any) -> list[Any]:
        out = since(self, touched, adopt)
        looked.append(len(out))
        return out

    monkeypatch.setattr(scan_module.Scanner, "since", counting)
    _run("memory://", [(1, 2)])
    # The last unit of work tracks all six engagements; its one nudge's handler changed one
    # and added one interaction: no look after a handler covers more than those two.
    assert looked
    assert max(looked) <= 2


def test_events_of_an_aggregate_whose_list_was_set_by_hand_are_still_seen() -> None:
    crm, _ = _store("memory://", [])
    try:
        ada = next(iter(crm.parties.iterate()))
        with crm.unit_of_work() as uow:
            late = Engagement.start(
                ada,
                kind="customer",
                acquired_on=date(2026, 1, 5),
                at=T0,
                id="e9",
                support_team="desk",
            )
            late.pull_events()
            object.__setattr__(late, "_events", [])  # a plain list, as older code set
            uow.add(late)
            uow.publish(Nudged(aggregate_id="x", occurred_at=T0, target=9, hop=2))
        names = [e.event.name for e in crm.events.read_logged()[-2:]]
        assert names == ["unknown", "interaction.logged"]  # the nudge: a type this store lacks
        assert crm.repository(rc.Interaction).get("i-x-2").engagement_id == "e9"
    finally:
        crm.close()


def test_events_added_by_insert_or_plus_equals_are_noted() -> None:
    from relationship_core._domain.events import Recorded, noting

    with noting() as touched:
        events = Recorded()
        events.insert(0, Nudged(aggregate_id="a", occurred_at=T0, target=0, hop=0))
        events += [Nudged(aggregate_id="b", occurred_at=T0, target=0, hop=0)]
    assert [e is events for e in touched] == [True, True]
    assert len(events) == 2


def test_is_new_tells_added_from_stored_and_refuses_what_is_no_id() -> None:
    crm, _ = _store("memory://", [])
    try:
        ada = next(iter(crm.parties.iterate()))
        with crm.unit_of_work() as uow:
            uow.engagements.get("e0")
            late = uow.add(
                Engagement.start(
                    ada, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
                )
            )
            assert uow.is_new("engagement", late.id)
            assert not uow.is_new("engagement", "e0")
            assert not uow.is_new("engagement", "never-seen")
            with pytest.raises(ValidationError, match="id"):
                uow.is_new("engagement", ["e0"])  # type: ignore[arg-type]
    finally:
        crm.close()
