"""The demo's rules chapter: the mission's rule file firing, a score adjusted by a rule, a suppressed party.

The packaged ``mission.toml`` (survey on resolve, invoice on fulfilment,
follow-ups of a sent proposal ended by its answer) is installed with two more
rules, then a ticket is resolved, an order fulfilled and a proposal sent and
accepted; the worker runs the first follow-up and the answer cancels the
second. Each line is read back from the rule audit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from relationship_core._app.runner import Runner
from relationship_core._billing.lines import LineItem, LineKind
from relationship_core._demo_pipeline import DEMO_MODEL
from relationship_core._domain.actor import Actor
from relationship_core._domain.money import Money
from relationship_core._domain.parties import Person
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._lifecycle.service import LifecycleService
from relationship_core._rules.engine import ACTION_QUEUE, RuleEngine
from relationship_core._rules.ruleset import mission_rules
from relationship_core._scoring.service import ScoringService
from relationship_core._support.forms import FormSubmission
from relationship_core._support.service import SupportService

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._demo_story import _Story
    from relationship_core._rules.audit import RuleAudit

__all__ = ["rules_chapter"]

EXTRA_RULES = """
[[rules]]
name = "reward a won deal"
trigger = "opportunity.won"
suppress = { tags = ["internal"] }
actions = [
  { name = "adjust_score", params = { model = "inbound", points = 20, reason = "won a deal" } },
  { name = "tag_party", params = { tags = ["won-a-deal"] } },
]
"""


def _said(audit: RuleAudit, rule: str) -> str:
    """The rule's action outcomes in *audit*, each with its most telling result."""
    said = []
    for o in (o for o in audit.actions if o.rule == rule):
        keys = ("reason", "issued", "created", "invoice", "survey", "score")
        detail = next((f"{k} {o.result[k]}" for k in keys if k in o.result), "")
        said.append(f"{o.action} {o.status}" + (f" ({detail})" if detail else ""))
    return "; ".join(said)


def rules_chapter(story: _Story) -> None:
    """Chapter 11 on the story's store (its clock is where the story left it)."""
    from relationship_core._demo_story import ZONE, _heading

    write, clock, crm = story.write, story.clock, story.crm
    _heading(write, "11. Rules: the mission's rule file firing, with an audit of each event")
    friday = clock.now().date() + timedelta(days=(4 - clock.now().weekday()) % 7 or 7)
    clock.set(datetime.combine(friday, time(9), UTC))
    engine = RuleEngine(crm)
    mission = mission_rules(crm=crm)
    extra = engine.load(EXTRA_RULES)
    ruleset = engine.install({"rules": mission.canonical()["rules"] + extra.canonical()["rules"]})
    write(f"  installed mission.toml + 1 rule: {len(ruleset.rules)} rules, {ruleset.version}")

    ScoringService(crm).use(DEMO_MODEL)  # models are per opened store
    support = SupportService(crm, default_team="support-desk")
    form = FormSubmission(name="Grace Hopper", email="grace@navy.example", problem="A bug")
    ticket = support.submit(form)
    sam = Actor.person("sam.support")
    support.assign(ticket.id, "sam.support", actor=sam)
    support.move(ticket.id, "resolved", actor=sam)
    [audit] = [a for a in engine.audits_for_rule("survey on resolve") if a.matched]
    write(f"  ticket resolved -> 'survey on resolve': {_said(audit, 'survey on resolve')}")

    party_id = support.tickets.get(ticket.id).party_id or ""
    order = story.order(
        party_id, "O-4001", [LineItem("Audit", 1, Money("1200.00", "GBP"), LineKind.SERVICE)], "ops"
    )
    story.billing.start_order(order.id)
    story.fulfil(order.id, friday)
    [audit] = [a for a in engine.audits_for_rule("invoice fulfilled orders") if a.matched]
    write(f"  order {order.id} fulfilled -> 'invoice fulfilled orders' (billing's handler is on):")
    write(f"    {_said(audit, 'invoice fulfilled orders')}")

    _proposal(story, engine, friday)
    intern = crm.parties.add(Person(name="Ivy Intern", tags=["internal"], time_zone=ZONE))
    _won_deal(crm, intern.id, friday, clock.now())
    [audit] = engine.audits_for_subject(intern.id)[-1:]
    write(f"  {intern.name}'s deal is won too; 'reward a won deal' suppresses the tag internal:")
    write(f"    {_said(audit, 'reward a won deal').split(';')[0]}")


def _proposal(story: _Story, engine: RuleEngine, friday: date) -> None:
    from relationship_core._demo_story import ZONE

    write, clock, crm = story.write, story.clock, story.crm
    buyer = crm.parties.add(Person(name="Mary Jackson", time_zone=ZONE))
    deal = LifecycleService(crm).open_deal(
        party_id=buyer.id,
        title="Wind tunnel study",
        owner="amy.manager",
        amount=Money("3000", "GBP"),
        expected_close=friday + timedelta(days=30),
    )
    with crm.unit_of_work() as uow:
        uow.repository(Opportunity).get(deal.id).send_proposal(at=clock.now())
    jobs = sorted(crm.jobs.list_jobs(queue=ACTION_QUEUE), key=lambda j: j.due_at)
    dues = ", ".join(_local(j.due_at, ZONE) for j in jobs)
    write(f"  {friday} proposal sent -> 'follow up a sent proposal', in Mary's zone (London):")
    write(f"    follow-ups {dues}")
    clock.set(jobs[0].due_at + timedelta(minutes=5))
    ran = Runner(crm, queues=[ACTION_QUEUE], worker="demo-worker").drain()
    tasks = crm.repository("task").query(party_id=buyer.id).items
    write(f"  the worker runs {len(ran)} follow-up: task '{tasks[0].title}'")
    clock.advance(timedelta(hours=2))
    with crm.unit_of_work() as uow:
        uow.repository(Opportunity).get(deal.id).accept_proposal(at=clock.now())
    last = crm.jobs.get(jobs[-1].id)
    state = "gone" if last is None else last.state
    write(f"  the proposal is accepted (the deal is won): the goal ends it, 2nd follow-up {state}")
    score = ScoringService(crm).of(buyer.id, DEMO_MODEL.name)
    if score is not None:
        [line] = [c for c in score.contributions if c.kind == "adjustment"]
        write(
            f"  'reward a won deal': score {score.value} ({line.points:+} {line.why!r}, "
            "a line of its explanation)"
        )
    audits = engine.audits_for_subject(buyer.id)
    write(
        f"  audit of {buyer.name}: {len(audits)} records (events and follow-ups), each naming "
        f"{audits[-1].ruleset_version}"
    )


def _won_deal(crm: CRM, party_id: str, day: date, at: datetime) -> None:
    deal = LifecycleService(crm).open_deal(
        party_id=party_id,
        title="Internal pilot",
        owner="amy.manager",
        amount=Money("10", "GBP"),
        expected_close=day + timedelta(days=30),
    )
    for step in ("send_proposal", "accept_proposal"):
        with crm.unit_of_work() as uow:
            getattr(uow.repository(Opportunity).get(deal.id), step)(at=at)


def _local(at: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M")
