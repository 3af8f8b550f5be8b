"""Deciding one event: its context, the matching rules, re-entry and suppression, the plan.

The pure-ish half of the engine (`relationship_core._rules.engine` acts on
what this decides): it reads through the unit of work but writes nothing, so
`RuleEngine.dry_run` and ``rules replay`` use it as it is.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core import _serialize
from relationship_core._rules.actions import rule_actions_of
from relationship_core._rules.audit import (
    ACTIVE,
    RULE_ENROLMENTS,
    RULE_SETS,
    Enrolment,
    FailedCondition,
    FailedRule,
    RuleSetRecord,
    enrolment_id,
)
from relationship_core._rules.context import Context, Exposure
from relationship_core._rules.followups import local_calendar
from relationship_core._rules.localtime import LOCAL, local_time, uses_local
from relationship_core._rules.ruleset import RuleSet, RuleSpec, load_rules
from relationship_core._rules.values import shift

if TYPE_CHECKING:
    from relationship_core._app.uow import Session, UnitOfWork
    from relationship_core._domain.events import DomainEvent

__all__ = [
    "Decision",
    "Facts",
    "Plan",
    "PlannedAction",
    "actions_by_name",
    "compiled_ruleset",
    "evaluate",
    "event_key",
    "facts_of",
    "installed",
    "store_of",
]

_cache_lock = threading.Lock()
_compiled: dict[str, RuleSet] = {}
_exposures: dict[tuple[type, ...], Exposure] = {}
_without_rules: weakref.WeakKeyDictionary[UnitOfWork, bool] = weakref.WeakKeyDictionary()


@attrs.frozen
class PlannedAction:
    """An action a matched rule would take: now (``due`` is the event's instant) or later."""

    rule: str
    action: str
    params: Mapping[str, Any]
    due: datetime
    delayed: bool
    skipped: str | None = None


@attrs.frozen
class Plan:
    """What the engine decides for one event (`RuleEngine.dry_run` returns it; nothing is written).

    Attributes:
        event_type: The event's name.
        subject: The party's id, or the event's aggregate id.
        version: The rule-set version deciding.
        considered: The rules whose triggers include the event's type.
        matched: The rules whose conditions held, in priority order.
        failed: For each other rule considered, the conditions that failed and their values.
        actions: What the matched rules do, in order, with due times (and why one is skipped).
    """

    event_type: str
    subject: str
    version: str
    considered: tuple[str, ...]
    matched: tuple[str, ...]
    failed: tuple[FailedRule, ...]
    actions: tuple[PlannedAction, ...]


def compiled_ruleset(record: RuleSetRecord) -> RuleSet:
    """The compiled rule set of a stored record (compiled once per version per process)."""
    with _cache_lock:
        found = _compiled.get(record.version)
    if found is None:
        found = load_rules(record.source)
        with _cache_lock:
            if len(_compiled) > 64:
                _compiled.clear()
            _compiled[record.version] = found
    return found


def exposure_of(classes: tuple[type, ...]) -> Exposure:
    with _cache_lock:
        found = _exposures.get(classes)
    if found is None:
        found = Exposure.of_attrs(*(c for c in classes if attrs.has(c)))
        with _cache_lock:
            _exposures[classes] = found
    return found


def store_of(uow: UnitOfWork) -> Session:
    """The store a unit of work belongs to (its kinds and the plugins' contributions)."""
    return uow.session


def event_key(event: DomainEvent) -> str:
    """The event's identity across replays: its type, aggregate, instant and a hash of its data.

    Not the envelope id: republishing a logged event gives it a new envelope,
    and a replay must meet its enrolments.
    """
    data = json.dumps(_serialize.event_to_dict(event)["data"], sort_keys=True, default=str)
    digest = hashlib.sha256(data.encode()).hexdigest()[:16]
    return f"{event.name}|{event.aggregate_id}|{event.occurred_at.isoformat()}|{digest}"


def find_record(uow: UnitOfWork, kind: str, id: object) -> object | None:
    if not isinstance(id, str) or not id or kind not in store_of(uow).registry:
        return None
    return uow.repository(kind).find(id)


@attrs.frozen
class Facts:
    context: Context
    subject: str
    party_id: str | None
    party: object | None = None
    aggregate_id: str = ""
    engagement_id: str | None = None

    def subject_for(self, rule: RuleSpec) -> str:
        """Whom *rule* enrols for this event (see `RuleSpec.subject`)."""
        if rule.subject == "aggregate":
            return self.aggregate_id
        if rule.subject == "engagement" and self.engagement_id:
            return self.engagement_id
        return self.subject


def facts_of(uow: UnitOfWork, event: DomainEvent, *, with_local: bool = False) -> Facts:
    """The context of *event*: the event, its aggregate (by the event type's prefix), party, engagement.

    With *with_local*, also ``local``: the event's instant in the party's calendar (`LocalTime`).
    """
    prefix = event.name.partition(".")[0]
    roots: dict[str, object] = {"event": event}
    aggregate = None
    if prefix not in ("event", "party", "engagement", "now", LOCAL):
        aggregate = find_record(uow, prefix, event.aggregate_id)
        if aggregate is not None:
            roots[prefix] = aggregate
    party_id = getattr(event, "party_id", None) or getattr(aggregate, "party_id", None)
    if prefix == "party":
        party_id = event.aggregate_id
    engagement_id = getattr(event, "engagement_id", None) or getattr(
        aggregate, "engagement_id", None
    )
    if prefix in ("engagement", "customer", "client"):
        engagement_id = event.aggregate_id
    engagement = find_record(uow, "engagement", engagement_id)
    if engagement is not None:
        roots["engagement"] = engagement
        party_id = party_id or getattr(engagement, "party_id", None)
    party = find_record(uow, "party", party_id)
    if party is not None:
        roots["party"] = party
    if with_local:
        roots[LOCAL] = local_time(uow, party, event.occurred_at)
    classes = tuple(type(v) for v in roots.values())
    pid = party_id if isinstance(party_id, str) else None
    return Facts(
        Context(roots, now=event.occurred_at, exposure=exposure_of(classes)),
        pid or event.aggregate_id,
        pid,
        party,
        event.aggregate_id,
        getattr(engagement, "id", None),
    )


def failed_rule(rule: str, why: Any) -> FailedRule:
    return FailedRule(
        rule,
        tuple(
            FailedCondition(f.text, tuple((name, repr(value)) for name, value in f.values))
            for f in why.failures()
        ),
    )


class Decision:
    """Whether a rule may act for the subject now, and the enrolment to write if so."""

    def __init__(
        self,
        uow: UnitOfWork,
        rule: RuleSpec,
        subject: str,
        event_key: str,
        at: datetime,
        *,
        suppressed: str | None = None,
    ) -> None:
        mode = rule.reentry.mode
        self.subject = subject
        self.id = enrolment_id(rule.name, subject, event_key if mode == "once_per_event" else None)
        self.skipped: str | None = suppressed  # a suppressed subject is never enrolled
        self.count = 1
        self.existing: Enrolment | None = (
            None if suppressed else uow.repository(RULE_ENROLMENTS).find(self.id)
        )
        found = self.existing
        if found is None:
            return
        if found.event_key == event_key:
            self.skipped = "acted for this event already (a replay)"
        elif mode == "once_per_subject":
            self.skipped = "acted for this subject already (once per subject)"
        elif rule.reentry.cooldown is not None:
            until = shift(found.last_at, 1, rule.reentry.cooldown)
            if isinstance(until, datetime) and at < until:
                self.skipped = f"cooling down until {until.isoformat()}"
        self.count = found.count + 1

    @property
    def key(self) -> str:
        return f"{self.id}:{self.count}"

    def record(
        self, uow: UnitOfWork, rule: str, subject: str, event_key: str, at: datetime
    ) -> None:
        if self.existing is None:
            uow.add(Enrolment(self.id, rule, subject, event_key, at))
        else:
            self.existing.event_key = event_key
            self.existing.last_at = at
            self.existing.count = self.count


def evaluate(
    uow: UnitOfWork, ruleset: RuleSet, event: DomainEvent
) -> tuple[Plan, Facts, list[tuple[RuleSpec, Decision]]] | None:
    considered = [r for r in ruleset.rules if r.enabled and triggers_on(r, event.name)]
    if not considered:
        return None
    facts = facts_of(uow, event, with_local=uses_local(ruleset))
    result = ruleset.index.match_explained(event.name, facts.context)
    names = {rule.name for rule in result.matched}
    explained = {rule.name: why for rule, why in result.failed}  # the index pruned the others
    matched = sorted(
        (r for r in considered if r.name in names), key=lambda r: -r.priority
    )  # stable: file order within a priority
    key = event_key(event)
    delayed = any(rule.delay is not None for rule in matched)
    calendar = local_calendar(uow, facts.party) if delayed else None
    decisions = [
        (
            rule,
            Decision(
                uow,
                rule,
                facts.subject_for(rule),
                key,
                event.occurred_at,
                suppressed=ruleset.suppressed(rule, facts.party_id, facts.context),
            ),
        )
        for rule in matched
    ]
    planned = [
        PlannedAction(
            rule.name,
            call.name,
            call.params,
            rule.due(event.occurred_at, calendar),
            rule.delay is not None,
            decision.skipped,
        )
        for rule, decision in decisions
        for call in rule.actions
    ]
    plan = Plan(
        event.name,
        facts.subject,
        ruleset.version,
        tuple(r.name for r in considered),
        tuple(r.name for r in matched),
        tuple(
            failed_rule(
                rule.name, explained.get(rule.name) or rule.condition.explain(facts.context)
            )
            for rule in considered
            if rule.name not in names
        ),
        tuple(planned),
    )
    return plan, facts, decisions


def triggers_on(rule: RuleSpec, event_name: str) -> bool:
    return "*" in rule.triggers or event_name in rule.triggers


def actions_by_name(uow: UnitOfWork) -> dict[str, Any]:
    return {name: spec.action for name, spec in rule_actions_of(store_of(uow)).items()}


def installed(uow: UnitOfWork) -> RuleSet | None:
    """The store's rule set as *uow* sees it: read once per unit of work (then it is tracked)."""
    if RULE_SETS.kind not in store_of(uow).registry or uow in _without_rules:
        return None
    record = uow.repository(RULE_SETS).find(ACTIVE)
    if record is None:
        _without_rules[uow] = True  # no read per event in a store without rules
        return None
    return compiled_ruleset(record)
