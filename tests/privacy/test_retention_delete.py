"""Retention that deletes: the rule audit (through `prune_audits`) and ended rate-limit windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

import relationship_core as rc
from relationship_core._privacy import raw
from relationship_core._rules.audit import RULE_AUDITS, RuleAudit
from relationship_core._rules.retention import DEFAULT_RETENTION as AUDIT_RETENTION
from relationship_core.exceptions import ValidationError
from relationship_core.privacy import DEFAULT_RETENTION, RetentionPolicy, apply_retention
from relationship_core.web._kinds import RATE_WINDOWS, RateWindow

from .story import T0


def _fill(crm: rc.CRM) -> None:
    with crm.unit_of_work() as uow:
        for n, days in enumerate((0, 10, 200)):
            uow.repository(RULE_AUDITS).add(
                RuleAudit(
                    id=f"audit-{n}",
                    event_id=f"ev-{n}",
                    event_type="ticket.opened",
                    subject=f"party-{n}",
                    at=T0 - timedelta(days=days),
                    ruleset_version="v1",
                )
            )
        for n, hours in enumerate((1, 30, 24 * 40)):
            uow.repository(RATE_WINDOWS).add(
                RateWindow(
                    id=f"form.email:someone{n}@example.org:{n}",
                    scope="form.email",
                    count=3,
                    ends_at=T0 - timedelta(hours=hours),
                )
            )


def test_old_audits_and_ended_windows_are_deleted_recent_ones_kept(url: str) -> None:
    with rc.open(url) as crm:
        _fill(crm)
        report = apply_retention(crm, now=T0)
        assert report.deleted == {"rule_audit": 1, "web_rate_window": 2}
        assert sorted(a.id for a in crm.repository(RULE_AUDITS).iterate()) == [
            "audit-0",
            "audit-1",
        ]
        assert [w.id for w in crm.repository(RATE_WINDOWS).iterate()] == [
            "form.email:someone0@example.org:0"
        ]
        deletions = [e for e in raw.all_events(crm.backend) if e.type.endswith(".deleted")]
        assert len(deletions) == 3
        assert apply_retention(crm, now=T0).deleted == {}


def test_the_audit_default_is_the_rules_features_own() -> None:
    [audit] = [p for p in DEFAULT_RETENTION if p.kind == "rule_audit"]
    assert (audit.keep_for, audit.delete, audit.age_field) == (AUDIT_RETENTION, True, "at")


def test_a_shorter_audit_policy_and_the_worker(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    with rc.open(url, clock=rc.ManualClock(T0)) as crm:
        _fill(crm)
        crm.jobs.enqueue("privacy.retention", {}, due_at=T0)
        [result] = rc.Runner(crm, queues=["privacy.retention"], worker="w1").run_once()
        assert result.outcome == "done", result
        assert crm.repository(RULE_AUDITS).count() == 2
        short = RetentionPolicy("rule_audit", timedelta(days=5), age_field="at", delete=True)
        assert apply_retention(crm, [short], now=T0).deleted == {"rule_audit": 1}
        assert [a.id for a in crm.repository(RULE_AUDITS).iterate()] == ["audit-0"]


def test_events_cannot_be_deleted() -> None:
    with pytest.raises(ValidationError, match="delete"):
        RetentionPolicy("events", timedelta(days=1), delete=True)
