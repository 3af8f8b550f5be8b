"""SLA timers as jobs: one group per ticket, replaced on every change, raised by the runner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import relationship_core as rc
from relationship_core import Actor
from relationship_core._support import FormSubmission, SlaPolicy, Ticket
from relationship_core._support.service import SupportService
from relationship_core._support.timers import SLA_QUEUE, sla_group

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday, 09:00 in London (GMT)
SAM = Actor.person("sam")
POLICY = SlaPolicy(name="std", first_response=timedelta(hours=2), resolution=timedelta(hours=10))


def _sla_events(crm: rc.CRM) -> list[tuple[str, str, datetime]]:
    return [
        (e.name, e.target, e.occurred_at)  # type: ignore[attr-defined]
        for _, e in crm.events.read()
        if e.name.startswith("ticket.sla_")
    ]


def _pending(crm: rc.CRM) -> list[tuple[str, datetime]]:
    jobs = crm.jobs.list_jobs(states=["pending"])
    return sorted((f"{j.payload['target']}:{j.payload['kind']}", j.due_at) for j in jobs)


def test_timers_fire_at_the_right_working_time_and_follow_the_ticket(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        support = SupportService(crm, policies=[POLICY])
        form = FormSubmission(name="Ada", email="ada@example.com", problem="Late")
        ticket = support.submit(form)
        assert _pending(crm) == [
            ("first_response:breach", T0 + timedelta(hours=2)),
            ("first_response:near_breach", T0 + timedelta(hours=1, minutes=36)),
            ("resolution:breach", T0 + timedelta(days=1, hours=2)),  # 8 h Mon + 2 h Tue
            ("resolution:near_breach", T0 + timedelta(hours=8)),  # 80 %: 8 h, Monday 17:00
        ]
        assert {j.group for j in crm.jobs.list_jobs()} == {sla_group(ticket.id)}
        runner = rc.Runner(crm, queues=[SLA_QUEUE], worker="w")
        clock.set(T0 + timedelta(hours=1, minutes=35))
        assert runner.drain() == []
        clock.set(T0 + timedelta(hours=1, minutes=36))
        assert [r.outcome for r in runner.drain()] == ["done"]
        assert _sla_events(crm) == [
            ("ticket.sla_near_breach", "first_response", T0 + timedelta(hours=1, minutes=36))
        ]
        support.assign(ticket.id, "sam", actor=SAM)  # timers replaced, same instants
        clock.set(T0 + timedelta(hours=2))
        [breach] = runner.drain()
        assert breach.outcome == "done"
        assert _sla_events(crm)[-1] == (
            "ticket.sla_breached",
            "first_response",
            T0 + timedelta(hours=2),
        )
        clock.set(T0 + timedelta(hours=3))
        support.respond(ticket.id, actor=SAM)  # first response met: only resolution timers
        assert [k for k, _ in _pending(crm)] == ["resolution:breach", "resolution:near_breach"]
        support.move(ticket.id, "pending_customer", actor=SAM)  # paused: nothing pending
        assert _pending(crm) == []
        clock.set(T0 + timedelta(days=2))  # Wednesday 09:00: resumed with 7 h left
        support.move(ticket.id, "pending_us", actor=SAM)
        assert _pending(crm) == [
            ("resolution:breach", T0 + timedelta(days=2, hours=7)),
            ("resolution:near_breach", T0 + timedelta(days=2, hours=5)),
        ]
        clock.set(T0 + timedelta(days=2, hours=5))
        assert [r.outcome for r in runner.drain()] == ["done"]
        support.move(ticket.id, "resolved", actor=SAM)  # resolved: the group is cancelled
        assert _pending(crm) == []
        clock.set(T0 + timedelta(days=9))
        assert runner.drain() == []
        assert [n for n, _, _ in _sla_events(crm)] == [
            "ticket.sla_near_breach",
            "ticket.sla_breached",
            "ticket.sla_near_breach",
        ]
        cancelled = crm.jobs.list_jobs(states=["cancelled"])
        assert cancelled
        assert {j.group for j in cancelled} == {sla_group(ticket.id)}


def test_no_policy_no_timers_and_a_stale_timer_raises_nothing(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        plain = SupportService(crm)  # no SLA setup stored: no timers
        ticket = plain.submit(FormSubmission(name="Ada", email="ada@example.com", problem="?"))
        assert crm.jobs.list_jobs() == []
        timed = SupportService(crm, policies=[POLICY])  # stores the setup for the store
        timed.reschedule(ticket.id, actor=SAM)
        assert len(_pending(crm)) == 4
        with crm.unit_of_work() as uow:  # an answer written around the domain: no event
            uow.repository(Ticket).get(ticket.id).responses.append(T0 + timedelta(minutes=5))
        clock.set(T0 + timedelta(hours=2))
        runner = rc.Runner(crm, queues=[SLA_QUEUE], worker="w")
        assert [r.outcome for r in runner.drain()] == ["done", "done"]
        assert _sla_events(crm) == []  # answered: the stale first-response timers stay quiet


def test_every_change_of_a_ticket_replaces_its_timers_whoever_makes_it(url: str) -> None:
    clock = rc.ManualClock(T0)
    urgent = SlaPolicy(name="urgent", resolution=timedelta(hours=1), priorities=["urgent"])
    with rc.open(url, clock=clock) as crm:
        SupportService(crm, policies=[urgent, POLICY])
        plain = SupportService(crm)  # the stored setup's policies
        assert [p.name for p in plain.policies] == ["urgent", "std"]
        ticket = plain.submit(FormSubmission(name="Ada", email="ada@example.com", problem="?"))
        assert len(_pending(crm)) == 4
        clock.set(T0 + timedelta(minutes=30))
        with crm.unit_of_work(actor=SAM) as uow:  # saved through the repository, no service
            uow.repository(Ticket).get(ticket.id).set_priority("urgent", by="sam", at=clock.now())
        assert _pending(crm) == [
            ("resolution:breach", T0 + timedelta(hours=1)),
            ("resolution:near_breach", T0 + timedelta(minutes=48)),
        ]
        with crm.unit_of_work(actor=SAM) as uow:  # two events in one commit: one replacement
            found = uow.repository(Ticket).get(ticket.id)
            found.assign("kim", by="sam", at=clock.now(), team="tier2")
            found.move("resolved", by="sam", at=clock.now())
        assert _pending(crm) == []
        clock.set(T0 + timedelta(hours=3))
        plain.reopen(ticket.id, actor=SAM)  # the clock runs again: 30 minutes were used
        assert _pending(crm) == [
            ("resolution:breach", T0 + timedelta(hours=3, minutes=30)),
            ("resolution:near_breach", T0 + timedelta(hours=3, minutes=18)),
        ]
        assert len(crm.jobs.list_jobs(states=["pending"])) == 2


def test_update_timers_follow_each_contact(url: str) -> None:
    clock = rc.ManualClock(T0)
    policy = SlaPolicy(name="upd", update=timedelta(hours=1))
    with rc.open(url, clock=clock) as crm:
        support = SupportService(crm, policies=[policy])
        ticket = support.submit(FormSubmission(name="Ada", email="ada@example.com", problem="?"))
        assert _pending(crm) == [
            ("update:breach", T0 + timedelta(hours=1)),
            ("update:near_breach", T0 + timedelta(minutes=48)),
        ]
        clock.set(T0 + timedelta(minutes=40))
        support.respond(ticket.id, actor=SAM)
        support.move(ticket.id, "pending_customer", actor=SAM)
        assert _pending(crm) == []  # waiting on the customer
        clock.set(T0 + timedelta(hours=2))
        support.customer_wrote(ticket.id)  # pending on us again, the clock from now
        assert support.tickets.get(ticket.id).status.value == "pending_us"
        assert _pending(crm) == [
            ("update:breach", T0 + timedelta(hours=3)),
            ("update:near_breach", T0 + timedelta(hours=2, minutes=48)),
        ]
        clock.set(T0 + timedelta(hours=3))
        runner = rc.Runner(crm, queues=[SLA_QUEUE], worker="w")
        assert len(runner.drain()) == 2
        assert _sla_events(crm)[-1] == ("ticket.sla_breached", "update", T0 + timedelta(hours=3))
