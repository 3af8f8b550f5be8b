"""A Python action from a plugin is versioned by a hash of its code, like a Python condition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import relationship_core as rc
from relationship_core._rules.actions import RuleAction
from relationship_core._rules.audit import RULE_SETS
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.offered import action_code
from relationship_core._rules.python_rules import code_hash
from relationship_core._rules.ruleset import load_rules
from relationship_core.exceptions import ValidationError
from relationship_core.plugins import PluginManager, RuleActionSpec, hookimpl

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def stamp(context: Any, params: Mapping[str, Any]) -> Mapping[str, str]:
    """Tag the party with the parameter."""
    party = context.uow.parties.get(context.require_party("stamp"))
    party.tags = frozenset({*party.tags, str(params["tag"])})
    return {"stamped": context.subject}


def stamp_again(context: Any, params: Mapping[str, Any]) -> Mapping[str, str]:
    """The same action, changed code."""
    return {"stamped": "differently"}


class _Plugin:
    def __init__(self, run: Any) -> None:
        self.run = run

    @hookimpl
    def relationship_core_rule_actions(self) -> Sequence[RuleActionSpec]:
        return [RuleActionSpec("stamp", RuleAction(self.run), "tag the party")]


def store(url: str, run: Any = stamp) -> rc.CRM:
    plugins = PluginManager(entry_points=False).load()
    plugins.register(_Plugin(run), name="stamp-plugin")
    return rc.open(url, plugins=plugins, clock=rc.ManualClock(T0))


def rules(delay: str = "") -> str:
    return f"""
[[rules]]
name = "stamp"
trigger = "engagement.started"
{delay}
actions = [{{ name = "stamp", params = {{ tag = "stamped" }} }}, {{ name = "tag_party", params = {{ tags = ["seen"] }} }}]
"""


def start(crm: rc.CRM) -> str:
    party = crm.parties.add(rc.Person(name="Ada"))
    crm.engagements.add(
        rc.Engagement.start(party, kind="customer", acquired_on=T0.date(), at=T0, support_team="d")
    )
    return party.id


def test_the_code_hash_is_in_the_canonical_form_and_the_version(tmp_path: Any) -> None:
    assert action_code(RuleAction(stamp)) == code_hash(stamp)
    assert action_code(RuleAction(stamp)) != action_code(RuleAction(stamp_again))
    with store("memory://") as crm, store("memory://", stamp_again) as other:
        ruleset = RuleEngine(crm).install(rules())
        [mine, builtin] = ruleset.canonical()["rules"][0]["actions"]
        assert mine["code"] == code_hash(stamp)
        assert "code" not in builtin  # the library's own actions: versioned with it
        assert load_rules(rules(), crm=other).version != ruleset.version
        assert load_rules(rules()).version != ruleset.version  # no store: no hash
        assert load_rules(ruleset.canonical(), crm=crm).version == ruleset.version
        party = start(crm)
        assert {"stamped", "seen"} <= set(crm.parties.get(party).tags)


def test_a_stored_set_refuses_changed_action_code_at_load_and_at_run(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'py.db'}"
    with store(url) as crm:
        source = RuleEngine(crm).install(rules()).canonical()
    with store(url, stamp_again) as crm:
        with pytest.raises(ValidationError) as caught:
            load_rules(source, crm=crm)
        assert caught.value.field == "rules[0].actions[0].code"
        assert "changed" in caught.value.reason
        with pytest.raises(ValidationError) as ran:  # the stored set never runs other code
            start(crm)
        assert ran.value.field == "rules[stamp].actions.code"
        assert crm.repository(RULE_SETS).count() >= 1
        RuleEngine(crm).install(rules())  # installed again: the new code runs
        start(crm)


def test_a_delayed_python_action_carries_its_code_hash(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'delayed.db'}"
    with store(url) as crm:
        RuleEngine(crm).install(rules('delay = "1 day"'))
        party = start(crm)
        [job] = crm.jobs.list_jobs(queue="rules.action")
        assert job.payload["actions"][0]["code"] == code_hash(stamp)
    with store(url, stamp_again) as crm:
        crm.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
        [result] = rc.Runner(crm, queues=["rules.action"]).drain()
        assert result.outcome != "done"
        assert "stamped" not in crm.parties.get(party).tags
