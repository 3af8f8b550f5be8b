"""Rules as data: a rule set loaded from a dict, JSON or TOML, checked as a whole, versioned.

A rule set either loads completely or not at all: the first bad place raises a
`ValidationError` whose field is the exact path (``rules[2].actions[0].params.stage``),
whose value is the bad value and whose reason says what is allowed. `check_rules`
returns every such error instead (the ``rules check`` command prints them).
The version of a rule set is a hash of its canonical form, so the audit can name
exactly which rules fired.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from relationship_core._rules.ast import UNITS, Duration
from relationship_core._rules.condition import CompiledCondition, compile_condition
from relationship_core._rules.index import Rule, RuleIndex
from relationship_core._rules.values import shift
from relationship_core.exceptions import ValidationError

__all__ = [
    "REENTRY_MODES",
    "ActionCall",
    "Goal",
    "Reentry",
    "RuleSet",
    "RuleSpec",
    "check_rules",
    "load_rules",
    "mission_rules",
    "parse_duration",
]

#: How often a rule may act for one subject: per triggering event (default), once ever, or after a cooldown.
REENTRY_MODES = ("once_per_event", "once_per_subject", "cooldown")

_RULE_KEYS = frozenset(
    {
        "name",
        "trigger",
        "condition",
        "actions",
        "delay",
        "reentry",
        "priority",
        "enabled",
        "goals",
    }
)
_UNIT_NAMES = {f"{unit}{plural}": unit for unit in UNITS for plural in ("", "s")}

#: ``checker(params, path) -> params``: an action's check of its parameters at load.
ParamCheck = Callable[[Mapping[str, Any], str], Mapping[str, Any]]


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
    """One action a rule takes: the action's name and its parameters (JSON-able)."""

    name: str
    params: Mapping[str, Any] = attrs.field(factory=dict)


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

    def due(self, at: datetime) -> datetime:
        """When the actions of an event at *at* run (days on the local calendar of *at*)."""
        if self.delay is None:
            return at
        moved = shift(at, 1, self.delay)
        return moved if isinstance(moved, datetime) else at + timedelta(days=36600)

    def canonical(self) -> dict[str, Any]:
        """The JSON-able form this rule is stored and hashed in."""
        out: dict[str, Any] = {
            "name": self.name,
            "trigger": list(self.triggers),
            "condition": self.condition.to_json(),
            "actions": [{"name": a.name, "params": dict(a.params)} for a in self.actions],
            "priority": self.priority,
            "enabled": self.enabled,
        }
        if self.delay is not None:
            out["delay"] = str(self.delay)
        if self.goals:
            out["goals"] = [goal.canonical() for goal in self.goals]
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
        version: ``sha256:`` and the first 16 hex digits of the hash of `canonical`.
    """

    rules: tuple[RuleSpec, ...]
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
        """The JSON-able form: ``{"rules": [...]}``."""
        return {"rules": [rule.canonical() for rule in self.rules]}

    def get(self, name: str) -> RuleSpec:
        """The rule named *name*."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise ValidationError("rule", name, f"no such rule; known: {[r.name for r in self.rules]}")


def _source(source: object) -> object:
    """A dict from a dict, a JSON or TOML text, or a path to a ``.json``/``.toml`` file."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError("file", str(source), f"cannot be read: {exc}") from exc
        return _text(text, toml=source.suffix.lower() == ".toml")
    if isinstance(source, str):
        return _text(source, toml=not source.lstrip().startswith("{"))
    return source


def _text(text: str, *, toml: bool) -> object:
    if toml:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError("rules", text[:40], f"not valid TOML: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "rules", text[:40], f"not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from exc


def _text_field(path: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(path, value, "give a non-empty string")
    return value


class _Loader:
    def __init__(
        self,
        event_types: Collection[str] | None,
        actions: Mapping[str, ParamCheck | None] | None,
    ) -> None:
        self.event_types = event_types
        self.actions = actions
        self.errors: list[ValidationError] = []

    def rules(self, data: object) -> list[RuleSpec]:
        if not isinstance(data, Mapping) or set(data) - {"rules"}:
            raise ValidationError("rules", data, 'give a table with one key, "rules": a list')
        raw = data.get("rules", [])
        if not isinstance(raw, list):
            raise ValidationError("rules", raw, "give a list of rules")
        out: list[RuleSpec] = []
        seen: set[str] = set()
        for n, item in enumerate(raw):
            try:
                rule = self.rule(f"rules[{n}]", item)
            except ValidationError as error:
                self.errors.append(error)
                continue
            if rule.name in seen:
                self.errors.append(
                    ValidationError(f"rules[{n}].name", rule.name, "rule names are unique")
                )
            seen.add(rule.name)
            out.append(rule)
        return out

    def rule(self, path: str, data: object) -> RuleSpec:
        if not isinstance(data, Mapping):
            raise ValidationError(path, data, "give a table with name, trigger, actions...")
        name = _text_field(f"{path}.name", data.get("name"))
        where = f"{path}.{{}}"
        unknown = sorted(str(k) for k in set(data) - _RULE_KEYS)
        if unknown:
            raise ValidationError(
                where.format(unknown[0]),
                unknown[0],
                f"rule {name!r}: allowed keys: {sorted(_RULE_KEYS)}",
            )
        try:
            return RuleSpec(
                name,
                self.triggers(where.format("trigger"), data.get("trigger")),
                compile_condition(data.get("condition", "true"), where.format("condition")),
                self.action_calls(where.format("actions"), data.get("actions")),
                None
                if data.get("delay") is None
                else parse_duration(where.format("delay"), data["delay"]),
                self.reentry(where.format("reentry"), data.get("reentry")),
                self.integer(where.format("priority"), data.get("priority", 0)),
                self.boolean(where.format("enabled"), data.get("enabled", True)),
                self.goals(where.format("goals"), data.get("goals", [])),
            )
        except ValidationError as error:
            if not error.reason.startswith("rule "):  # name the rule, keep the error's type
                ValidationError.__init__(
                    error, error.field, error.value, f"rule {name!r}: {error.reason}"
                )
            raise

    def triggers(self, path: str, value: object) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise ValidationError(path, value, 'give an event type or a list, e.g. "order.placed"')
        out = []
        for n, name in enumerate(names):
            text = _text_field(f"{path}[{n}]", name)
            known = self.event_types
            if known is not None and text != "*" and text not in known:
                raise ValidationError(
                    f"{path}[{n}]",
                    text,
                    f"no such event type in this store; known: {sorted(known)}",
                )
            out.append(text)
        return tuple(out)

    def action_calls(self, path: str, value: object) -> tuple[ActionCall, ...]:
        if not isinstance(value, list) or not value:
            raise ValidationError(path, value, "give a list of actions, each {name, params}")
        out = []
        for n, item in enumerate(value):
            here = f"{path}[{n}]"
            if not isinstance(item, Mapping) or set(item) - {"name", "params"}:
                raise ValidationError(here, item, 'give {"name": ..., "params": {...}}')
            name = _text_field(f"{here}.name", item.get("name"))
            params = item.get("params", {})
            if not isinstance(params, Mapping):
                raise ValidationError(f"{here}.params", params, "give a table of parameters")
            if self.actions is not None:
                if name not in self.actions:
                    raise ValidationError(
                        f"{here}.name", name, f"no such action; known: {sorted(self.actions)}"
                    )
                check = self.actions[name]
                if check is not None:
                    params = check(params, f"{here}.params")
            out.append(ActionCall(name, dict(params)))
        return tuple(out)

    def goals(self, path: str, value: object) -> tuple[Goal, ...]:
        if not isinstance(value, list):
            raise ValidationError(
                path, value, 'give a list of {trigger = "...", condition = "..."}'
            )
        out = []
        for n, item in enumerate(value):
            here = f"{path}[{n}]"
            data = {"trigger": item} if isinstance(item, str) else item
            if not isinstance(data, Mapping) or set(data) - {"trigger", "condition"}:
                raise ValidationError(here, item, "give {trigger, condition}")
            out.append(
                Goal(
                    self.triggers(f"{here}.trigger", data.get("trigger")),
                    compile_condition(data.get("condition", "true"), f"{here}.condition"),
                )
            )
        return tuple(out)

    def reentry(self, path: str, value: object) -> Reentry:
        if value is None:
            return Reentry()
        data = {"mode": value} if isinstance(value, str) else value
        if not isinstance(data, Mapping) or set(data) - {"mode", "cooldown"}:
            raise ValidationError(path, value, f"give a mode, one of {list(REENTRY_MODES)}")
        mode = data.get("mode")
        if mode not in REENTRY_MODES:
            raise ValidationError(f"{path}.mode", mode, f"allowed: {list(REENTRY_MODES)}")
        if mode == "cooldown":
            return Reentry("cooldown", parse_duration(f"{path}.cooldown", data.get("cooldown")))
        if data.get("cooldown") is not None:
            raise ValidationError(f"{path}.cooldown", data["cooldown"], 'only with mode "cooldown"')
        return Reentry(str(mode))

    def integer(self, path: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 1_000_000:
            raise ValidationError(path, value, "give a whole number between -1000000 and 1000000")
        return value

    def boolean(self, path: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(path, value, "give true or false")
        return value


def check_rules(
    source: object,
    *,
    event_types: Collection[str] | None = None,
    actions: Mapping[str, ParamCheck | None] | None = None,
) -> tuple[RuleSet | None, list[ValidationError]]:
    """Load *source*; ``(rule set, [])`` or ``(None, every error found)``."""
    loader = _Loader(event_types, actions)
    try:
        rules = loader.rules(_source(source))
    except ValidationError as error:
        return None, [error]
    if loader.errors:
        return None, loader.errors
    return RuleSet(tuple(rules)), []


def load_rules(
    source: object,
    *,
    crm: object = None,
    event_types: Collection[str] | None = None,
    actions: Mapping[str, ParamCheck | None] | None = None,
) -> RuleSet:
    """A rule set from a dict, JSON/TOML text or a `Path`, all of it or nothing.

    Against a *crm* (an open store), trigger event types must be among its
    registered event types and actions among its rule actions (their
    parameters checked); *event_types* / *actions* give those sets directly.

    Raises:
        ValidationError: At the first bad place, e.g. field ``rules[2].actions[0].params.stage``.
    """
    if crm is not None:
        from relationship_core._rules.actions import actions_of, event_types_of

        event_types = event_types if event_types is not None else event_types_of(crm)
        actions = actions if actions is not None else actions_of(crm)
    ruleset, errors = check_rules(source, event_types=event_types, actions=actions)
    if errors:
        raise errors[0]
    assert ruleset is not None  # noqa: S101 - check_rules returns one or the other
    return ruleset


def mission_rules(*, crm: object = None) -> RuleSet:
    """The mission's ready rules (``mission.toml``, packaged): survey on resolve, invoice on fulfilment, proposal follow-up."""
    from importlib.resources import files

    text = files("relationship_core._rules").joinpath("mission.toml").read_text(encoding="utf-8")
    return load_rules(text, crm=crm)
