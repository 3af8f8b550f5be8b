"""Follow-ups and goals: the ``schedule_follow_ups`` action and a rule's ``goals``.

``schedule_follow_ups`` enrols the subject: one `FollowUpEnrolment` record
(status ``active``) and one delayed ``rules.action`` job per follow-up, all in
one job group per enrolment (``rule:<rule>:<subject>:<enrolment id>``). Each
job runs the configured inner action (``create_task``, ``send_notification``...)
at its due time: 09:00 (``at``), local to the store's `Business` calendar, and
with ``business_hours`` (the default) on the next business day whose hours
contain that time.

A rule's ``goals`` (event types, each with an optional condition) end the
subject's active enrolments of that rule and cancel their groups, in the
goal event's transaction, including those enrolled earlier in that same unit
of work (not committed yet, so not found by a query: the unit of work's
tracked enrolments are read too). The race of a goal with a due follow-up is ordered
by optimistic concurrency: both read and write the enrolment (the follow-up
checks ``status == "active"`` and bumps ``done``; the goal sets ``ended``), so
of two concurrent commits one conflicts, and a follow-up retried after the
goal committed finds the enrolment ended and does nothing. Cancelling the
group also fences a follow-up that is running (its commit raises
`LeaseLostError`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.business import DEFAULT_BUSINESS, Business, WorkingCalendar
from relationship_core._storage.contract import NewJob
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.repository import Repository
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._rules.context import Context
    from relationship_core._rules.ruleset import RuleSpec

__all__ = [
    "FOLLOW_UPS",
    "FollowUpEnrolment",
    "check_follow_ups",
    "end_by_goals",
    "follow_up_times",
    "local_calendar",
    "schedule_follow_ups",
]

Params = Mapping[str, Any]
_KEYS = frozenset(
    {"days", "every_days", "times", "at", "business_hours", "business", "zone", "action"}
)
#: Where follow-ups are placed: the party's own time zone when it has one, or the business's.
ZONES = ("party", "business")
_UTC = ZoneInfo("UTC")
_QUEUE = "rules.action"  # the engine's ACTION_QUEUE (not imported: the engine imports us)


@attrs.define
class FollowUpEnrolment:
    """A subject enrolled in a rule's follow-ups: ``active``, ``completed`` or ``ended`` (by a goal).

    Attributes:
        id: Derived from the enrolment key of the rule's action.
        rule: The rule.
        subject: The subject (the party, or the event's aggregate).
        group: The job group of its follow-ups.
        planned: How many follow-ups were scheduled.
        done: How many have acted (each follow-up job bumps it).
        status: ``active`` until every follow-up acted (``completed``) or a goal ended it.
        ended_by: The goal event's type, when a goal ended it.
        ended_at: When it completed or ended.
    """

    id: str
    rule: str
    subject: str
    group: str
    planned: int
    started_at: datetime
    done: int = 0
    status: str = "active"
    ended_by: str | None = None
    ended_at: datetime | None = None


FOLLOW_UPS: KindMapping[FollowUpEnrolment] = KindMapping(
    "rule_follow_up",
    FollowUpEnrolment,
    indexed={
        "rule": ("str", lambda e: e.rule),
        "subject": ("str", lambda e: e.subject),
        "status": ("str", lambda e: e.status),
    },
)


def _int(params: Params, path: str, key: str, lo: int, hi: int) -> int:
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(f"{path}.{key}", value, f"give a whole number, {lo}-{hi}")
    return value


def _time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _check_when(params: Params, path: str) -> None:
    if ("days" in params) == ("every_days" in params):
        raise ValidationError(
            f"{path}.days", params.get("days"), "give days = [3, 7] or every_days with times"
        )
    if "days" in params:
        days = params["days"]
        if not isinstance(days, list) or not 1 <= len(days) <= 50:
            raise ValidationError(f"{path}.days", days, "give a list of 1-50 whole days")
        for n, day in enumerate(days):
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 3660:
                raise ValidationError(f"{path}.days[{n}]", day, "give a whole number, 0-3660")
        if "times" in params:
            raise ValidationError(f"{path}.times", params["times"], "only with every_days")
    else:
        _int(params, path, "every_days", 1, 3660)
        if "times" not in params:
            raise ValidationError(f"{path}.times", None, "required with every_days")
        _int(params, path, "times", 1, 50)
    at = params.get("at", "09:00")
    if not isinstance(at, str) or len(at) != 5 or _time(at) is None:
        raise ValidationError(f"{path}.at", at, 'give a local time "HH:MM"')
    if not isinstance(params.get("business_hours", True), bool):
        raise ValidationError(
            f"{path}.business_hours", params["business_hours"], "give true or false"
        )
    if params.get("zone", "party") not in ZONES:
        raise ValidationError(f"{path}.zone", params["zone"], f"allowed: {list(ZONES)}")
    business = params.get("business", DEFAULT_BUSINESS)
    if not isinstance(business, str) or not business.strip():
        raise ValidationError(f"{path}.business", business, "give a business key")


def check_follow_ups(params: Params, path: str, inners: Mapping[str, Any]) -> Params:
    """Refuse bad parameters at load (the inner action's too: one of *inners*, by name, with its check)."""
    if not isinstance(params, Mapping):
        raise ValidationError(path, params, "give a table of parameters")
    for key in params:
        if key not in _KEYS:
            raise ValidationError(f"{path}.{key}", params[key], f"allowed: {sorted(_KEYS)}")
    _check_when(params, path)
    inner = params.get("action")
    if not isinstance(inner, Mapping) or set(inner) - {"name", "params"}:
        raise ValidationError(f"{path}.action", inner, 'give {name = "create_task", params = {}}')
    name = inner.get("name")
    if not isinstance(name, str):
        raise ValidationError(f"{path}.action.name", name, f"allowed: {sorted(inners)}")
    if name not in inners:
        raise ValidationError(f"{path}.action.name", name, f"allowed: {sorted(inners)}")
    inner_params = inner.get("params", {})
    if not isinstance(inner_params, Mapping):
        raise ValidationError(f"{path}.action.params", inner_params, "give a table")
    checked = inners[name].check(inner_params, f"{path}.action.params")
    return {**params, "action": {"name": name, "params": dict(checked)}}


def _calendar(uow: UnitOfWork, key: str) -> WorkingCalendar:
    found = uow.repository(Business).find(key)
    return WorkingCalendar("UTC") if found is None else found.calendar


def _party_zone(party: object) -> ZoneInfo | None:
    """The party's own zone; ``None`` when it has none (UTC, the default, counts as none)."""
    zone = getattr(party, "time_zone", None)
    return zone if isinstance(zone, ZoneInfo) and zone != _UTC else None


def local_calendar(
    uow: UnitOfWork, party: object, business: str = DEFAULT_BUSINESS, zone: str = "party"
) -> WorkingCalendar:
    """The business's hours and holidays, read in the party's own zone when it has one (``zone="party"``)."""
    calendar = _calendar(uow, business)
    own = _party_zone(party) if zone == "party" else None
    if own is None:
        return calendar
    return WorkingCalendar(own, hours=calendar.hours, holidays=calendar.holidays)


def _place(calendar: WorkingCalendar, day: date, at: time, business_hours: bool) -> datetime:
    """*at* on local *day*; in business hours: the first business day from *day* whose hours hold it."""
    zone = calendar.time_zone
    first = datetime.combine(day, at, tzinfo=zone)
    if not business_hours:
        return first
    for n in range(400):
        candidate = datetime.combine(day + timedelta(days=n), at, tzinfo=zone)
        if calendar.is_working_time(candidate):
            return candidate
    return calendar.add_working_time(first, timedelta(seconds=1)) - timedelta(seconds=1)


def follow_up_times(calendar: WorkingCalendar, start: datetime, params: Params) -> list[datetime]:
    """The due times of the follow-ups of an event at *start* (days counted on the calendar's dates)."""
    if "days" in params:
        offsets = [int(d) for d in params["days"]]
    else:
        offsets = [int(params["every_days"]) * (n + 1) for n in range(int(params["times"]))]
    at = time.fromisoformat(params.get("at", "09:00"))
    local = start.astimezone(calendar.time_zone).date()
    hours = bool(params.get("business_hours", True))
    return [_place(calendar, local + timedelta(days=d), at, hours) for d in offsets]


def _group(rule: str, subject: str, fid: str) -> str:
    group = f"rule:{rule}:{subject}:{fid}"
    return group if len(group) <= 200 else f"rule:{fid}"


def schedule_follow_ups(context: Any, params: Params) -> Mapping[str, str]:
    """Enrol the subject and enqueue its follow-ups (one job group per enrolment)."""
    uow = context.uow
    fid = "fup-" + hashlib.sha256(context.key.encode()).hexdigest()[:32]
    repo = uow.repository(FOLLOW_UPS)
    if repo.find(fid) is not None:
        return {"enrolment": fid, "scheduled": "no, enrolled already"}
    party = None if context.party_id is None else uow.parties.find(context.party_id)
    calendar = local_calendar(
        uow, party, params.get("business", DEFAULT_BUSINESS), params.get("zone", "party")
    )
    dues = follow_up_times(calendar, context.at, params)
    group = _group(context.rule, context.subject, fid)
    repo.add(FollowUpEnrolment(fid, context.rule, context.subject, group, len(dues), context.at))
    for n, due in enumerate(dues, 1):
        uow.enqueue(
            NewJob(
                _QUEUE,
                {
                    "follow_up": fid,
                    "n": n,
                    "rule": context.rule,
                    "version": context.version,
                    "subject": context.subject,
                    "party_id": context.party_id,
                    "event_type": context.event_type,
                    "aggregate_id": context.aggregate_id,
                    "data": dict(context.data),
                    "key": f"{context.key}:fu{n}",
                    "actions": [dict(params["action"])],
                },
                due,
                idempotency_key=f"{fid}:{n}",
                group=group,
            )
        )
    return {
        "enrolment": fid,
        "group": group,
        "follow_ups": ",".join(d.isoformat() for d in dues),
    }


def follow_up_active(uow: UnitOfWork, payload: Mapping[str, Any], at: datetime) -> str | None:
    """Before a follow-up acts: ``None`` if its enrolment is active (and bump it), else why not."""
    enrolment = uow.repository(FOLLOW_UPS).find(payload["follow_up"])
    if enrolment is None:
        return "no enrolment"
    if enrolment.status != "active":
        return f"enrolment {enrolment.status}"
    enrolment.done += 1  # written in the job's transaction: a racing goal conflicts with it
    if enrolment.done >= enrolment.planned:
        enrolment.status, enrolment.ended_at = "completed", at
    return None


def _active(
    uow: UnitOfWork, repo: Repository[FollowUpEnrolment], rule: str, subject: str
) -> list[FollowUpEnrolment]:
    """The subject's active enrolments of *rule*: committed, and pending in *uow*.

    The query sees committed records only; an enrolment added by this unit of
    work (a trigger and its goal in one command) is among those it tracks, and
    a tracked one's status is read as it is now, not as stored.
    """
    found = {e.id: e for e in repo.iterate(rule=rule, subject=subject, status="active")}
    found.update((e.id, e) for e in uow.tracked(FOLLOW_UPS))
    return [
        e
        for _, e in sorted(found.items())
        if e.rule == rule and e.subject == subject and e.status == "active"
    ]


def end_by_goals(
    uow: UnitOfWork,
    rules: Sequence[RuleSpec],
    event_name: str,
    *,
    context: Context,
    subject: str,
    at: datetime,
) -> list[tuple[str, Mapping[str, str]]]:
    """End the subject's active follow-ups of each rule one of whose goals *event_name* meets."""
    ended: list[tuple[str, Mapping[str, str]]] = []
    repo = uow.repository(FOLLOW_UPS)
    for rule in rules:
        if not any(g.meets(event_name, context) for g in rule.goals):
            continue
        for enrolment in _active(uow, repo, rule.name, subject):
            enrolment.status, enrolment.ended_by, enrolment.ended_at = "ended", event_name, at
            uow.cancel_group(enrolment.group)
            ended.append((rule.name, {"ended": enrolment.id, "group": enrolment.group}))
    return ended
