"""The engine's later parts: adjust_score, suppression lists, the party's own zone, Python conditions, audit retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core._cli import main
from relationship_core._domain.business import Business
from relationship_core._rules import Context
from relationship_core._rules.audit import RULE_AUDITS
from relationship_core._rules.engine import RuleEngine
from relationship_core._rules.python_rules import python_condition
from relationship_core._rules.retention import prune_audits
from relationship_core._rules.ruleset import load_rules
from relationship_core._scoring import load_model
from relationship_core._scoring.service import ScoringService
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday
MODEL = {
    "name": "inbound",
    "criteria": [
        {
            "name": "vip",
            "kind": "fit",
            "field": "tags",
            "op": "equals",
            "value": "vip",
            "points": 10,
        }
    ],
    "thresholds": [{"stage": "sales_qualified_lead", "score": 20}],
}


def _start(crm: rc.CRM, party: rc.Party, at: datetime = T0) -> None:
    crm.engagements.add(
        rc.Engagement.start(party, kind="customer", acquired_on=at.date(), at=at, support_team="d")
    )


def test_adjust_score_adds_points_with_the_reason_in_the_explanation_and_keeps_them(
    url: str,
) -> None:
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ScoringService(crm).use(load_model(MODEL))
        RuleEngine(crm).install(
            """
[[rules]]
name = "customer bonus"
trigger = "engagement.started"
actions = [{ name = "adjust_score", params = { model = "inbound", points = 15, reason = "became a customer" } }]
"""
        )
        ada = crm.parties.add(rc.Person(name="Ada", tags=["vip"]))
        _start(crm, ada)
        score = ScoringService(crm).of(ada.id)
        assert score is not None
        assert score.value == Decimal("25")
        assert [(c.kind, c.points, c.why) for c in score.contributions][-1] == (
            "adjustment",
            Decimal("15"),
            "became a customer",
        )
        assert ScoringService(crm).rescore(ada.id)["inbound"].value == Decimal("25")  # kept
        crossed = [
            e.event for e in crm.events.read_logged(0, 100) if e.event.name == "score.crossed"
        ]
        assert len(crossed) == 1  # 25 is over the threshold of 20


def test_adjust_score_refuses_bad_parameters_at_load() -> None:
    with rc.open("memory://") as crm:
        bad = {
            "rules": [
                {
                    "name": "x",
                    "trigger": "engagement.started",
                    "actions": [
                        {
                            "name": "adjust_score",
                            "params": {"model": "m", "points": "lots", "reason": "r"},
                        }
                    ],
                }
            ]
        }
        with pytest.raises(ValidationError) as caught:
            load_rules(bad, crm=crm)
        assert caught.value.field == "rules[0].actions[0].params.points"
        del bad["rules"][0]["actions"][0]["params"]["reason"]  # type: ignore[index]
        bad["rules"][0]["actions"][0]["params"]["points"] = 3  # type: ignore[index]
        with pytest.raises(ValidationError, match="required"):
            load_rules(bad, crm=crm)


SUPPRESSED = """
[[rules]]
name = "welcome"
trigger = "engagement.started"
suppress = { tags = ["Do-Not-Contact"], parties = ["{bob}"], condition = 'party.name == "Cy"' }
actions = [{ name = "tag_party", params = { tags = ["welcomed"] } }]
"""


def test_suppression_lists_keep_parties_out_and_say_so_in_the_audit_and_explain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'suppress.db'}"
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(rc.Person(name="Ada", tags=["do-not-contact"]))
        bob = crm.parties.add(rc.Person(name="Bob"))
        cy = crm.parties.add(rc.Person(name="Cy"))
        dee = crm.parties.add(rc.Person(name="Dee"))
        engine = RuleEngine(crm)
        ruleset = engine.install(SUPPRESSED.replace("{bob}", bob.id))
        assert ruleset.rules[0].suppress.tags == frozenset({"do-not-contact"})
        for party in (ada, bob, cy, dee):
            _start(crm, party)
        tagged = {p.name: "welcomed" in crm.parties.get(p.id).tags for p in (ada, bob, cy, dee)}
        assert tagged == {"Ada": False, "Bob": False, "Cy": False, "Dee": True}
        [audit] = engine.audits_for_subject(ada.id)
        [outcome] = audit.actions
        assert (outcome.status, outcome.result["reason"]) == (
            "skipped",
            "suppressed: party tagged 'do-not-contact'",
        )
        assert (
            "on the rule's suppression list"
            in engine.audits_for_subject(bob.id)[0].actions[0].result["reason"]
        )
        assert engine.audits_for_subject(cy.id)[0].actions[0].result["reason"] == (
            'suppressed: party.name == "Cy"'
        )
        assert crm.repository("rule_enrolment").count(subject=ada.id) == 0  # never enrolled
    assert main(["rules", "explain", "welcome", audit.event_id, "--store", url]) == 0
    out = capsys.readouterr().out
    assert "suppressed: party tagged 'do-not-contact' (the rule's suppression list)" in out
    assert 'welcome: suppression list (as of that version): condition party.name == "Cy"' in out
    assert "tags ['do-not-contact']" in out
    with rc.open(url) as crm:  # a newer set replaces it; the audit's version is still kept
        engine = RuleEngine(crm)
        newer = engine.install(SUPPRESSED.replace("{bob}", "nobody"))
        assert newer.version != ruleset.version
        kept = engine.version(ruleset.version)
        assert kept is not None
        assert kept["rules"][0]["suppress"]["parties"] == [bob.id]


def test_a_bad_suppression_list_fails_the_load_at_its_place() -> None:
    bad = SUPPRESSED.replace('parties = ["{bob}"]', "parties = 3")
    with pytest.raises(ValidationError) as caught:
        load_rules(bad)
    assert caught.value.field == "rules[0].suppress.parties"


def test_delays_and_follow_ups_count_in_the_party_s_own_zone_else_the_business_s() -> None:
    friday = datetime(2026, 3, 6, 20, tzinfo=UTC)  # Friday 20:00 UTC, Saturday 05:00 in Tokyo
    with rc.open("memory://", clock=rc.ManualClock(friday)) as crm:
        crm.repository(Business).add(Business.create("default", time_zone="Europe/Paris"))
        RuleEngine(crm).install(
            """
[[rules]]
name = "later"
trigger = "engagement.started"
delay = "1 day"
actions = [{ name = "tag_party", params = { tags = ["later"] } }]

[[rules]]
name = "chase"
trigger = "engagement.started"
actions = [{ name = "schedule_follow_ups", params = { days = [1], at = "09:00", action = { name = "tag_party", params = { tags = ["chased"] } } } }]
"""
        )
        tokyo = crm.parties.add(rc.Person(name="Ken", time_zone="Asia/Tokyo"))
        plain = crm.parties.add(rc.Person(name="Ann"))  # no zone of its own: the business's
        _start(crm, tokyo, friday)
        _start(crm, plain, friday)
        jobs = crm.jobs.list_jobs(queue="rules.action")

        def due(party: rc.Party, *, follow_up: bool) -> list[datetime]:
            return sorted(
                j.due_at
                for j in jobs
                if j.payload["subject"] == party.id and ("follow_up" in j.payload) == follow_up
            )

        # Tokyo: Saturday 05:00 local + 1 day = Sunday; closed -> Monday 09:00 Tokyo (00:00 UTC)
        assert due(tokyo, follow_up=True) == [datetime(2026, 3, 9, 0, tzinfo=UTC)]
        # Paris: Friday 21:00 local + 1 day = Saturday -> Monday 09:00 Paris (08:00 UTC)
        assert due(plain, follow_up=True) == [datetime(2026, 3, 9, 8, tzinfo=UTC)]
        assert (
            due(tokyo, follow_up=False)
            == due(plain, follow_up=False)
            == [friday + timedelta(days=1)]
        )
        assert {j.payload["version"] for j in jobs} == {RuleEngine(crm).installed().version}  # type: ignore[union-attr]


def test_a_follow_up_s_audit_names_the_rule_set_version_that_fired() -> None:
    clock = rc.ManualClock(T0)
    with rc.open("memory://", clock=clock) as crm:
        ruleset = RuleEngine(crm).install(
            """
[[rules]]
name = "chase"
trigger = "engagement.started"
actions = [{ name = "schedule_follow_ups", params = { days = [1], business_hours = false, action = { name = "tag_party", params = { tags = ["chased"] } } } }]
"""
        )
        ada = crm.parties.add(rc.Person(name="Ada"))
        _start(crm, ada)
        clock.advance(timedelta(days=2))
        assert [r.outcome for r in rc.Runner(crm, queues=["rules.action"]).drain()] == ["done"]
        audits = RuleEngine(crm).audits_for_subject(ada.id)
        assert [a.ruleset_version for a in audits] == [ruleset.version, ruleset.version]
        assert audits[-1].event_type == "rules.action"


def test_python_conditions_are_versioned_by_name_and_code_hash() -> None:
    @python_condition("test: gold party")
    def gold(context: Context) -> bool:
        party = context.roots.get("party")
        return "gold" in getattr(party, "tags", ())

    with rc.open("memory://", clock=rc.ManualClock(T0)) as crm:
        source = {
            "rules": [
                {
                    "name": "gold",
                    "trigger": "engagement.started",
                    "condition": {"python": "test: gold party"},
                    "actions": [{"name": "tag_party", "params": {"tags": ["shiny"]}}],
                }
            ]
        }
        engine = RuleEngine(crm)
        first = engine.install(source)
        assert first.canonical()["rules"][0]["condition"] == {
            "python": "test: gold party",
            "code": gold.code,
        }
        assert (
            load_rules({"rules": [{**source["rules"][0], "condition": gold}]}).version
            == first.version
        )
        ann = crm.parties.add(rc.Person(name="Ann", tags=["gold"]))
        bob = crm.parties.add(rc.Person(name="Bob"))
        _start(crm, ann)
        _start(crm, bob)
        assert "shiny" in crm.parties.get(ann.id).tags
        assert "shiny" not in crm.parties.get(bob.id).tags
        [failed] = engine.audits_for_subject(bob.id)[0].failed
        assert failed.conditions[0].text == "python:test: gold party"

        @python_condition("test: gold party")
        def gold(context: Context) -> bool:  # the code changed: another version
            raise RuntimeError("boom")

        with pytest.raises(ValidationError, match="changed: stored"):
            load_rules(first.canonical())
        second = engine.install(source)
        assert second.version != first.version
        [why] = second.rules[0].condition.explain(Context({}, now=T0)).failures()
        assert why.values == (("raised", "RuntimeError: boom"),)
    with pytest.raises(ValidationError, match="registered"):
        load_rules({"rules": [{**source["rules"][0], "condition": {"python": "nope"}}]})


def test_prune_deletes_old_audits_only_and_the_command_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'prune.db'}"
    clock = rc.ManualClock(T0)
    with rc.open(url, clock=clock) as crm:
        RuleEngine(crm).install(
            '[[rules]]\nname = "t"\ntrigger = "engagement.started"\n'
            'actions = [{ name = "tag_party", params = { tags = ["x"] } }]\n'
        )
        for n in range(3):
            _start(crm, crm.parties.add(rc.Person(name=f"P{n}")), T0 + timedelta(days=50 * n))
        clock.set(T0 + timedelta(days=150))
        assert crm.repository(RULE_AUDITS).count() == 3
        assert prune_audits(crm, dry_run=True) == 2  # older than 90 days: days 0 and 50
        assert crm.repository(RULE_AUDITS).count() == 3
        assert prune_audits(crm, older_than=timedelta(days=120), batch=1) == 1
        assert crm.repository("rule_enrolment").count() == 3  # kept
        with pytest.raises(ValidationError):
            prune_audits(crm, before=T0, older_than=timedelta(days=1))
    assert main(["rules", "prune", "--store", url, "--before", "2026-12-01T00:00:00+00:00"]) == 0
    assert "deleted 2 audit record(s)" in capsys.readouterr().out
    assert main(["rules", "prune", "--store", url, "--before", "yesterday"]) == 2


def test_a_rule_may_enrol_the_event_s_aggregate_instead_of_its_party() -> None:
    with rc.open("memory://", clock=rc.ManualClock(T0)) as crm:
        engine = RuleEngine(crm)
        engine.install(
            """
[[rules]]
name = "per engagement"
trigger = "engagement.started"
subject = "aggregate"
reentry = "once_per_subject"
actions = [{ name = "tag_party", params = { tags = ["engaged"] } }]

[[rules]]
name = "per party"
trigger = "engagement.started"
reentry = "once_per_subject"
actions = [{ name = "tag_party", params = { tags = ["seen"] } }]
"""
        )
        ada = crm.parties.add(rc.Person(name="Ada"))
        _start(crm, ada)
        _start(crm, ada, T0 + timedelta(days=1))  # a second engagement: a new aggregate
        enrolled = sorted(
            (e.rule, e.subject == ada.id) for e in crm.repository("rule_enrolment").iterate()
        )
        assert enrolled == [
            ("per engagement", False),
            ("per engagement", False),
            ("per party", True),
        ]
        with pytest.raises(ValidationError, match="allowed"):
            load_rules(
                '[[rules]]\nname = "x"\ntrigger = "a"\nsubject = "order"\n'
                'actions = [{ name = "tag_party" }]\n'
            )


def test_local_says_whether_the_event_is_in_the_party_s_business_hours() -> None:
    evening = datetime(2026, 1, 5, 18, tzinfo=UTC)  # a Monday, 18:00 in London
    with rc.open("memory://", clock=rc.ManualClock(evening)) as crm:
        crm.repository(Business).add(Business.create("default", time_zone="Europe/London"))
        engine = RuleEngine(crm)
        engine.install(
            """
[[rules]]
name = "office hours"
trigger = "engagement.started"
condition = 'local.in_business_hours and local.weekday == "monday"'
actions = [{ name = "tag_party", params = { tags = ["in-hours"] } }]
"""
        )
        london = crm.parties.add(rc.Person(name="Lou"))  # no zone of its own: London's hours
        ny = crm.parties.add(rc.Person(name="Ny", time_zone="America/New_York"))  # 13:00 there
        _start(crm, london, evening)
        _start(crm, ny, evening)
        assert "in-hours" not in crm.parties.get(london.id).tags
        assert "in-hours" in crm.parties.get(ny.id).tags
        [failed] = engine.audits_for_subject(london.id)[0].failed
        assert failed.conditions[0].text == "local.in_business_hours"
        assert failed.conditions[0].values == (("local.in_business_hours", "False"),)


def test_a_delay_in_business_hours_moves_to_the_next_opening() -> None:
    friday = datetime(2026, 3, 6, 15, tzinfo=UTC)  # 16:00 in Paris
    with rc.open("memory://", clock=rc.ManualClock(friday)) as crm:
        crm.repository(Business).add(Business.create("default", time_zone="Europe/Paris"))
        engine = RuleEngine(crm)
        engine.install(
            """
[[rules]]
name = "next day, in hours"
trigger = "engagement.started"
delay = "1 day"
business_hours = true
actions = [{ name = "tag_party", params = { tags = ["later"] } }]
"""
        )
        ada = crm.parties.add(rc.Person(name="Ada"))
        _start(crm, ada, friday)
        [job] = crm.jobs.list_jobs(queue="rules.action")
        assert job.due_at == datetime(2026, 3, 9, 8, tzinfo=UTC)  # Saturday -> Monday 09:00 Paris
        assert engine.installed().canonical()["rules"][0]["business_hours"] is True  # type: ignore[union-attr]
