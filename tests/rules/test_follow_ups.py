"""``schedule_follow_ups`` and goals: business-hour placement, the K limit, a goal cancelling the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Money, Person
from relationship_core._domain.business import Business, WorkingCalendar
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.followups import FOLLOW_UPS, follow_up_times
from relationship_core._rules.ruleset import load_rules
from relationship_core._work.tasks import Task
from relationship_core.exceptions import ValidationError

FRIDAY = datetime(2026, 3, 6, 15, tzinfo=UTC)  # 16:00 in Paris, a Friday


def follow_rule(params: str) -> str:
    return f"""
[[rules]]
name = "chase"
trigger = "proposal.sent"
goals = [{{ trigger = "proposal.accepted" }}, {{ trigger = "proposal.declined" }}]
actions = [{{ name = "schedule_follow_ups", params = {{ {params}, action = {{ name = "create_task", params = {{ title = "Chase" }} }} }} }}]
"""


def send(crm: rc.CRM, at: datetime) -> tuple[str, str]:
    party = crm.parties.add(Person(name="Buyer"))
    deal = rc.LifecycleService(crm).open_deal(
        party_id=party.id,
        title="Audit",
        owner="sam",
        amount=Money("900", "EUR"),
        expected_close=date(2026, 6, 1),
    )
    with crm.unit_of_work() as uow:
        uow.repository(Opportunity).get(deal.id).send_proposal(at=at)
    return party.id, deal.id


def store(url: str, clock: rc.ManualClock) -> rc.CRM:
    crm = rc.open(url, clock=clock)
    with crm.unit_of_work() as uow:
        uow.add(Business.create("default", time_zone="Europe/Paris", holidays=[date(2026, 3, 9)]))
    return crm


def test_follow_ups_land_in_business_hours_at_most_k_times(url: str) -> None:
    clock = rc.ManualClock(FRIDAY)
    with store(url, clock) as crm:
        RuleEngine(crm).install(follow_rule('every_days = 1, times = 3, at = "09:00"'))
        party, _ = send(crm, FRIDAY)
        jobs = sorted(crm.jobs.list_jobs(queue="rules.action"), key=lambda j: j.due_at)
        # Sat, Sun closed and Monday a holiday: all three move to Tuesday 09:00 Paris
        tuesday = datetime(2026, 3, 10, 8, tzinfo=UTC)
        assert [j.due_at for j in jobs] == [tuesday] * 3
        assert len({j.group for j in jobs}) == 1
        clock.advance(timedelta(days=30))
        results = rc.Runner(crm, queues=["rules.action"]).drain()
        assert [r.outcome for r in results] == ["done"] * 3
        assert len(crm.repository(Task).query(party_id=party)) == 3
        [enrolment] = crm.repository(FOLLOW_UPS).query(subject=party).items
        assert (enrolment.status, enrolment.done, enrolment.planned) == ("completed", 3, 3)


def test_a_goal_cancels_the_remaining_follow_ups(url: str) -> None:
    clock = rc.ManualClock(FRIDAY)
    with store(url, clock) as crm:
        RuleEngine(crm).install(follow_rule("days = [3, 7]"))
        party, deal = send(crm, FRIDAY)
        runner = rc.Runner(crm, queues=["rules.action"])
        clock.advance(timedelta(days=4))  # the first (Tue 10 Mar, Monday 9th is a holiday) is due
        assert [r.outcome for r in runner.drain()] == ["done"]
        with crm.unit_of_work() as uow:
            uow.repository(Opportunity).get(deal).accept_proposal(at=clock.now())
        clock.advance(timedelta(days=30))
        assert runner.drain() == []
        states = sorted(j.state for j in crm.jobs.list_jobs(queue="rules.action"))
        assert states == ["cancelled", "done"]
        assert len(crm.repository(Task).query(party_id=party)) == 1
        [enrolment] = crm.repository(FOLLOW_UPS).query(subject=party).items
        assert (enrolment.status, enrolment.ended_by) == ("ended", "proposal.accepted")
        goal = [
            a
            for a in RuleEngine(crm).audits_for_subject(party)
            if a.event_type == "proposal.accepted"
        ]
        assert [(o.action, o.status) for o in goal[0].actions] == [("goal", "done")]


def test_placement_skips_closed_days_and_keeps_the_local_time() -> None:
    cal = WorkingCalendar("America/New_York")
    start = datetime(2026, 3, 6, 20, tzinfo=UTC)  # Friday afternoon in New York
    dues = follow_up_times(cal, start, {"days": [1, 3, 7], "at": "09:30"})
    local = [d.astimezone(cal.time_zone) for d in dues]
    assert [(d.date(), d.hour, d.minute) for d in local] == [
        (date(2026, 3, 9), 9, 30),  # Saturday -> Monday
        (date(2026, 3, 9), 9, 30),
        (date(2026, 3, 13), 9, 30),
    ]
    assert all(cal.is_working_time(d) for d in dues)
    evening = follow_up_times(cal, start, {"every_days": 2, "times": 2, "at": "20:00"})
    assert all(cal.is_working_time(d) for d in evening)  # out of hours: the next opening


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ("days = [3, 7], times = 2", "rules[0].actions[0].params.times"),
        ("every_days = 0, times = 2", "rules[0].actions[0].params.every_days"),
        ('days = [3], at = "9am"', "rules[0].actions[0].params.at"),
        ("days = [-1]", "rules[0].actions[0].params.days[0]"),
    ],
)
def test_bad_follow_up_params_fail_at_load(params: str, field: str) -> None:
    with rc.open("memory://") as crm, pytest.raises(ValidationError) as caught:
        load_rules(follow_rule(params), crm=crm)
    assert caught.value.field == field


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    every=st.integers(1, 30),
    times=st.integers(1, 5),
    hour=st.integers(0, 23),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_follow_ups_are_in_working_time_in_order_and_at_most_k(
    start: datetime, every: int, times: int, hour: int, zone: str
) -> None:
    cal = WorkingCalendar(zone, holidays=[date(2026, 12, 25)])
    dues = follow_up_times(cal, start, {"every_days": every, "times": times, "at": f"{hour:02}:00"})
    assert len(dues) == times
    assert dues == sorted(dues)
    for n, due in enumerate(dues, 1):
        assert cal.is_working_time(due)
        earliest = start.astimezone(cal.time_zone).date() + timedelta(days=every * n)
        assert due.astimezone(cal.time_zone).date() >= earliest
        if 9 <= hour < 17:  # inside the hours: that local time, on a business day
            assert due.astimezone(cal.time_zone).hour == hour
