"""A rule set's own ``suppress``: every rule's subjects, merged with each rule's list, versioned, explained."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core._cli import main
from relationship_core._rules import Context, compile_condition
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.ruleset import (
    ActionCall,
    RuleSet,
    RuleSpec,
    Suppression,
    check_rules,
    load_rules,
)
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
RULES = """
suppress = { tags = ["Internal"], condition = 'party.name == "Test"' }

[[rules]]
name = "welcome"
trigger = "engagement.started"
actions = [{ name = "tag_party", params = { tags = ["welcomed"] } }]

[[rules]]
name = "greet"
trigger = "engagement.started"
suppress = { parties = ["{bob}"] }
actions = [{ name = "tag_party", params = { tags = ["greeted"] } }]
"""


def start(crm: rc.CRM, party: rc.Party) -> None:
    crm.engagements.add(
        rc.Engagement.start(party, kind="customer", acquired_on=T0.date(), at=T0, support_team="d")
    )


def tags(crm: rc.CRM, party: rc.Party) -> set[str]:
    return set(crm.parties.get(party.id).tags) & {"welcomed", "greeted"}


def test_the_set_list_applies_to_every_rule_on_top_of_each_rules_own(url: str) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        intern = crm.parties.add(rc.Person(name="Ivy", tags=["internal"]))
        test = crm.parties.add(rc.Person(name="Test"))
        bob = crm.parties.add(rc.Person(name="Bob"))
        dee = crm.parties.add(rc.Person(name="Dee"))
        engine = RuleEngine(crm)
        ruleset = engine.install(RULES.replace("{bob}", bob.id))
        assert ruleset.suppress.tags == frozenset({"internal"})
        for party in (intern, test, bob, dee):
            start(crm, party)
        assert tags(crm, intern) == set()
        assert tags(crm, test) == set()
        assert tags(crm, bob) == {"welcomed"}  # only "greet" lists Bob
        assert tags(crm, dee) == {"welcomed", "greeted"}
        [audit] = engine.audits_for_subject(intern.id)
        assert audit.matched == ("welcome", "greet")
        assert {(o.rule, o.status, o.result["reason"]) for o in audit.actions} == {
            ("welcome", "skipped", "suppressed (rule set): party tagged 'internal'"),
            ("greet", "skipped", "suppressed (rule set): party tagged 'internal'"),
        }
        [bobs] = engine.audits_for_subject(bob.id)
        assert [o.result.get("reason") for o in bobs.actions if o.rule == "greet"] == [
            f"suppressed: party {bob.id} is on the rule's suppression list"
        ]
        assert crm.repository("rule_enrolment").count(subject=intern.id) == 0
        assert RuleEngine(crm).installed() == ruleset  # stored and read back with its list


def test_the_set_list_is_part_of_the_version() -> None:
    plain = RULES.split("\n", 2)[2].replace("{bob}", "p-1")
    listed = 'suppress = { tags = ["internal"] }\n' + plain
    other = 'suppress = { tags = ["staff"] }\n' + plain
    empty = "suppress = {}\n" + plain
    versions = {
        name: load_rules(text).version
        for name, text in (("plain", plain), ("listed", listed), ("other", other), ("empty", empty))
    }
    assert len({versions["plain"], versions["listed"], versions["other"]}) == 3
    assert versions["empty"] == versions["plain"]  # no list: the version it always had
    loaded = load_rules(listed)
    assert load_rules(loaded.canonical()).version == loaded.version
    assert loaded.canonical()["suppress"] == {"tags": ["internal"]}


@pytest.mark.parametrize(
    ("head", "field"),
    [
        ('suppress = "internal"', "suppress"),
        ('suppress = { tags = ["ok", 3] }', "suppress.tags[1]"),
        ('suppress = { parties = "p-1" }', "suppress.parties"),
        ("suppress = { condition = 'party.name ==' }", "suppress.condition"),
        ('suppress = { segment = "x" }', "suppress"),
        ('supress = { tags = ["x"] }', "supress"),
    ],
)
def test_a_bad_set_list_fails_at_its_exact_place(head: str, field: str) -> None:
    text = head + "\n" + RULES.split("\n", 2)[2].replace("{bob}", "p-1")
    with pytest.raises(ValidationError) as caught:
        load_rules(text)
    assert caught.value.field == field
    ruleset, errors = check_rules(text.replace('"engagement.started"', "[]", 1))
    assert ruleset is None
    assert errors[0].field == field


def test_check_reports_the_set_list_and_the_rules_errors_together() -> None:
    text = 'suppress = { tags = [1] }\n[[rules]]\nname = "x"\ntrigger = "a.b"\nactions = []\n'
    _, errors = check_rules(text)
    assert [e.field for e in errors] == ["suppress.tags[0]", "rules[0].actions"]
    assert "the rule set's suppress" in errors[0].reason


def test_explain_shows_the_set_list_and_whose_list_suppressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'set.db'}"
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        intern = crm.parties.add(rc.Person(name="Ivy", tags=["internal"]))
        RuleEngine(crm).install(RULES.replace("{bob}", "p-1"))
        start(crm, intern)
        [audit] = RuleEngine(crm).audits_for_subject(intern.id)
    assert main(["rules", "explain", "greet", audit.event_id, "--store", url]) == 0
    out = capsys.readouterr().out
    assert "greet: the rule set's suppression list (as of that version): " in out
    assert "tags ['internal']" in out
    assert 'condition party.name == "Test"' in out
    assert "greet: suppression list (as of that version): parties ['p-1']" in out
    assert "suppressed (rule set): party tagged 'internal' (the rule set's suppression list)" in out


@settings(max_examples=80, deadline=None)
@given(
    own=st.frozensets(st.sampled_from(["a", "b", "c"])),
    set_wide=st.frozensets(st.sampled_from(["a", "b", "c"])),
    party_tags=st.frozensets(st.sampled_from(["a", "b", "c", "d"])),
    party=st.sampled_from(["p-1", "p-2"]),
    listed=st.frozensets(st.sampled_from(["p-1", "p-2"])),
)
def test_a_subject_is_left_out_iff_on_either_list(
    own: frozenset[str],
    set_wide: frozenset[str],
    party_tags: frozenset[str],
    party: str,
    listed: frozenset[str],
) -> None:
    rule = RuleSpec(
        "r",
        ("x.y",),
        compile_condition("true"),
        (ActionCall("tag_party"),),
        suppress=Suppression(tags=own),
    )
    ruleset = RuleSet((rule,), Suppression(parties=listed, tags=set_wide))
    context = Context({"party": attrs_party(party_tags)}, now=T0)
    reason = ruleset.suppressed(rule, party, context)
    on_set = party in listed or bool(set_wide & party_tags)
    on_rule = bool(own & party_tags)
    assert (reason is not None) == (on_set or on_rule)
    if reason is not None:
        assert reason.startswith("suppressed (rule set)") == on_set


def attrs_party(tags: frozenset[str]) -> object:
    return type("P", (), {"tags": tags})()
