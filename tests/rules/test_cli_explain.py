"""``relationship-core rules explain RULE EVENT_ID --store URL``: the audit of one rule on one event."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core import Engagement, Person
from relationship_core._cli import main
from relationship_core._rules.engine import RuleEngine

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
RULES = """
[[rules]]
name = "vip"
trigger = "engagement.started"
condition = 'party.tags contains "vip"'
actions = [{ name = "tag_party", params = { tags = ["seen"] } }]

[[rules]]
name = "all"
trigger = "engagement.started"
actions = [{ name = "tag_party", params = { tags = ["welcomed"] } }]
"""


def test_explain_shows_the_failed_condition_with_its_values_and_the_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'explain.db'}"
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        RuleEngine(crm).install(RULES)
        ada = crm.parties.add(Person(name="Ada", tags=["new"]))
        crm.engagements.add(
            Engagement.start(ada, kind="customer", acquired_on=T0.date(), at=T0, support_team="d")
        )
        [audit] = RuleEngine(crm).audits_for_subject(ada.id)
    assert main(["rules", "explain", "vip", audit.event_id, "--store", url]) == 0
    out = capsys.readouterr().out
    assert "vip: did not match" in out
    assert 'failed: party.tags contains "vip"' in out
    assert "'new'" in out  # the value it saw
    assert main(["rules", "explain", "all", audit.event_id, "--store", url]) == 0
    out = capsys.readouterr().out
    assert "all: matched" in out
    assert "tag_party: done" in out
    assert main(["rules", "explain", "nope", audit.event_id, "--store", url]) == 1
    assert "not considered" in capsys.readouterr().out
    assert main(["rules", "explain", "vip", "no-such-event", "--store", url]) == 1
    assert "no audit" in capsys.readouterr().err


def test_replay_is_a_dry_run_by_default_and_never_doubles_an_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    file = tmp_path / "new.toml"
    file.write_text(RULES.replace('"seen"', '"late"'), encoding="utf-8")
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada", tags=["vip"]))
        crm.engagements.add(
            Engagement.start(ada, kind="customer", acquired_on=T0.date(), at=T0, support_team="d")
        )
        ada_id = ada.id
    since = ["--store", url, "--since", "2026-01-01T00:00:00+00:00"]
    assert main(["rules", "replay", *since, "--rules", str(file)]) == 0
    out = capsys.readouterr().out
    assert "vip -> tag_party" in out
    assert "2 action(s) would run (dry run, nothing written)" in out
    with rc.open(url) as crm:
        assert "late" not in crm.parties.get(ada_id).tags
        RuleEngine(crm).install(file)
    assert main(["rules", "replay", *since, "--apply"]) == 0
    capsys.readouterr()
    assert main(["rules", "replay", *since, "--apply"]) == 0
    assert "0 action(s) would run" in capsys.readouterr().out  # acted already: skipped
    with rc.open(url) as crm:
        assert {"late", "welcomed"} <= set(crm.parties.get(ada_id).tags)
        assert len(list(crm.repository("rule_enrolment").iterate())) == 2
    assert main(["rules", "replay", "--store", url, "--since", "2026-01-01"]) == 2
