"""The ``send_notification`` action: a template queued in the outbox with the event, once per enrolment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import relationship_core as rc
from relationship_core import Engagement, Person
from relationship_core._notify import EventType, MemoryChannel, load_template
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.ruleset import load_rules
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
RULE = """
[[rules]]
name = "welcome"
trigger = "engagement.started"
actions = [{ name = "send_notification", params = { template = "welcome", channel = "dev" } }]
"""


def _store(url: str, dev: MemoryChannel) -> rc.CRM:
    welcome = load_template(
        EventType("rule.welcome", {"party": Person, "rule": str}),
        subject="Welcome, {{ party.name }}",
        text="Hello {{ party.name }} ({{ rule }}).\n",
        category="transactional",
    )
    return rc.open(
        url,
        clock=rc.ManualClock(T0),
        config={"notify": {"channels": {"dev": dev}}, "rules": {"templates": {"welcome": welcome}}},
    )


def test_a_rule_queues_a_template_through_the_outbox_once(url: str) -> None:
    dev = MemoryChannel("dev")
    with _store(url, dev) as crm:
        RuleEngine(crm).install(RULE)
        ada = crm.parties.add(Person(name="Ada", emails=["ada@example.com"]))
        engagement = Engagement.start(
            ada, kind="customer", acquired_on=T0.date(), at=T0, support_team="desk"
        )
        crm.engagements.add(engagement)
        [queued] = crm.repository("notification").query()
        assert queued.status == "queued"
        assert dev.sent == []
        [done] = rc.Runner(crm).drain()
        assert done.outcome == "done"
        [sent] = dev.sent
        assert (sent.subject, sent.recipient.address) == ("Welcome, Ada", "ada@example.com")
        assert sent.text == "Hello Ada (welcome).\n"
        [audit] = RuleEngine(crm).audits_for_subject(ada.id)
        assert [(a.action, a.status) for a in audit.actions] == [("send_notification", "done")]


def test_bad_notification_params_fail_at_load_and_a_missing_template_at_the_event() -> None:
    dev = MemoryChannel("dev")
    with _store("memory://", dev) as crm:
        bad = RULE.replace('channel = "dev"', 'channel = ""')
        with pytest.raises(ValidationError) as caught:
            load_rules(bad, crm=crm)
        assert caught.value.field == "rules[0].actions[0].params.channel"
        RuleEngine(crm).install(RULE.replace('template = "welcome"', 'template = "nope"'))
        bob = crm.parties.add(Person(name="Bob", emails=["bob@example.com"]))
        with pytest.raises(ValidationError, match="no such template"):
            crm.engagements.add(
                Engagement.start(
                    bob, kind="customer", acquired_on=T0.date(), at=T0, support_team="desk"
                )
            )
        assert list(crm.repository("notification").query()) == []
