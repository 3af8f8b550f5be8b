"""The mission's rule file, loaded and fired on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import relationship_core as rc
from relationship_core import Actor, LineItem, Money, Person
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.ruleset import mission_rules
from relationship_core._support import FormSubmission
from relationship_core._support.service import SupportService
from relationship_core._work.tasks import Task

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SAM = Actor.person("sam")
OFF = {"billing": {"invoice_on_fulfilment": False}}


def test_the_mission_rules_fire_on_every_backend(url: str) -> None:
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock, config=OFF) as crm:
        engine = RuleEngine(crm)
        installed = engine.install(mission_rules(crm=crm))
        assert installed.version.startswith("sha256:")

        # a resolved ticket: its survey, by the rule
        support = SupportService(crm)
        ticket = support.submit(
            FormSubmission(name="Ada", email="ada@example.com", problem="Late", priority="high")
        )
        support.move(ticket.id, "assigned", actor=SAM)
        support.move(ticket.id, "resolved", actor=SAM)
        assert ticket.party_id is not None
        audits = engine.audits_for_subject(ticket.party_id)
        fired = [a for a in audits if a.matched == ("survey on resolve",)]
        [audit] = fired
        assert audit.ruleset_version == installed.version
        [outcome] = audit.actions
        assert (outcome.action, outcome.status) == ("send_survey", "done")
        assert outcome.result["survey"] == f"{ticket.id}:csat:1"
        not_resolved = [a for a in audits if a.matched == () and a.failed]
        assert not_resolved[0].failed[0].conditions[0].text == 'event.to_status == "resolved"'

        # a fulfilled order above the amount: its invoice, by the rule (billing's handler is off)
        billing = rc.BillingService(crm)
        buyer = crm.parties.add(Person(name="Buyer"))
        for oid, price in (("O-big", "60.00"), ("O-small", "10.00")):
            billing.place_order(buyer.id, [LineItem("Kit", 2, Money(price, "EUR"))], order_id=oid)
            billing.assign_order(oid, "team")
            billing.start_order(oid)
            billing.fulfil_order(oid)
        assert billing.orders.get("O-big").invoice_id is not None
        assert billing.orders.get("O-small").invoice_id is None

        # a sent proposal: a follow-up task three days later, from the job
        deals = rc.LifecycleService(crm)
        deal = deals.open_deal(
            party_id=buyer.id,
            title="Audit",
            owner="sam",
            amount=Money("900", "EUR"),
            expected_close=date(2026, 4, 1),
        )
        with crm.unit_of_work() as uow:
            uow.repository(Opportunity).get(deal.id).send_proposal(at=clock.now())
        first, second = sorted(crm.jobs.list_jobs(queue="rules.action"), key=lambda j: j.due_at)
        assert first.due_at == T0 + timedelta(days=3)  # Thursday 09:00 in the business's hours
        assert second.due_at == T0 + timedelta(days=7)  # the Monday after
        assert first.group is not None
        assert first.group == second.group
        assert first.group.startswith(f"rule:follow up a sent proposal:{buyer.id}:fup-")
        assert rc.Runner(crm, queues=["rules.action"]).drain() == []  # not due yet
        clock.advance(timedelta(days=3))
        [result] = rc.Runner(crm, queues=["rules.action"]).drain()
        assert result.outcome == "done"
        [task] = crm.repository(Task).query(party_id=buyer.id)
        assert task.title == "Follow up the proposal"
        assert task.due_on == date(2026, 3, 6)
        # the proposal is answered: the second follow-up is cancelled
        with crm.unit_of_work() as uow:
            uow.repository(Opportunity).get(deal.id).accept_proposal(at=clock.now())
        clock.advance(timedelta(days=7))
        assert rc.Runner(crm, queues=["rules.action"]).drain() == []
        cancelled = crm.jobs.get(second.id)
        assert cancelled is not None
        assert cancelled.state == "cancelled"
        assert sorted(
            a.action
            for audit in engine.audits_for_rule("follow up a sent proposal")
            for a in audit.actions
        ) == ["create_task", "goal", "schedule_follow_ups"]
