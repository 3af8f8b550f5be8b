"""The ``local`` root of a rule's context: the event's instant in the party's calendar.

``local.in_business_hours`` and its neighbours let a condition say "in the
party's business hours": the default business's opening hours and holidays
(`Business` ``"default"``; 09:00-17:00 weekdays in UTC when none is stored),
read in the party's own time zone when it has one, else the business's. The
engine builds it only for rule sets whose conditions name ``local`` (or that
hold Python conditions), so other events pay nothing for it.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core._rules.ast import Path
from relationship_core._rules.followups import local_calendar
from relationship_core._rules.python_rules import PythonCondition

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._rules.spec import RuleSet

__all__ = ["LOCAL", "LocalTime", "local_time", "uses_local"]

#: The root's name in a condition: ``local.in_business_hours``.
LOCAL = "local"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_lock = threading.Lock()
_uses: dict[str, bool] = {}


@attrs.frozen
class LocalTime:
    """The event's instant where the party lives and works.

    Attributes:
        zone: The IANA zone (the party's own, else the business's).
        date: The local date.
        hour: The local hour, 0-23.
        minute: The local minute.
        weekday: ``"monday"`` ... ``"sunday"``.
        business_day: Whether the business opens that day (not closed, not a holiday).
        in_business_hours: Whether the instant is inside its opening hours.
    """

    zone: str
    date: date
    hour: int
    minute: int
    weekday: str
    business_day: bool
    in_business_hours: bool


def local_time(uow: UnitOfWork, party: object, at: datetime) -> LocalTime:
    """*at* in the calendar of *party* (its own zone, the default business's hours)."""
    calendar = local_calendar(uow, party)
    local = at.astimezone(calendar.time_zone)
    opens = bool(calendar.hours[local.weekday()]) and local.date() not in calendar.holidays
    return LocalTime(
        str(calendar.time_zone),
        local.date(),
        local.hour,
        local.minute,
        _WEEKDAYS[local.weekday()],
        opens,
        calendar.is_working_time(at),
    )


def _roots(node: object, out: set[str]) -> None:
    if isinstance(node, Path):
        out.add(node.names[0])
        return
    if isinstance(node, tuple):
        for item in node:
            _roots(item, out)
        return
    kind: Any = type(node)
    if attrs.has(kind):
        for field in attrs.fields(kind):
            _roots(getattr(node, field.name), out)


def _names_local(condition: Any) -> bool:
    if condition is None:
        return False
    if isinstance(condition, PythonCondition):
        return True
    found: set[str] = set()
    _roots(condition.tree, found)
    return LOCAL in found


def uses_local(ruleset: RuleSet) -> bool:
    """Whether some rule of *ruleset* names ``local`` (computed once per version)."""
    with _lock:
        known = _uses.get(ruleset.version)
    if known is None:
        known = _names_local(ruleset.suppress.condition) or any(
            _names_local(rule.condition)
            or _names_local(rule.suppress.condition)
            or any(_names_local(goal.condition) for goal in rule.goals)
            for rule in ruleset.rules
        )
        with _lock:
            if len(_uses) > 256:
                _uses.clear()
            _uses[ruleset.version] = known
    return known
