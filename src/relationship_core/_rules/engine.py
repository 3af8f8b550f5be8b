"""The rule engine: an event handler on ``"*"`` running the installed rule set in the event's unit of work.

For each event whose type some enabled rule triggers on, the engine builds a
`Context` (the event, its aggregate, party and engagement, read through the unit
of work's repositories and exposed field by field), asks the `RuleIndex` which
rules match, and for each match in priority order either runs its actions right
there or enqueues them as one job (queue ``rules.action``, group
``rule:<rule>:<subject>``) due after the rule's delay. An enrolment record per
(rule, subject[, event]) makes a replayed event a no-op. One audit record per
event says what was decided and why, in the same transaction.

Actions may change aggregates whose events reach the engine again: that cascade
is bounded by the bus's ``max_event_depth`` like any other handler's.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core import _serialize
from relationship_core._rules.actions import ActionContext, rule_actions_of
from relationship_core._rules.audit import (
    ACTIVE,
    RULE_AUDITS,
    RULE_ENROLMENTS,
    RULE_SETS,
    ActionOutcome,
    Enrolment,
    FailedCondition,
    FailedRule,
    RuleAudit,
    RuleSetRecord,
    audits_for_rule,
    audits_for_subject,
    enrolment_id,
)
from relationship_core._rules.context import Context, Exposure
from relationship_core._rules.followups import end_by_goals, follow_up_active
from relationship_core._rules.ruleset import RuleSet, RuleSpec, load_rules
from relationship_core._rules.values import shift
from relationship_core._storage.contract import NewJob
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import Session, UnitOfWork
    from relationship_core._domain.events import DomainEvent
    from relationship_core._storage.contract import Job

__all__ = ["ACTION_QUEUE", "Plan", "PlannedAction", "RuleEngine", "handle_event", "run_delayed"]

#: The queue of delayed rule actions.
ACTION_QUEUE = "rules.action"

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


def _ruleset(record: RuleSetRecord) -> RuleSet:
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


def _exposure(classes: tuple[type, ...]) -> Exposure:
    with _cache_lock:
        found = _exposures.get(classes)
    if found is None:
        found = Exposure.of_attrs(*(c for c in classes if attrs.has(c)))
        with _cache_lock:
            _exposures[classes] = found
    return found


def _store(uow: UnitOfWork) -> Session:
    """The store a unit of work belongs to (its kinds and the plugins' contributions)."""
    return uow._crm


def _event_key(event: DomainEvent) -> str:
    """The event's identity across replays: its type, aggregate, instant and a hash of its data.

    Not the envelope id: republishing a logged event gives it a new envelope,
    and a replay must meet its enrolments.
    """
    data = json.dumps(_serialize.event_to_dict(event)["data"], sort_keys=True, default=str)
    digest = hashlib.sha256(data.encode()).hexdigest()[:16]
    return f"{event.name}|{event.aggregate_id}|{event.occurred_at.isoformat()}|{digest}"


def _find(uow: UnitOfWork, kind: str, id: object) -> object | None:
    if not isinstance(id, str) or not id or kind not in _store(uow).registry:
        return None
    return uow.repository(kind).find(id)


@attrs.frozen
class _Facts:
    context: Context
    subject: str
    party_id: str | None


def _facts(uow: UnitOfWork, event: DomainEvent) -> _Facts:
    """The context of *event*: the event, its aggregate (by the event type's prefix), party, engagement."""
    prefix = event.name.partition(".")[0]
    roots: dict[str, object] = {"event": event}
    aggregate = None
    if prefix not in ("event", "party", "engagement", "now"):
        aggregate = _find(uow, prefix, event.aggregate_id)
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
    engagement = _find(uow, "engagement", engagement_id)
    if engagement is not None:
        roots["engagement"] = engagement
        party_id = party_id or getattr(engagement, "party_id", None)
    party = _find(uow, "party", party_id)
    if party is not None:
        roots["party"] = party
    classes = tuple(type(v) for v in roots.values())
    pid = party_id if isinstance(party_id, str) else None
    return _Facts(
        Context(roots, now=event.occurred_at, exposure=_exposure(classes)),
        pid or event.aggregate_id,
        pid,
    )


def _failed(rule: str, why: Any) -> FailedRule:
    return FailedRule(
        rule,
        tuple(
            FailedCondition(f.text, tuple((name, repr(value)) for name, value in f.values))
            for f in why.failures()
        ),
    )


class _Decision:
    """Whether a rule may act for the subject now, and the enrolment to write if so."""

    def __init__(
        self, uow: UnitOfWork, rule: RuleSpec, subject: str, event_key: str, at: datetime
    ) -> None:
        mode = rule.reentry.mode
        self.id = enrolment_id(rule.name, subject, event_key if mode == "once_per_event" else None)
        self.existing: Enrolment | None = uow.repository(RULE_ENROLMENTS).find(self.id)
        self.skipped: str | None = None
        self.count = 1
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


def _evaluate(
    uow: UnitOfWork, ruleset: RuleSet, event: DomainEvent
) -> tuple[Plan, _Facts, list[tuple[RuleSpec, _Decision]]] | None:
    considered = [r for r in ruleset.rules if r.enabled and _triggers(r, event.name)]
    if not considered:
        return None
    facts = _facts(uow, event)
    result = ruleset.index.match_explained(event.name, facts.context)
    names = {rule.name for rule in result.matched}
    explained = {rule.name: why for rule, why in result.failed}  # the index pruned the others
    matched = sorted(
        (r for r in considered if r.name in names), key=lambda r: -r.priority
    )  # stable: file order within a priority
    key = _event_key(event)
    decisions = [
        (rule, _Decision(uow, rule, facts.subject, key, event.occurred_at)) for rule in matched
    ]
    planned = [
        PlannedAction(
            rule.name,
            call.name,
            call.params,
            rule.due(event.occurred_at),
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
            _failed(rule.name, explained.get(rule.name) or rule.condition.explain(facts.context))
            for rule in considered
            if rule.name not in names
        ),
        tuple(planned),
    )
    return plan, facts, decisions


def _triggers(rule: RuleSpec, event_name: str) -> bool:
    return "*" in rule.triggers or event_name in rule.triggers


def _actions(uow: UnitOfWork) -> dict[str, Any]:
    return {name: spec.action for name, spec in rule_actions_of(_store(uow)).items()}


def _installed(uow: UnitOfWork) -> RuleSet | None:
    """The store's rule set as *uow* sees it: read once per unit of work (then it is tracked)."""
    if RULE_SETS.kind not in _store(uow).registry or uow in _without_rules:
        return None
    record = uow.repository(RULE_SETS).find(ACTIVE)
    if record is None:
        _without_rules[uow] = True  # no read per event in a store without rules
        return None
    return _ruleset(record)


def handle_event(event: DomainEvent, uow: UnitOfWork) -> None:
    """The ``"*"`` handler: run the installed rule set on *event*, in *uow*."""
    ruleset = _installed(uow)
    if ruleset is None:
        return
    goals = _goals(uow, ruleset, event)
    evaluated = _evaluate(uow, ruleset, event)
    if evaluated is None:
        if goals:
            subject = goals[0].result["subject"]
            ended = tuple(dict.fromkeys(g.rule for g in goals))  # goal rules: considered
            uow.add(
                _audit(
                    uow, event, Plan(event.name, subject, ruleset.version, ended, (), (), ()), goals
                )
            )
        return
    plan, facts, decisions = evaluated
    key = _event_key(event)
    actions = _actions(uow)
    outcomes: list[ActionOutcome] = list(goals)
    for rule, decision in decisions:
        if decision.skipped is not None:
            outcomes.extend(
                ActionOutcome(rule.name, c.name, "skipped", result={"reason": decision.skipped})
                for c in rule.actions
            )
            continue
        decision.record(uow, rule.name, facts.subject, key, event.occurred_at)
        context = ActionContext(
            uow,
            rule.name,
            facts.subject,
            facts.party_id,
            event.name,
            event.aggregate_id,
            _serialize.event_to_dict(event)["data"],
            decision.key,
            event.occurred_at,
        )
        if rule.delay is not None:
            outcomes.extend(_schedule(uow, rule, context, ruleset.version))
            continue
        for call in rule.actions:
            result = actions[call.name](context, call.params)
            outcomes.append(ActionOutcome(rule.name, call.name, "done", result=dict(result)))
    uow.add(_audit(uow, event, plan, outcomes))


def _goals(uow: UnitOfWork, ruleset: RuleSet, event: DomainEvent) -> list[ActionOutcome]:
    """End the follow-ups whose rules' goals *event* meets (in *uow*); what was ended."""
    rules = [r for r in ruleset.rules if any(event.name in g.triggers for g in r.goals)]
    if not rules:
        return []
    facts = _facts(uow, event)
    ended = end_by_goals(
        uow, rules, event.name, context=facts.context, subject=facts.subject, at=event.occurred_at
    )
    return [
        ActionOutcome(rule, "goal", "done", result={**result, "subject": facts.subject})
        for rule, result in ended
    ]


def _audit(
    uow: UnitOfWork, event: DomainEvent, plan: Plan, outcomes: Sequence[ActionOutcome]
) -> RuleAudit:
    try:
        event_id = uow.envelope(event).id or _event_key(event)
    except ValidationError:  # not dispatched by this unit of work: name it by its identity
        event_id = _event_key(event)
    return RuleAudit(
        f"audit-{event_id}" if len(event_id) < 100 else enrolment_id("audit", event_id, None),
        event_id,
        event.name,
        plan.subject,
        event.occurred_at,
        plan.version,
        plan.considered,
        plan.matched,
        plan.failed,
        tuple(outcomes),
    )


def _schedule(
    uow: UnitOfWork, rule: RuleSpec, context: ActionContext, version: str
) -> list[ActionOutcome]:
    due = rule.due(context.at)
    job = NewJob(
        ACTION_QUEUE,
        {
            "rule": rule.name,
            "version": version,
            "subject": context.subject,
            "party_id": context.party_id,
            "event_type": context.event_type,
            "aggregate_id": context.aggregate_id,
            "data": dict(context.data),
            "key": context.key,
            "actions": [{"name": c.name, "params": dict(c.params)} for c in rule.actions],
        },
        due,
        idempotency_key=f"{context.key}:delayed",
        group=f"rule:{rule.name}:{context.subject}",
    )
    uow.enqueue(job)
    return [
        ActionOutcome(rule.name, c.name, "scheduled", due=due, result={"job": job.id})
        for c in rule.actions
    ]


def run_delayed(job: Job, uow: UnitOfWork) -> None:
    """The ``rules.action`` job handler: run a rule's delayed actions and audit them."""
    p = job.payload
    context = ActionContext(
        uow,
        p["rule"],
        p["subject"],
        p["party_id"],
        p["event_type"],
        p["aggregate_id"],
        p["data"],
        p["key"],
        job.due_at,
    )
    actions = _actions(uow)
    outcomes = []
    skipped = None if "follow_up" not in p else follow_up_active(uow, p, job.due_at)
    if skipped is not None:
        outcomes.append(
            ActionOutcome(p["rule"], "follow_up", "skipped", result={"reason": skipped})
        )
    for call in p["actions"] if skipped is None else ():
        action = actions.get(call["name"])
        if action is None:
            raise ValidationError(
                "job.payload.actions", call["name"], "this store no longer offers the action"
            )
        result = action(context, call["params"])
        outcomes.append(ActionOutcome(p["rule"], call["name"], "done", result=dict(result)))
    uow.add(
        RuleAudit(
            f"audit-job-{job.id}",
            job.id,
            ACTION_QUEUE,
            p["subject"],
            job.due_at,
            p["version"],
            (p["rule"],),
            (p["rule"],),
            (),
            tuple(outcomes),
        )
    )


class RuleEngine:
    """The rule engine of one store: install rules, dry-run events, read the audit.

    Args:
        crm: An open store (its plugins must include the rules feature, the default).
    """

    def __init__(self, crm: CRM) -> None:
        if RULE_SETS.kind not in crm.registry:
            raise ValidationError(
                "crm.registry",
                RULE_SETS.kind,
                "this store lacks the rules feature (relationship_core.rules)",
            )
        self.crm = crm

    def load(self, source: object) -> RuleSet:
        """*source* loaded and checked against this store's event types and actions."""
        return source if isinstance(source, RuleSet) else load_rules(source, crm=self.crm)

    def install(self, source: object) -> RuleSet:
        """Check *source* and make it the store's rule set (replacing the previous one)."""
        ruleset = load_rules(
            source.canonical() if isinstance(source, RuleSet) else source, crm=self.crm
        )
        now = self.crm.clock.now()
        with self.crm.unit_of_work() as uow:
            repo = uow.repository(RULE_SETS)
            found = repo.find(ACTIVE)
            if found is None:
                repo.add(RuleSetRecord(ACTIVE, ruleset.version, ruleset.canonical(), now))
            else:
                found.version, found.source, found.installed_at = (
                    ruleset.version,
                    ruleset.canonical(),
                    now,
                )
        return ruleset

    def installed(self) -> RuleSet | None:
        """The store's rule set, or ``None``."""
        record = self.crm.repository(RULE_SETS).find(ACTIVE)
        return None if record is None else _ruleset(record)

    def dry_run(self, event: DomainEvent, ruleset: RuleSet | None = None) -> Plan | None:
        """What the installed rules (or *ruleset*) would do with *event* (``None``: no rule triggers on it); writes nothing."""
        uow = self.crm.unit_of_work()
        try:
            ruleset = _installed(uow) if ruleset is None else ruleset
            evaluated = None if ruleset is None else _evaluate(uow, ruleset, event)
            return None if evaluated is None else evaluated[0]
        finally:
            uow.rollback()

    def audits_for_subject(self, subject: str) -> list[RuleAudit]:
        """The audit of every event evaluated for *subject* (a party id, or an aggregate id)."""
        return audits_for_subject(self.crm.repository(RULE_AUDITS), subject)

    def audits_for_rule(self, rule: str) -> list[RuleAudit]:
        """The audits that considered *rule* (a scan; see `audits_for_rule`)."""
        return list(audits_for_rule(self.crm.repository(RULE_AUDITS), rule))
