"""The shapes of a loaded rule set: rules, their actions, goals, re-entry and suppression.

`relationship_core._rules.ruleset` loads these from data (and re-exports
them); they are frozen, compared by value (conditions by their text), and each
has the canonical JSON form its rule set is stored and hashed in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from relationship_core._domain.business import WorkingCalendar
from relationship_core._rules.ast import UNITS, Duration
from relationship_core._rules.condition import CompiledCondition
from relationship_core._rules.index import Rule, RuleIndex
from relationship_core._rules.values import shift
from relationship_core.exceptions import ValidationError

__all__ = [
    "REENTRY_MODES",
    "SUBJECTS",
    "ActionCall",
    "Goal",
    "Reentry",
    "RuleSet",
    "RuleSpec",
    "Suppression",
    "parse_duration",
]

#: Whom a rule enrols: the event's party (default), its aggregate, or its engagement.
SUBJECTS = ("party", "aggregate", "engagement")

#: How often a rule may act for one subject: per triggering event (default), once ever, or after a cooldown.
REENTRY_MODES = ("once_per_event", "once_per_subject", "cooldown")

_UNIT_NAMES = {f"{unit}{plural}": unit for unit in UNITS for plural in ("", "s")}


def parse_duration(field: str, value: object) -> Duration:
    """``"3 days"`` as a `Duration` (units: minutes, hours, days, weeks; at most 100 years)."""
    parts = value.split() if isinstance(value, str) else []
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in _UNIT_NAMES:
        duration = Duration(int(parts[0]), _UNIT_NAMES[parts[1]])
        if 0 < duration.amount * UNITS[duration.unit] <= 100 * 366 * 86400:
            return duration
    raise ValidationError(
        field, value, 'give a positive whole number and a unit, e.g. "3 days" or "2 hours"'
    )


@attrs.frozen
class ActionCall:
    """One action a rule takes: the action's name and its parameters (JSON-able).

    Attributes:
        name: The action.
        params: Its parameters, checked at load.
        code: For a Python action from outside this library, the hash of its
            code when the set was loaded against a store (``None``: a built-in,
            or loaded without a store).
    """

    name: str
    params: Mapping[str, Any] = attrs.field(factory=dict)
    code: str | None = None

    def canonical(self) -> dict[str, Any]:
        """``{"name", "params"}``, and ``"code"`` when it has one."""
        out: dict[str, Any] = {"name": self.name, "params": dict(self.params)}
        if self.code is not None:
            out["code"] = self.code
        return out


@attrs.frozen
class Goal:
    """When one of *triggers* happens for the subject and *condition* holds, its follow-ups end."""

    triggers: tuple[str, ...]
    condition: CompiledCondition = attrs.field(eq=False)

    def meets(self, event_name: str, context: Any) -> bool:
        """Whether an event named *event_name*, in *context*, meets this goal."""
        return event_name in self.triggers and self.condition.evaluate(context)

    def canonical(self) -> dict[str, Any]:
        """The JSON-able form."""
        return {"trigger": list(self.triggers), "condition": self.condition.to_json()}


@attrs.frozen
class Reentry:
    """How often a rule acts for one subject.

    Attributes:
        mode: ``"once_per_event"`` (once per triggering event: a replay does
            nothing), ``"once_per_subject"`` (once ever) or ``"cooldown"``
            (again once *cooldown* has passed since it last acted).
        cooldown: The wait of ``"cooldown"``.
    """

    mode: str = "once_per_event"
    cooldown: Duration | None = None


@attrs.frozen
class Suppression:
    """Subjects a rule never enrolls (HubSpot's suppression lists), whatever its condition says.

    Attributes:
        parties: Party ids left out.
        tags: A party with any of these tags is left out (a segment by tag).
        condition: A party (a segment by condition) for whom this holds is left out.
    """

    parties: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    condition: CompiledCondition | None = attrs.field(default=None, eq=False)

    def __bool__(self) -> bool:
        return bool(self.parties or self.tags or self.condition is not None)

    def reason(self, party_id: str | None, context: Any, *, scope: str = "") -> str | None:
        """Why the subject is suppressed (``None``: it is not).

        *scope* names a list other than the rule's own in the reason: ``"rule set"``
        gives ``"suppressed (rule set): ..."``.
        """
        head = f"suppressed ({scope})" if scope else "suppressed"
        whose = f"the {scope}'s" if scope else "the rule's"
        if party_id is not None and party_id in self.parties:
            return f"{head}: party {party_id} is on {whose} suppression list"
        party = context.roots.get("party") if context is not None else None
        tags = getattr(party, "tags", None) or frozenset()
        hit = sorted(self.tags & set(tags))
        if hit:
            return f"{head}: party tagged {hit[0]!r}"
        if self.condition is not None and self.condition.evaluate(context):
            return f"{head}: {self.condition.text}"
        return None

    def canonical(self) -> dict[str, Any]:
        """The JSON-able form."""
        out: dict[str, Any] = {}
        if self.parties:
            out["parties"] = sorted(self.parties)
        if self.tags:
            out["tags"] = sorted(self.tags)
        if self.condition is not None:
            out["condition"] = self.condition.to_json()
        return out


@attrs.frozen
class RuleSpec:
    """A rule: when one of *triggers* happens and *condition* holds, take *actions*.

    Attributes:
        name: Unique in its rule set.
        triggers: Event types (``"*"``: every event).
        condition: The compiled condition (``true`` when the rule gave none).
        actions: What to do, in order.
        delay: Run the actions this long after the event (as jobs), or now.
        reentry: How often it may act for one subject.
        priority: Higher runs first among the rules one event matches.
        enabled: Disabled rules are kept but never considered.
        goals: Events that end the subject's pending follow-ups of this rule.
        suppress: Subjects it never enrolls.
        subject: Whom it enrols: ``"party"`` (the event's party, else its
            aggregate; the default), ``"aggregate"`` (the event's aggregate) or
            ``"engagement"`` (the event's engagement, else the party).
        business_hours: A delayed action due outside business hours (the default
            business's, in the party's zone) runs at the next opening instead.
    """

    name: str
    triggers: tuple[str, ...]
    condition: CompiledCondition = attrs.field(eq=False)
    actions: tuple[ActionCall, ...]
    delay: Duration | None = None
    reentry: Reentry = Reentry()
    priority: int = 0
    enabled: bool = True
    goals: tuple[Goal, ...] = ()
    suppress: Suppression = Suppression()
    subject: str = "party"
    business_hours: bool = False

    def due(self, at: datetime, calendar: WorkingCalendar | None = None) -> datetime:
        """When the actions of an event at *at* run.

        Days count on the local calendar of *calendar*'s zone (default: *at*'s);
        with `business_hours`, a due time outside *calendar*'s working time moves
        to its next opening.
        """
        if self.delay is None:
            return at
        local = at if calendar is None else at.astimezone(calendar.time_zone)
        moved = shift(local, 1, self.delay)
        if not isinstance(moved, datetime):
            return at + timedelta(days=36600)
        if calendar is None:
            return moved
        if self.business_hours and not calendar.is_working_time(moved):
            second = timedelta(seconds=1)
            moved = calendar.add_working_time(moved, second) - second
        return moved.astimezone(at.tzinfo)

    def canonical(self) -> dict[str, Any]:
        """The JSON-able form this rule is stored and hashed in."""
        out: dict[str, Any] = {
            "name": self.name,
            "trigger": list(self.triggers),
            "condition": self.condition.to_json(),
            "actions": [a.canonical() for a in self.actions],
            "priority": self.priority,
            "enabled": self.enabled,
        }
        if self.delay is not None:
            out["delay"] = str(self.delay)
        if self.goals:
            out["goals"] = [goal.canonical() for goal in self.goals]
        if self.suppress:
            out["suppress"] = self.suppress.canonical()
        if self.subject != "party":
            out["subject"] = self.subject
        if self.business_hours:
            out["business_hours"] = True
        if self.reentry != Reentry():
            out["reentry"] = {"mode": self.reentry.mode}
            if self.reentry.cooldown is not None:
                out["reentry"]["cooldown"] = str(self.reentry.cooldown)
        return out


@attrs.frozen
class RuleSet:
    """Loaded rules, their index (enabled rules only) and their version.

    Attributes:
        rules: Every rule, in file order.
        suppress: The set-wide suppression list (a top-level ``suppress``):
            subjects no rule enrolls, on top of each rule's own.
        version: ``sha256:`` and the first 16 hex digits of the hash of `canonical`.
    """

    rules: tuple[RuleSpec, ...]
    suppress: Suppression = Suppression()
    version: str = attrs.field(init=False)
    index: RuleIndex = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        object.__setattr__(self, "version", f"sha256:{digest}")
        enabled = [r for r in self.rules if r.enabled]
        index = RuleIndex(Rule(r.name, frozenset(r.triggers), r.condition) for r in enabled)
        object.__setattr__(self, "index", index)

    def canonical(self) -> dict[str, Any]:
        """The JSON-able form: ``{"rules": [...]}``, and ``"suppress"`` when the set has one."""
        out: dict[str, Any] = {"rules": [rule.canonical() for rule in self.rules]}
        if self.suppress:  # absent when empty: a set without one keeps its version
            out["suppress"] = self.suppress.canonical()
        return out

    def suppressed(self, rule: RuleSpec, party_id: str | None, context: Any) -> str | None:
        """Why *rule* must not enrol the subject: the set's list first, then the rule's (``None``: it may)."""
        if self.suppress:
            found = self.suppress.reason(party_id, context, scope="rule set")
            if found is not None:
                return found
        return rule.suppress.reason(party_id, context) if rule.suppress else None

    def get(self, name: str) -> RuleSpec:
        """The rule named *name*."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise ValidationError("rule", name, f"no such rule; known: {[r.name for r in self.rules]}")
