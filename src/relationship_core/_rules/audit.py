"""What the rule engine stores: the installed rule set, enrolments and the audit.

* ``rule_set``: the installed rule set's canonical form and version (the record ``"active"``),
  and each version ever installed (``version-<hash>``), so an audit's version can be read back.
* ``rule_enrolment``: one per (rule, subject[, event]) the rule acted for; its id is
  derived from that key, so a replayed event meets it and does nothing, and two
  racing units of work adding it collide (the loser's commit fails and is retried).
* ``rule_audit``: one compact record per event evaluated: the rules considered,
  matched, the failed conditions with the values they saw, the actions run or
  scheduled and their results. Written in the event's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core._app.mapping import KindMapping
from relationship_core._rules.followups import FOLLOW_UPS

if TYPE_CHECKING:
    from relationship_core._app.repository import Repository

__all__ = [
    "ACTIVE",
    "ActionOutcome",
    "Enrolment",
    "FailedCondition",
    "FailedRule",
    "RULE_AUDITS",
    "RULE_ENROLMENTS",
    "RULE_MAPPINGS",
    "RULE_SETS",
    "RuleAudit",
    "RuleSetRecord",
    "audits_for_rule",
    "audits_for_subject",
    "enrolment_id",
    "version_id",
]

#: The id of the installed rule set's record.
ACTIVE = "active"


@attrs.define
class RuleSetRecord:
    """The installed rule set: its canonical form and version."""

    id: str
    version: str
    source: dict[str, Any]
    installed_at: datetime


@attrs.define
class Enrolment:
    """A rule acted for a subject (for one event, ever, or last at *last_at*)."""

    id: str
    rule: str
    subject: str
    event_key: str
    last_at: datetime
    count: int = 1


@attrs.frozen
class FailedCondition:
    """A part of a condition that was false, with the values it saw (as ``repr``)."""

    text: str
    values: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class FailedRule:
    """A rule considered that did not match, and which conditions failed."""

    rule: str
    conditions: tuple[FailedCondition, ...] = ()


@attrs.frozen
class ActionOutcome:
    """One action of a matched rule: ``done``, ``scheduled`` (with *due*) or ``skipped`` (*reason*)."""

    rule: str
    action: str
    status: str
    due: datetime | None = None
    result: Mapping[str, str] = attrs.field(factory=dict)


@attrs.define
class RuleAudit:
    """What the engine decided for one event, under which rule-set version."""

    id: str
    event_id: str
    event_type: str
    subject: str
    at: datetime
    ruleset_version: str
    considered: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    failed: tuple[FailedRule, ...] = ()
    actions: tuple[ActionOutcome, ...] = ()


def version_id(version: str) -> str:
    """The id of the kept record of rule-set *version* (``sha256:<hex>`` -> ``version-<hex>``)."""
    return "version-" + version.partition(":")[2] if ":" in version else f"version-{version}"


def enrolment_id(rule: str, subject: str, event_key: str | None) -> str:
    """The enrolment's id: a hash of (rule, subject[, event]); fits every backend's id length."""
    text = "\x1f".join((rule, subject, event_key or ""))
    return "enrol-" + hashlib.sha256(text.encode()).hexdigest()[:40]


RULE_SETS: KindMapping[RuleSetRecord] = KindMapping(
    "rule_set", RuleSetRecord, indexed={"digest": ("str", lambda r: r.version)}
)
RULE_ENROLMENTS: KindMapping[Enrolment] = KindMapping(
    "rule_enrolment",
    Enrolment,
    indexed={"rule": ("str", lambda e: e.rule), "subject": ("str", lambda e: e.subject)},
)
RULE_AUDITS: KindMapping[RuleAudit] = KindMapping(
    "rule_audit",
    RuleAudit,
    indexed={
        "subject": ("str", lambda a: a.subject),
        "event_type": ("str", lambda a: a.event_type),
        "at": ("datetime", lambda a: a.at),
        "ruleset_version": ("str", lambda a: a.ruleset_version),
    },
)

#: The kinds the rules plugin contributes.
RULE_MAPPINGS: tuple[KindMapping[Any], ...] = (
    RULE_SETS,
    RULE_ENROLMENTS,
    RULE_AUDITS,
    FOLLOW_UPS,
)


def audits_for_subject(repo: Repository[RuleAudit], subject: str) -> list[RuleAudit]:
    """The audit of every event evaluated for *subject*, oldest first (an indexed query)."""
    return list(repo.iterate(subject=subject, order_by="at"))


def audits_for_rule(repo: Repository[RuleAudit], rule: str) -> Iterator[RuleAudit]:
    """The audits in which *rule* was considered, oldest first.

    A scan of the audit (filtered here): per-subject is the indexed question;
    per-rule is for investigating one rule, not for hot paths.
    """
    for audit in repo.iterate(order_by="at"):
        if rule in audit.considered:
            yield audit
