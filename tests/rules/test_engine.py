"""The rule engine on the bus: loading as a whole, actions in the unit of work, idempotence, audit, dry run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import relationship_core as rc
from relationship_core import Engagement, EngagementKind, Person
from relationship_core._cli import main
from relationship_core._domain.engagements import EngagementStarted
from relationship_core._lifecycle.kinds import PARTY_LIFECYCLES
from relationship_core._rules.audit import RULE_AUDITS, RULE_ENROLMENTS
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.ruleset import load_rules
from relationship_core.exceptions import EventCascadeError, NotFoundError, ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def rules(*items: dict[str, Any]) -> dict[str, Any]:
    return {"rules": list(items)}


def rule(name: str = "r", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "trigger": "engagement.started",
        "actions": [{"name": "tag_party", "params": {"tags": [name]}}],
    }
    out.update(extra)
    return out


@pytest.fixture
def crm() -> Iterator[rc.CRM]:
    with rc.open("memory://", clock=rc.ManualClock(T0)) as store:
        yield store


def start(crm: rc.CRM, party: rc.Party, at: datetime = T0, kind: str = "customer") -> Engagement:
    staff: dict[str, str] = (
        {"support_team": "desk"} if kind == "customer" else {"account_manager": "am-1"}
    )
    engagement = Engagement.start(party, kind=kind, acquired_on=at.date(), at=at, **staff)
    crm.engagements.add(engagement)
    return engagement


# -- loading -----------------------------------------------------------------------
def test_a_bad_rule_set_fails_as_a_whole_at_the_exact_place(crm: rc.CRM) -> None:
    bad = rules(
        rule("ok"),
        rule("stage", actions=[{"name": "move_lifecycle_stage", "params": {"stage": "moon"}}]),
    )
    with pytest.raises(ValidationError) as caught:
        load_rules(bad, crm=crm)
    assert caught.value.field == "rules[1].actions[0].params.stage"
    assert caught.value.value == "moon"
    assert "rule 'stage'" in caught.value.reason
    assert "customer" in caught.value.reason  # what is allowed
    for broken, field in [
        (rule(trigger="nope.never"), "rules[0].trigger[0]"),
        (rule(actions=[{"name": "fly"}]), "rules[0].actions[0].name"),
        (rule(condition="party.tags contains"), "rules[0].condition"),
        (rule(delay="soon"), "rules[0].delay"),
        (rule(reentry={"mode": "cooldown"}), "rules[0].reentry.cooldown"),
        (rule(priority=True), "rules[0].priority"),
        (rule(colour="red"), "rules[0].colour"),
    ]:
        with pytest.raises(ValidationError) as caught:
            load_rules(rules(broken), crm=crm)
        assert caught.value.field == field
    with pytest.raises(ValidationError, match="not valid JSON"):
        load_rules('{"rules": [', crm=crm)
    assert RuleEngine(crm).installed() is None  # nothing was installed


def test_json_toml_and_dict_give_one_version() -> None:
    data = rules(rule(condition='party.name == "Ada"', delay="2 days", priority=3))
    toml = """
[[rules]]
name = "r"
trigger = "engagement.started"
condition = 'party.name == "Ada"'
delay = "2 days"
priority = 3
actions = [{ name = "tag_party", params = { tags = ["r"] } }]
"""
    versions = {
        load_rules(data).version,
        load_rules(json.dumps(data)).version,
        load_rules(toml).version,
        load_rules(load_rules(data).canonical()).version,
    }
    assert len(versions) == 1
    assert load_rules(rules(rule(priority=4))).version not in versions


# -- running -----------------------------------------------------------------------
def test_actions_run_in_the_events_unit_of_work_in_priority_order(crm: rc.CRM) -> None:
    engine = RuleEngine(crm)
    engine.install(
        rules(
            rule("low", priority=1, actions=[{"name": "tag_party", "params": {"tags": ["low"]}}]),
            rule(
                "high",
                priority=9,
                actions=[
                    {"name": "move_lifecycle_stage", "params": {"stage": "customer"}},
                    {"name": "enqueue_webhook", "params": {"endpoint": "crm-hook"}},
                ],
            ),
            rule("gold only", condition='party.name == "Gold"'),
        )
    )
    ada = crm.parties.add(Person(name="Ada"))
    start(crm, ada)
    assert crm.parties.get(ada.id).tags == frozenset({"low"})
    assert crm.repository(PARTY_LIFECYCLES).get(ada.id).stage == "customer"
    [hook] = crm.jobs.list_jobs(queue="notify.webhook")
    assert hook.payload["endpoint"] == "crm-hook"
    assert hook.payload["data"]["party_id"] == ada.id
    [audit] = engine.audits_for_subject(ada.id)
    assert audit.event_type == "engagement.started"
    assert audit.matched == ("high", "low")
    assert [(a.rule, a.action, a.status) for a in audit.actions] == [
        ("high", "move_lifecycle_stage", "done"),
        ("high", "enqueue_webhook", "done"),
        ("low", "tag_party", "done"),
    ]
    [failed] = audit.failed
    assert failed.rule == "gold only"
    assert failed.conditions[0].values == (("party.name", "'Ada'"),)
    assert [a.id for a in engine.audits_for_rule("gold only")] == [audit.id]


def test_a_failing_action_writes_nothing(crm: rc.CRM) -> None:
    RuleEngine(crm).install(rules(rule(actions=[{"name": "issue_invoice"}])))
    ada = crm.parties.add(Person(name="Ada"))
    with pytest.raises(NotFoundError):
        start(crm, ada)  # the engagement is no order
    assert crm.engagements.of_party(ada.id) == []
    assert crm.repository(RULE_AUDITS).query().items == ()


def test_a_replayed_event_never_doubles_an_action(crm: rc.CRM) -> None:
    RuleEngine(crm).install(
        rules(rule(actions=[{"name": "create_task", "params": {"title": "Call"}}]))
    )
    ada = crm.parties.add(Person(name="Ada"))
    engagement = start(crm, ada)
    replay = EngagementStarted(
        aggregate_id=engagement.id,
        occurred_at=T0,
        party_id=ada.id,
        kind=EngagementKind.CUSTOMER,
        acquired_on=T0.date(),
    )
    with crm.unit_of_work() as uow:
        uow.publish(replay)
    tasks = crm.repository("task").query(party_id=ada.id)
    assert len(tasks) == 1
    [first, second] = RuleEngine(crm).audits_for_subject(ada.id)
    assert first.actions[0].status == "done"
    assert second.actions[0].status == "skipped"
    assert "replay" in second.actions[0].result["reason"]


def test_reentry_once_per_subject_and_cooldown(crm: rc.CRM) -> None:
    RuleEngine(crm).install(
        rules(
            rule("once", reentry="once_per_subject"),
            rule("weekly", reentry={"mode": "cooldown", "cooldown": "7 days"}),
        )
    )
    ada = crm.parties.add(Person(name="Ada"))
    start(crm, ada)
    start(crm, ada, T0 + timedelta(days=2), kind="client")
    start(crm, ada, T0 + timedelta(days=8), kind="client")
    statuses = [
        {a.rule: a.status for a in audit.actions}
        for audit in RuleEngine(crm).audits_for_subject(ada.id)
    ]
    assert statuses == [
        {"once": "done", "weekly": "done"},
        {"once": "skipped", "weekly": "skipped"},
        {"once": "skipped", "weekly": "done"},
    ]
    [weekly] = crm.repository(RULE_ENROLMENTS).query(rule="weekly").items
    assert weekly.count == 2


def test_a_dry_run_plans_and_writes_nothing(crm: rc.CRM) -> None:
    engine = RuleEngine(crm)
    engine.install(
        rules(rule("later", delay="3 days"), rule("never", condition='party.name == "Bob"'))
    )
    ada = crm.parties.add(Person(name="Ada"))
    event = EngagementStarted(
        aggregate_id="E-x",
        occurred_at=T0,
        party_id=ada.id,
        kind=EngagementKind.CUSTOMER,
        acquired_on=T0.date(),
    )
    plan = engine.dry_run(event)
    assert plan is not None
    assert plan.matched == ("later",)
    assert plan.failed[0].rule == "never"
    [action] = plan.actions
    assert (action.action, action.due, action.delayed) == (
        "tag_party",
        T0 + timedelta(days=3),
        True,
    )
    assert crm.repository(RULE_AUDITS).query().items == ()
    assert crm.jobs.list_jobs() == []


def test_cascades_stop_at_the_bus_depth() -> None:
    """A rule whose action causes the event it triggers on loops until ``max_event_depth``."""
    with rc.open("memory://", clock=rc.ManualClock(T0), max_event_depth=3) as store:
        task = {"name": "create_task", "params": {"title": "Again"}}
        RuleEngine(store).install(
            rules(
                rule("start", actions=[task]), rule("loop", trigger="task.created", actions=[task])
            )
        )
        ada = store.parties.add(Person(name="Ada"))
        with pytest.raises(EventCascadeError):
            start(store, ada)
        assert store.repository("task").query().items == ()
        assert store.engagements.of_party(ada.id) == []


# -- the command -------------------------------------------------------------------
def test_rules_check_prints_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(rules(rule())))
    assert main(["rules", "check", str(good)]) == 0
    assert "1 rule(s), version sha256:" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[rules]]\nname = "a"\ntrigger = "x.y"\nactions = [{ name = "tag_party", params = { tags = ["t"] } }]\n'
        '[[rules]]\nname = "b"\ntrigger = "order.placed"\nactions = [{ name = "fly" }]\n'
    )
    assert main(["rules", "check", str(bad), "--store", "memory://"]) == 1
    out = capsys.readouterr().out
    assert "rules[0].trigger[0]: 'x.y'" in out
    assert "rules[1].actions[0].name: 'fly'" in out
    assert "2 error(s)" in out
    missing = tmp_path / "none.toml"
    assert main(["rules", "check", str(missing)]) == 1
    assert "cannot be read" in capsys.readouterr().out
