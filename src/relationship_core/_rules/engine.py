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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from relationship_core import _serialize
from relationship_core._rules.actions import ActionContext
from relationship_core._rules.audit import (
    ACTIVE,
    RULE_AUDITS,
    RULE_SETS,
    ActionOutcome,
    RuleAudit,
    RuleSetRecord,
    audits_for_rule,
    audits_for_subject,
    enrolment_id,
    version_id,
)
from relationship_core._rules.decide import (
    Plan,
    PlannedAction,
    actions_by_name,
    compiled_ruleset,
    evaluate,
    event_key,
    facts_of,
    installed,
)
from relationship_core._rules.followups import end_by_goals, follow_up_active, local_calendar
from relationship_core._rules.localtime import uses_local
from relationship_core._rules.offered import check_action_code
from relationship_core._rules.ruleset import RuleSet, RuleSpec, load_rules
from relationship_core._storage.contract import NewJob
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._domain.business import WorkingCalendar
    from relationship_core._domain.events import DomainEvent
    from relationship_core._storage.contract import Job

__all__ = ["ACTION_QUEUE", "Plan", "PlannedAction", "RuleEngine", "handle_event", "run_delayed"]

#: The queue of delayed rule actions.
ACTION_QUEUE = "rules.action"


def handle_event(event: DomainEvent, uow: UnitOfWork) -> None:
    """The ``"*"`` handler: run the installed rule set on *event*, in *uow*."""
    ruleset = installed(uow)
    if ruleset is None:
        return
    goals = _goals(uow, ruleset, event)
    evaluated = evaluate(uow, ruleset, event)
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
    key = event_key(event)
    actions = actions_by_name(uow)
    outcomes: list[ActionOutcome] = list(goals)
    for rule, decision in decisions:
        if decision.skipped is not None:
            outcomes.extend(
                ActionOutcome(rule.name, c.name, "skipped", result={"reason": decision.skipped})
                for c in rule.actions
            )
            continue
        decision.record(uow, rule.name, decision.subject, key, event.occurred_at)
        context = ActionContext(
            uow,
            rule.name,
            decision.subject,
            facts.party_id,
            event.name,
            event.aggregate_id,
            _serialize.event_to_dict(event)["data"],
            decision.key,
            event.occurred_at,
            ruleset.version,
        )
        if rule.delay is not None:
            outcomes.extend(
                _schedule(uow, rule, context, ruleset.version, local_calendar(uow, facts.party))
            )
            continue
        for call in rule.actions:
            check_action_code(
                f"rules[{rule.name}].actions.code", call.name, call.code, actions[call.name]
            )
            result = actions[call.name](context, call.params)
            outcomes.append(ActionOutcome(rule.name, call.name, "done", result=dict(result)))
    uow.add(_audit(uow, event, plan, outcomes))


def _goals(uow: UnitOfWork, ruleset: RuleSet, event: DomainEvent) -> list[ActionOutcome]:
    """End the follow-ups whose rules' goals *event* meets (in *uow*); what was ended."""
    rules = [r for r in ruleset.rules if any(event.name in g.triggers for g in r.goals)]
    if not rules:
        return []
    facts = facts_of(uow, event, with_local=uses_local(ruleset))
    outcomes: list[ActionOutcome] = []
    for rule in rules:
        subject = facts.subject_for(rule)
        ended = end_by_goals(
            uow, [rule], event.name, context=facts.context, subject=subject, at=event.occurred_at
        )
        outcomes.extend(
            ActionOutcome(name, "goal", "done", result={**result, "subject": subject})
            for name, result in ended
        )
    return outcomes


def _audit(
    uow: UnitOfWork, event: DomainEvent, plan: Plan, outcomes: Sequence[ActionOutcome]
) -> RuleAudit:
    try:
        event_id = uow.envelope(event).id or event_key(event)
    except ValidationError:  # not dispatched by this unit of work: name it by its identity
        event_id = event_key(event)
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
    uow: UnitOfWork,
    rule: RuleSpec,
    context: ActionContext,
    version: str,
    calendar: WorkingCalendar,
) -> list[ActionOutcome]:
    due = rule.due(context.at, calendar)
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
            "actions": [c.canonical() for c in rule.actions],
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
        p.get("version", ""),
    )
    actions = actions_by_name(uow)
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
        check_action_code("job.payload.actions.code", call["name"], call.get("code"), action)
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
        """Check *source* and make it the store's rule set (replacing the previous one).

        Each version installed is also kept (a ``rule_set`` record per version,
        see `version`), so an audit's version can be read back after a newer set
        replaced it.
        """
        ruleset = load_rules(
            source.canonical() if isinstance(source, RuleSet) else source, crm=self.crm
        )
        now = self.crm.clock.now()
        with self.crm.unit_of_work() as uow:
            repo = uow.repository(RULE_SETS)
            found = repo.find(ACTIVE)
            kept = version_id(ruleset.version)
            if repo.find(kept) is None:
                repo.add(RuleSetRecord(kept, ruleset.version, ruleset.canonical(), now))
            if found is None:
                repo.add(RuleSetRecord(ACTIVE, ruleset.version, ruleset.canonical(), now))
            else:
                found.version, found.source, found.installed_at = (
                    ruleset.version,
                    ruleset.canonical(),
                    now,
                )
        return ruleset

    def version(self, version: str) -> dict[str, Any] | None:
        """The canonical form of the rule set *version* (an audit's ``ruleset_version``), if it was installed here."""
        record = self.crm.repository(RULE_SETS).find(version_id(version))
        return None if record is None else dict(record.source)

    def installed(self) -> RuleSet | None:
        """The store's rule set, or ``None``."""
        record = self.crm.repository(RULE_SETS).find(ACTIVE)
        return None if record is None else compiled_ruleset(record)

    def dry_run(self, event: DomainEvent, ruleset: RuleSet | None = None) -> Plan | None:
        """What the installed rules (or *ruleset*) would do with *event* (``None``: no rule triggers on it); writes nothing."""
        uow = self.crm.unit_of_work()
        try:
            ruleset = installed(uow) if ruleset is None else ruleset
            evaluated = None if ruleset is None else evaluate(uow, ruleset, event)
            return None if evaluated is None else evaluated[0]
        finally:
            uow.rollback()

    def audits_for_subject(self, subject: str) -> list[RuleAudit]:
        """The audit of every event evaluated for *subject* (a party id, or an aggregate id)."""
        return audits_for_subject(self.crm.repository(RULE_AUDITS), subject)

    def audits_for_rule(self, rule: str) -> list[RuleAudit]:
        """The audits that considered *rule* (a scan; see `audits_for_rule`)."""
        return list(audits_for_rule(self.crm.repository(RULE_AUDITS), rule))
