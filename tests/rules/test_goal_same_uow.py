"""A goal met in the unit of work that enrolled the subject ends that enrolment (every backend)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import relationship_core as rc
from relationship_core import Money, Person
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.followups import FOLLOW_UPS
from relationship_core._work.tasks import Task

AT = datetime(2026, 3, 3, 10, tzinfo=UTC)  # a Tuesday

RULE = """
[[rules]]
name = "chase"
trigger = "proposal.sent"
goals = [{ trigger = "proposal.accepted" }]
actions = [{ name = "schedule_follow_ups", params = { days = [3, 7], action = { name = "create_task", params = { title = "Chase" } } } }]
"""


def deal(crm: rc.CRM) -> tuple[str, str]:
    party = crm.parties.add(Person(name="Buyer"))
    opened = rc.LifecycleService(crm).open_deal(
        party_id=party.id,
        title="Audit",
        owner="sam",
        amount=Money("900", "EUR"),
        expected_close=date(2026, 6, 1),
    )
    return party.id, opened.id


def test_a_goal_in_the_enrolling_unit_of_work_ends_the_enrolment(url: str) -> None:
    clock = rc.ManualClock(AT)
    with rc.open(url, clock=clock) as crm:
        RuleEngine(crm).install(RULE)
        party, deal_id = deal(crm)
        with crm.unit_of_work() as uow:
            opportunity = uow.repository(Opportunity).get(deal_id)
            opportunity.send_proposal(at=AT)
            opportunity.accept_proposal(at=AT + timedelta(minutes=1))
        [enrolment] = crm.repository(FOLLOW_UPS).query(subject=party).items
        assert (enrolment.status, enrolment.ended_by) == ("ended", "proposal.accepted")
        assert {j.state for j in crm.jobs.list_jobs(queue="rules.action")} == {"cancelled"}
        clock.advance(timedelta(days=30))
        assert rc.Runner(crm, queues=["rules.action"]).drain() == []
        assert len(crm.repository(Task).query(party_id=party)) == 0
        [goal] = [
            a
            for a in RuleEngine(crm).audits_for_subject(party)
            if a.event_type == "proposal.accepted"
        ]
        assert [(o.action, o.status) for o in goal.actions] == [("goal", "done")]
