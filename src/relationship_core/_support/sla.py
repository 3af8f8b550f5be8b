"""SLA policies and clocks in the business's working hours, paused while pending on the customer.

Targets (Zammad's and Odoo's): a first response, an update and a
resolution, each a goal of *working* time (`WorkingCalendar`). All clocks run
while the ticket is open and not pending on the customer; the first-response
clock stops at the first answer (or at closure), the resolution clock at
closure and runs again after a reopen. The update clock (Zammad's "update
time") restarts at every contact of either side (the opening, a staff
answer, the customer writing again): the customer may wait at most that long
for the next word. A target is **near breach** once its elapsed working time
reaches `SlaPolicy.near_breach` (default 80 %) of its goal, and **breached**
once elapsed exceeds the goal (or reaches it while still running).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from fractions import Fraction

import attrs

from relationship_core._domain.business import WorkingCalendar
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import items, non_empty_text, to_enum
from relationship_core._support.forms import TicketPriority, TicketType
from relationship_core._support.tickets import Ticket, TicketStatus
from relationship_core.exceptions import ValidationError

__all__ = [
    "SlaPolicy",
    "SlaState",
    "SlaTarget",
    "SlaTimer",
    "TargetState",
    "TimerKind",
    "running_intervals",
    "select_policy",
    "sla_state",
]

_ZERO = timedelta(0)
_US = timedelta(microseconds=1)


class SlaTarget(enum.Enum):
    """What is measured."""

    FIRST_RESPONSE = "first_response"
    UPDATE = "update"
    RESOLUTION = "resolution"


class TimerKind(enum.Enum):
    """Which instant a timer marks."""

    NEAR_BREACH = "near_breach"
    BREACH = "breach"


def _goal(field: str) -> Callable[[object], timedelta | None]:
    def check(value: object) -> timedelta | None:
        if value is not None and (not isinstance(value, timedelta) or value <= _ZERO):
            raise ValidationError(
                field, value, "give a positive timedelta of working time, or None"
            )
        return value

    return check


def _first_response(value: object) -> timedelta | None:
    return _goal("first_response")(value)


def _resolution(value: object) -> timedelta | None:
    return _goal("resolution")(value)


def _update(value: object) -> timedelta | None:
    return _goal("update")(value)


def _fraction(value: object) -> Fraction:
    try:
        result = Fraction(str(value)) if not isinstance(value, Fraction) else value
    except (ValueError, ZeroDivisionError, OverflowError):
        raise ValidationError(
            "near_breach", value, "a fraction between 0 and 1, e.g. '0.8'"
        ) from None
    if not 0 < result < 1:
        raise ValidationError("near_breach", value, "a fraction between 0 and 1, e.g. '0.8'")
    return result


def _priorities(value: Iterable[object]) -> frozenset[TicketPriority]:
    return frozenset(to_enum(TicketPriority, "priorities", v) for v in items("priorities", value))


def _types(value: Iterable[object]) -> frozenset[TicketType]:
    return frozenset(to_enum(TicketType, "types", v) for v in items("types", value))


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """Targets for the tickets of some priorities and types (empty: any), as in Odoo.

    Attributes:
        name: The policy's name.
        first_response: Working time allowed before the first answer.
        update: Working time allowed from any contact to the next (Zammad's update time).
        resolution: Working time allowed until closure (over all reopens).
        priorities: The priorities it applies to (empty: all).
        types: The types it applies to (empty: all).
        near_breach: The share of a goal after which a target is near breach.
    """

    name: str = attrs.field(validator=non_empty_text)
    first_response: timedelta | None = attrs.field(default=None, converter=_first_response)
    resolution: timedelta | None = attrs.field(default=None, converter=_resolution)
    update: timedelta | None = attrs.field(default=None, converter=_update)
    priorities: frozenset[TicketPriority] = attrs.field(factory=frozenset, converter=_priorities)
    types: frozenset[TicketType] = attrs.field(factory=frozenset, converter=_types)
    near_breach: Fraction = attrs.field(default=Fraction(4, 5), converter=_fraction)

    def applies_to(self, ticket: Ticket) -> bool:
        """Whether the ticket's priority and type match."""
        return (not self.priorities or ticket.priority in self.priorities) and (
            not self.types or ticket.type in self.types
        )

    def goal(self, target: SlaTarget) -> timedelta | None:
        """The goal for *target*, ``None`` when the policy sets none."""
        if target is SlaTarget.FIRST_RESPONSE:
            return self.first_response
        return self.update if target is SlaTarget.UPDATE else self.resolution


def select_policy(policies: Iterable[SlaPolicy], ticket: Ticket) -> SlaPolicy | None:
    """The first policy that applies to *ticket* (order them most specific first)."""
    return next((p for p in policies if p.applies_to(ticket)), None)


def _segments(ticket: Ticket, now: datetime) -> Iterator[tuple[TicketStatus, datetime, datetime]]:
    status, since = TicketStatus.NEW, ticket.created_at
    for change in ticket.history:
        if change.at >= now:
            break
        if change.at > since:
            yield status, since, change.at
        status, since = change.to_status, max(since, change.at)
    if now > since:
        yield status, since, now


def running_intervals(
    ticket: Ticket, target: SlaTarget, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The intervals before *now* in which *target*'s clock ran (calendar not yet applied)."""
    stop = now
    begin = ticket.last_contact_at if target is SlaTarget.UPDATE else None
    if target is SlaTarget.FIRST_RESPONSE:
        candidates = [
            t for t in (ticket.first_response_at, ticket.first_closed_at) if t is not None
        ]
        if candidates:
            stop = min(now, *candidates)
    result = []
    for status, start, end in _segments(ticket, stop):
        if begin is not None and end <= begin:  # the update clock: since the latest contact
            continue
        if not status.is_closed and status is not TicketStatus.PENDING_CUSTOMER:
            result.append((start if begin is None else max(start, begin), end))
    return result


@attrs.frozen(kw_only=True)
class SlaTimer:
    """An instant the platform should wake up at, with a key to schedule it once.

    Attributes:
        ticket_id: The ticket.
        target: The target.
        kind: Near breach or breach.
        at: When.
    """

    ticket_id: str
    target: SlaTarget
    kind: TimerKind
    at: datetime

    @property
    def key(self) -> str:
        """``sla:<ticket>:<target>:<kind>:<instant>``; a pause and resume gives a new key."""
        return f"sla:{self.ticket_id}:{self.target.value}:{self.kind.value}:{self.at.isoformat()}"


@attrs.frozen(kw_only=True)
class TargetState:
    """One target's clock at an instant.

    Attributes:
        target: Which target.
        goal: The working time allowed.
        elapsed: Working time used so far.
        remaining: ``goal - elapsed`` (negative once breached).
        running: The clock runs now (open, not pending on the customer, not met).
        met: The target's event happened (answered / closed now).
        due_at: When it breaches (or breached); ``None`` while paused and not breached.
        near_breach_at: When it is (or was) near breach; ``None`` while paused before that.
        breached: Elapsed passed the goal.
        near_breach: Elapsed reached the near-breach share and it is not breached.
    """

    target: SlaTarget
    goal: timedelta
    elapsed: timedelta
    remaining: timedelta
    running: bool
    met: bool
    due_at: datetime | None
    near_breach_at: datetime | None
    breached: bool
    near_breach: bool


@attrs.frozen(kw_only=True)
class SlaState:
    """A ticket's SLA at an instant.

    Attributes:
        ticket_id: The ticket.
        policy: The policy's name.
        targets: One state per target the policy sets.
        first_resolution_time: Working time to the first closure (kept after a reopen).
        total_resolution_time: Working time over all open periods, once closed now.
        timers: The future instants to schedule (near breach and breach of running targets).
    """

    ticket_id: str
    policy: str
    targets: tuple[TargetState, ...]
    first_resolution_time: timedelta | None
    total_resolution_time: timedelta | None
    timers: tuple[SlaTimer, ...]

    def target(self, target: SlaTarget | str) -> TargetState:
        """The state of *target*."""
        wanted = to_enum(SlaTarget, "target", target)
        for state in self.targets:
            if state.target is wanted:
                return state
        raise ValidationError(
            "target", wanted.value, f"the policy {self.policy!r} sets no such target"
        )


def _reached(
    calendar: WorkingCalendar, intervals: list[tuple[datetime, datetime]], *amounts: timedelta
) -> tuple[list[datetime | None], timedelta]:
    """When the running clock reached each of *amounts* within *intervals*, and the total run."""
    total = _ZERO
    when: list[datetime | None] = [None] * len(amounts)
    for start, end in intervals:
        worked = calendar.working_time_between(start, end)
        for i, amount in enumerate(amounts):
            if when[i] is None and total + worked >= amount:
                when[i] = calendar.add_working_time(start, amount - total)
        total += worked
    return when, total


def _share(goal: timedelta, part: Fraction) -> timedelta:
    return _US * (goal // _US * part.numerator // part.denominator)


def _target_state(
    *,
    ticket: Ticket,
    policy: SlaPolicy,
    target: SlaTarget,
    goal: timedelta,
    calendar: WorkingCalendar,
    now: datetime,
) -> TargetState:
    intervals = running_intervals(ticket, target, now)
    near = _share(goal, policy.near_breach)
    (due_at, near_at), elapsed = _reached(calendar, intervals, goal, near)
    if target is SlaTarget.FIRST_RESPONSE:
        met = ticket.first_response_at is not None or ticket.first_closed_at is not None
    else:  # the update clock only ends with the ticket
        met = ticket.is_closed
    running = (
        not met and not ticket.is_closed and ticket.status is not TicketStatus.PENDING_CUSTOMER
    )
    if running and any(calendar.hours):  # a calendar that never works never comes due
        if due_at is None:
            due_at = calendar.add_working_time(now, goal - elapsed)
        if near_at is None:
            near_at = calendar.add_working_time(now, near - elapsed)
    breached = elapsed > goal or (not met and elapsed >= goal)
    return TargetState(
        target=target,
        goal=goal,
        elapsed=elapsed,
        remaining=goal - elapsed,
        running=running,
        met=met,
        due_at=due_at,
        near_breach_at=near_at,
        breached=breached,
        near_breach=not breached and elapsed >= near,
    )


def sla_state(
    ticket: Ticket,
    policy: SlaPolicy,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    targets: Iterable[SlaTarget | str] | None = None,
) -> SlaState:
    """The ticket's SLA targets at *now*, measured in *calendar*'s working hours.

    Recompute it after every status change: a pause (pending on the customer)
    drops the running timers, a resume gives new ones with new keys. With
    *targets*, only those the policy sets are measured (and timed); the
    resolution times are measured with the resolution target.
    """
    require_aware("now", now)
    wanted = (
        tuple(SlaTarget)
        if targets is None
        else tuple(to_enum(SlaTarget, "targets", t) for t in items("targets", targets))
    )
    latest = ticket.last_change_at
    if now < latest:
        raise ValidationError("now", now, f"before the ticket's last change at {latest}")
    states = []
    timers = []
    for target in SlaTarget:
        goal = policy.goal(target)
        if goal is None or target not in wanted:
            continue
        state = _target_state(
            ticket=ticket, policy=policy, target=target, goal=goal, calendar=calendar, now=now
        )
        states.append(state)
        if state.running:
            for kind, at in (
                (TimerKind.NEAR_BREACH, state.near_breach_at),
                (TimerKind.BREACH, state.due_at),
            ):
                if at is not None and at > now:
                    timers.append(SlaTimer(ticket_id=ticket.id, target=target, kind=kind, at=at))
    first_closed = ticket.first_closed_at if SlaTarget.RESOLUTION in wanted else None
    first = None
    if first_closed is not None and first_closed <= now:
        first = sum(
            (
                calendar.working_time_between(a, b)
                for a, b in running_intervals(ticket, SlaTarget.RESOLUTION, first_closed)
            ),
            _ZERO,
        )
    total = None
    closed_at = ticket.closed_at if SlaTarget.RESOLUTION in wanted else None
    if ticket.is_closed and closed_at is not None and closed_at <= now:
        total = sum(
            (
                calendar.working_time_between(a, b)
                for a, b in running_intervals(ticket, SlaTarget.RESOLUTION, now)
            ),
            _ZERO,
        )
    return SlaState(
        ticket_id=ticket.id,
        policy=policy.name,
        targets=tuple(states),
        first_resolution_time=first,
        total_resolution_time=total,
        timers=tuple(timers),
    )
