"""Rule actions: what a matched rule does, contributed by name through ``relationship_core_rule_actions``.

A `RuleActionSpec`'s ``action`` is a `RuleAction`: ``check(params, path)``
validates the parameters when the rule set loads (so a bad stage fails the
load, not the event), and calling it does the work in the unit of work it is
given, returning a small result for the audit. The built-ins reuse each
feature's own domain path (the same calls its service makes) but inside the
caller's unit of work, so the action commits with the event that caused it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core._rules.followups import check_follow_ups, schedule_follow_ups
from relationship_core._rules.notify_action import check_notification, send_notification
from relationship_core._rules.offered import actions_of, event_types_of, rule_actions_of
from relationship_core._rules.score_action import adjust_score, check_adjust_score
from relationship_core._storage.contract import NewJob
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = [
    "BUILTIN_ACTIONS",
    "WEBHOOK_QUEUE",
    "ActionContext",
    "RuleAction",
    "actions_of",
    "event_types_of",
    "rule_actions_of",
]

#: The queue `enqueue_webhook` puts its payloads on (the notification outbox delivers them).
WEBHOOK_QUEUE = "notify.webhook"

Params = Mapping[str, Any]


@attrs.frozen
class ActionContext:
    """What an action knows: where it runs, for which rule, subject and event.

    Attributes:
        uow: The unit of work to act in (the event's, or the delayed job's).
        rule: The rule's name.
        subject: The party's id when the event has one, else the event's aggregate id.
        party_id: The event's party, if any.
        event_type: The triggering event's name.
        aggregate_id: The triggering event's aggregate.
        data: The triggering event's data (JSON form).
        key: The enrolment's id: stable per (rule, subject[, event]), for ids and idempotency keys.
        at: When the action runs (the event's instant, or the job's due time).
        version: The rule-set version that decided (delayed jobs and follow-ups carry it).
    """

    uow: UnitOfWork
    rule: str
    subject: str
    party_id: str | None
    event_type: str
    aggregate_id: str
    data: Mapping[str, Any]
    key: str
    at: datetime
    version: str = ""

    def require_party(self, action: str) -> str:
        """The party, or a `ValidationError` saying the event names none."""
        if self.party_id is None:
            raise ValidationError(
                f"rules[{self.rule}].actions.{action}",
                self.event_type,
                "this event names no party; trigger the rule on a party's event",
            )
        return self.party_id

    def derived_id(self, what: str) -> str:
        """An id for what the action creates, the same whenever this enrolment acts again."""
        return f"rule-{what}-" + hashlib.sha256(self.key.encode()).hexdigest()[:20]


@attrs.frozen
class RuleAction:
    """An action: a parameter check at load and the work itself.

    Attributes:
        run: ``run(context, params) -> {str: str}``: acts, returns what it did (for the audit).
        check: ``check(params, path) -> params``: refuses bad parameters at load with a
            `ValidationError` naming ``path.<param>``; returns them, normalised.
    """

    run: Callable[[ActionContext, Params], Mapping[str, str]]
    check: Callable[[Params, str], Params] = attrs.field(default=lambda params, _path: params)

    def __call__(self, context: ActionContext, params: Params) -> Mapping[str, str]:
        return self.run(context, params)


# -- parameter checks --------------------------------------------------------------
def _only(params: Params, path: str, allowed: set[str], required: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for key in params:
        if key not in allowed:
            raise ValidationError(f"{path}.{key}", params[key], f"allowed: {sorted(allowed)}")
    for key in sorted(required):
        if key not in params:
            raise ValidationError(f"{path}.{key}", None, "required")


def _text(params: Params, path: str, key: str) -> str:
    value = params[key]
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{path}.{key}", value, "give a non-empty string")
    return value


def _texts(params: Params, path: str, key: str) -> list[str]:
    value = params[key]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise ValidationError(f"{path}.{key}", value, "give a string or a list of strings")
    return [
        _text({key: v}, f"{path}.{key}[{n}]"[: -len(key) - 1], key) for n, v in enumerate(values)
    ]


def _check_tag(params: Params, path: str) -> Params:
    _only(params, path, {"tags"}, {"tags"})
    return {"tags": _texts(params, path, "tags")}


def _check_stage(params: Params, path: str) -> Params:
    from relationship_core._lifecycle.definition import DEFAULT_LIFECYCLE

    _only(params, path, {"stage", "reason_code", "note"}, {"stage"})
    stage = _text(params, path, "stage")
    if stage not in DEFAULT_LIFECYCLE.names:
        raise ValidationError(f"{path}.stage", stage, f"allowed: {list(DEFAULT_LIFECYCLE.names)}")
    for key in ("reason_code", "note"):
        if key in params:
            _text(params, path, key)
    return dict(params)


def _check_task(params: Params, path: str) -> Params:
    from relationship_core._work.tasks import AssigneeKind, Priority

    _only(params, path, {"title", "assignee", "due_in_days", "priority", "checklist"}, {"title"})
    _text(params, path, "title")
    if "assignee" in params:
        kind, _, who = _text(params, path, "assignee").partition(":")
        if kind not in {k.value for k in AssigneeKind} or not who:
            raise ValidationError(
                f"{path}.assignee", params["assignee"], 'give "person:<id>" or "team:<id>"'
            )
    days = params.get("due_in_days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3660:
        raise ValidationError(f"{path}.due_in_days", days, "give a whole number of days, 0-3660")
    priority = params.get("priority", Priority.NORMAL.value)
    if priority not in {p.value for p in Priority}:
        raise ValidationError(
            f"{path}.priority", priority, f"allowed: {[p.value for p in Priority]}"
        )
    if "checklist" in params:
        _texts(params, path, "checklist")
    return dict(params)


def _check_webhook(params: Params, path: str) -> Params:
    _only(params, path, {"endpoint", "event"})
    for key in params:
        _text(params, path, key)
    return dict(params)


def _check_none(params: Params, path: str) -> Params:
    _only(params, path, set())
    return {}


# -- the built-in actions ----------------------------------------------------------
def tag_party(context: ActionContext, params: Params) -> Mapping[str, str]:
    """Tag the event's party."""
    party = context.uow.parties.get(context.require_party("tag_party"))
    party.tag(*params["tags"])
    return {"party": party.id, "tags": ",".join(params["tags"])}


def move_lifecycle_stage(context: ActionContext, params: Params) -> Mapping[str, str]:
    """Move the event's party to a lifecycle stage (the `LifecycleService.move` path)."""
    from relationship_core._lifecycle.reactions import lifecycle_of

    party = context.require_party("move_lifecycle_stage")
    lifecycle = lifecycle_of(context.uow, party)
    if lifecycle.stage == params["stage"]:
        return {"party": party, "stage": params["stage"], "moved": "no, already there"}
    lifecycle.move(
        params["stage"],
        occurred_at=context.at,
        recorded_at=context.at,
        actor=context.uow.actor,
        source_id=context.key,
        reason_code=params.get("reason_code"),
        note=params.get("note", ""),
    )
    return {"party": party, "stage": params["stage"]}


def create_task(context: ActionContext, params: Params) -> Mapping[str, str]:
    """Create a task for the event's party (the `WorkService.create_task` path)."""
    from relationship_core._work.service import actor_name
    from relationship_core._work.tasks import Assignee, Task

    tasks = context.uow.repository(Task)
    task_id = context.derived_id("task")
    if tasks.find(task_id) is not None:
        return {"task": task_id, "created": "no, exists"}
    assignee = None
    if "assignee" in params:
        kind, _, who = params["assignee"].partition(":")
        assignee = Assignee(kind, who)
    due = (context.at + timedelta(days=params.get("due_in_days", 0))).date()
    task = Task.create(
        params["title"],
        by=actor_name(context.uow.actor),
        at=context.at,
        id=task_id,
        party_id=context.party_id,
        assignee=assignee,
        priority=params.get("priority", "normal"),
        due_on=due if "due_in_days" in params else None,
    )
    if "checklist" in params:
        task.add_checklist("checklist", params["checklist"])
    context.uow.add(task)
    return {"task": task_id}


def enqueue_webhook(context: ActionContext, params: Params) -> Mapping[str, str]:
    """Enqueue the event as a webhook payload (the notification outbox delivers it)."""
    job = NewJob(
        WEBHOOK_QUEUE,
        {
            "endpoint": params.get("endpoint", "default"),
            "event": params.get("event", context.event_type),
            "rule": context.rule,
            "subject": context.subject,
            "data": dict(context.data),
        },
        context.at,
        idempotency_key=f"{context.key}:webhook",
    )
    context.uow.enqueue(job)
    return {"job": job.id, "queue": WEBHOOK_QUEUE}


def issue_invoice(context: ActionContext, params: Params) -> Mapping[str, str]:
    """Issue a fulfilled order's invoice, numbered from its business's sequence (billing's path)."""
    from relationship_core._app.billing.context import invoice_numbers
    from relationship_core._app.billing.policies import _business_of
    from relationship_core._billing.biller import invoice_for_order
    from relationship_core._billing.orders import Order, OrderStatus

    order = context.uow.repository(Order).get(context.aggregate_id)
    if order.invoice_id is not None or order.status is not OrderStatus.FULFILLED:
        return {"order": order.id, "issued": f"no, order is {order.status.value}"}
    business = _business_of(context.uow, order)
    invoice = invoice_for_order(order, context.at)
    local = context.at.astimezone(business.time_zone).date()
    invoice.issue(invoice_numbers(context.uow, business), local, context.at)
    context.uow.add(invoice)
    return {"order": order.id, "invoice": invoice.id}


def send_survey(context: ActionContext, params: Params) -> Mapping[str, str]:
    """Record the CSAT survey of the event's ticket (one per resolution)."""
    from relationship_core._support.csat import Survey
    from relationship_core._support.handlers import survey_id
    from relationship_core._support.tickets import Ticket

    ticket = context.uow.repository(Ticket).get(context.aggregate_id)
    sid = survey_id(ticket)
    surveys = context.uow.repository(Survey)
    if surveys.find(sid) is not None:
        return {"survey": sid, "created": "no, exists"}
    surveys.add(Survey.for_ticket(ticket, at=context.at, id=sid))
    return {"survey": sid}


_INNER_ACTIONS: tuple[tuple[str, RuleAction, str], ...] = (
    ("tag_party", RuleAction(tag_party, _check_tag), "tag the event's party: tags"),
    (
        "move_lifecycle_stage",
        RuleAction(move_lifecycle_stage, _check_stage),
        "move the party's lifecycle stage: stage, reason_code, note",
    ),
    (
        "create_task",
        RuleAction(create_task, _check_task),
        "a task for the party: title, assignee, due_in_days, priority, checklist",
    ),
    (
        "enqueue_webhook",
        RuleAction(enqueue_webhook, _check_webhook),
        f"the event on the {WEBHOOK_QUEUE} queue: endpoint, event",
    ),
    (
        "issue_invoice",
        RuleAction(issue_invoice, _check_none),
        "issue the fulfilled order's invoice",
    ),
    ("send_survey", RuleAction(send_survey, _check_none), "record the ticket's CSAT survey"),
    (
        "adjust_score",
        RuleAction(adjust_score, check_adjust_score),
        "add points to the party's score, with a reason in its explanation: model, points, reason",
    ),
    (
        "send_notification",
        RuleAction(send_notification, check_notification),
        "a template's notification through the outbox: template, channel, to",
    ),
)


def _check_follow_ups(params: Params, path: str) -> Params:
    return check_follow_ups(params, path, {name: action for name, action, _ in _INNER_ACTIONS})


#: ``(name, action, description)`` of the built-ins the rules plugin contributes.
BUILTIN_ACTIONS: tuple[tuple[str, RuleAction, str], ...] = (
    *_INNER_ACTIONS,
    (
        "schedule_follow_ups",
        RuleAction(schedule_follow_ups, _check_follow_ups),
        (
            "delayed follow-ups in business hours, ended by the rule's goals: "
            "days or every_days+times, at, business_hours, business, action"
        ),
    ),
)
