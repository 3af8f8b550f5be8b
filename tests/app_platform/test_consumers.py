"""Stored event consumers on memory, SQLite and PostgreSQL: the position commits with the writes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import relationship_core as rc
from relationship_core.exceptions import ConflictError, ValidationError

from .conftest import T0


def _with_events(url: str, n: int) -> rc.CRM:
    # n events exactly: without the lifecycle's stage change after the first start.
    off = {"lifecycle": {"follow_engagements": False}}
    crm = rc.open(url, clock=rc.ManualClock(T0), config=off)
    ada = crm.parties.add(rc.Person(id="ada", name="Ada"))
    for i in range(n):
        with crm.unit_of_work() as uow:
            deal = rc.Engagement.start(
                ada,
                kind="customer",
                acquired_on=date(2026, 1, 5),
                at=T0 + timedelta(hours=i),
                support_team="desk",
            )
            uow.engagements.add(deal)
    return crm


def _seen(crm: rc.CRM) -> list[str]:
    return sorted(p.id for p in crm.parties.iterate() if p.id.startswith("seen-"))


def test_a_failing_handler_leaves_the_position_and_writes_of_the_events_before(url: str) -> None:
    with _with_events(url, 5) as crm:
        seqs = [e.seq for e in crm.events.read_logged()]
        calls: list[int] = []
        recovered = False

        def project(logged: rc.LoggedEvent, uow: rc.UnitOfWork) -> None:
            calls.append(logged.seq)
            uow.add(rc.Person(id=f"seen-{logged.seq}", name=logged.event.name))
            if logged.seq == seqs[2] and not recovered:
                raise RuntimeError("search index down")

        consumer = crm.consumer("search")
        assert consumer.position == 0
        with pytest.raises(RuntimeError, match="search index down"):
            consumer.process(project, batch=2)
        assert consumer.position == seqs[1]
        assert _seen(crm) == sorted(f"seen-{s}" for s in seqs[:2])
        assert calls == seqs[:3]
        calls.clear()
        recovered = True
        assert consumer.process(project, batch=2) == 3
        assert calls == seqs[2:]  # continued at the 3rd event, none twice
        assert consumer.position == seqs[-1]
        assert _seen(crm) == sorted(f"seen-{s}" for s in seqs)
        assert consumer.process(project) == 0


def test_the_position_moves_for_handlers_that_write_nothing_and_per_name(url: str) -> None:
    with _with_events(url, 3) as crm:
        causes: list[str | None] = []
        assert crm.consumer("audit").process(lambda e, uow: causes.append(uow.causation_id)) == 3
        events = crm.events.read_logged()
        assert causes == [e.envelope.id for e in events]  # each unit of work is caused by its event
        assert crm.consumer("audit").position == events[-1].seq
        assert crm.consumer("other").position == 0


def test_a_racing_process_on_the_same_name_conflicts_instead_of_doubling(url: str) -> None:
    with _with_events(url, 2) as crm:

        def racing(logged: rc.LoggedEvent, uow: rc.UnitOfWork) -> None:
            uow.add(rc.Person(id=f"seen-{logged.seq}", name="outer"))
            if logged.seq == crm.events.read_logged()[0].seq:  # meanwhile, elsewhere:
                crm.consumer("dup").process(lambda e, u: None, batch=1)

        with pytest.raises(ConflictError, match="one process per consumer"):
            crm.consumer("dup").process(racing)
        assert _seen(crm) == []  # the outer run's write rolled back


def test_consumer_arguments() -> None:
    with _with_events("memory://", 0) as crm:
        with pytest.raises(ValidationError):
            crm.consumer("")
        with pytest.raises(ValidationError):
            crm.consumer("c").process(lambda e, uow: None, batch=0)
        with pytest.raises(ValidationError):
            crm.consumer("c").process("not callable")  # type: ignore[arg-type]
        assert repr(crm.consumer("c")) == "Consumer(name='c', position=0)"
