"""Rules as data: a rule set loaded from a dict, JSON or TOML, checked as a whole, versioned.

A rule set either loads completely or not at all: the first bad place raises a
`ValidationError` whose field is the exact path (``rules[2].actions[0].params.stage``),
whose value is the bad value and whose reason says what is allowed. `check_rules`
returns every such error instead (the ``rules check`` command prints them).
The version of a rule set is a hash of its canonical form, so the audit can name
exactly which rules fired.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from relationship_core._rules.condition import CompiledCondition, compile_condition
from relationship_core._rules.offered import action_codes_of, actions_of, event_types_of
from relationship_core._rules.python_rules import PythonCondition, resolve_python
from relationship_core._rules.spec import (
    REENTRY_MODES,
    SUBJECTS,
    ActionCall,
    Goal,
    Reentry,
    RuleSet,
    RuleSpec,
    Suppression,
    parse_duration,
)
from relationship_core.exceptions import ValidationError

__all__ = [
    "REENTRY_MODES",
    "ActionCall",
    "Goal",
    "Reentry",
    "RuleSet",
    "RuleSpec",
    "Suppression",
    "check_rules",
    "load_rules",
    "mission_rules",
    "parse_duration",
]

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
        "suppress",
        "subject",
        "business_hours",
    }
)
_SUPPRESS_KEYS = frozenset({"parties", "tags", "condition"})
_SET_KEYS = frozenset({"rules", "suppress"})

#: ``checker(params, path) -> params``: an action's check of its parameters at load.
ParamCheck = Callable[[Mapping[str, Any], str], Mapping[str, Any]]


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


def _condition(path: str, value: object) -> CompiledCondition:
    """Condition text, its JSON form, a registered Python condition (by name) or a `PythonCondition`."""
    if isinstance(value, PythonCondition):
        return value
    if isinstance(value, Mapping) and "python" in value:
        return resolve_python(path, value)
    return compile_condition(value, path)


def _text_field(path: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(path, value, "give a non-empty string")
    return value


class _Loader:
    def __init__(
        self,
        event_types: Collection[str] | None,
        actions: Mapping[str, ParamCheck | None] | None,
        codes: Mapping[str, str | None] | None = None,
    ) -> None:
        self.event_types = event_types
        self.actions = actions
        self.codes = codes
        self.errors: list[ValidationError] = []

    def rules(self, data: object) -> list[RuleSpec]:
        if not isinstance(data, Mapping):
            raise ValidationError("rules", data, 'give a table with "rules": a list')
        unknown = sorted(str(k) for k in set(data) - _SET_KEYS)
        if unknown:
            raise ValidationError(
                unknown[0], data[unknown[0]], f"allowed top-level keys: {sorted(_SET_KEYS)}"
            )
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
                _condition(where.format("condition"), data.get("condition", "true")),
                self.action_calls(where.format("actions"), data.get("actions")),
                None
                if data.get("delay") is None
                else parse_duration(where.format("delay"), data["delay"]),
                self.reentry(where.format("reentry"), data.get("reentry")),
                self.integer(where.format("priority"), data.get("priority", 0)),
                self.boolean(where.format("enabled"), data.get("enabled", True)),
                self.goals(where.format("goals"), data.get("goals", [])),
                self.suppress(where.format("suppress"), data.get("suppress")),
                self.subject(where.format("subject"), data.get("subject", "party")),
                self.boolean(where.format("business_hours"), data.get("business_hours", False)),
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
            if not isinstance(item, Mapping) or set(item) - {"name", "params", "code"}:
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
            out.append(ActionCall(name, dict(params), self.code(here, name, item.get("code"))))
        return tuple(out)

    def code(self, path: str, name: str, stored: object) -> str | None:
        """The action's code hash: the running one against a store (refusing a changed one), else as stored."""
        if stored is not None and not isinstance(stored, str):
            raise ValidationError(f"{path}.code", stored, 'give the hash, "sha256:..."')
        if self.codes is None:
            return stored
        running = self.codes.get(name)
        if stored is not None and stored != running:
            raise ValidationError(
                f"{path}.code",
                stored,
                f"the code of action {name!r} changed: stored {stored}, running {running}; "
                "install the rule set again to run the new code",
            )
        return running

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
                    _condition(f"{here}.condition", data.get("condition", "true")),
                )
            )
        return tuple(out)

    def subject(self, path: str, value: object) -> str:
        if value not in SUBJECTS:
            raise ValidationError(path, value, f"allowed: {list(SUBJECTS)}")
        return str(value)

    def suppress(self, path: str, value: object) -> Suppression:
        if value is None:
            return Suppression()
        if not isinstance(value, Mapping) or set(value) - _SUPPRESS_KEYS:
            raise ValidationError(
                path, value, f"give a table with some of {sorted(_SUPPRESS_KEYS)}"
            )
        lists = {}
        for key in ("parties", "tags"):
            items = value.get(key, [])
            if not isinstance(items, list):
                raise ValidationError(f"{path}.{key}", items, "give a list of strings")
            lists[key] = frozenset(
                _text_field(f"{path}.{key}[{n}]", item).strip().lower()
                if key == "tags"
                else _text_field(f"{path}.{key}[{n}]", item)
                for n, item in enumerate(items)
            )
        condition = value.get("condition")
        return Suppression(
            lists["parties"],
            lists["tags"],
            None if condition is None else _condition(f"{path}.condition", condition),
        )

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
    codes: Mapping[str, str | None] | None = None,
) -> tuple[RuleSet | None, list[ValidationError]]:
    """Load *source*; ``(rule set, [])`` or ``(None, every error found)``.

    *codes* (action name: code hash, ``None`` for a built-in; `action_codes_of`)
    records each Python action's code in the set and refuses a stored hash
    that no longer matches.
    """
    loader = _Loader(event_types, actions, codes)
    try:
        data = _source(source)
        rules = loader.rules(data)
    except ValidationError as error:
        return None, [error]
    assert isinstance(data, Mapping)  # noqa: S101 - loader.rules refuses anything else
    suppress = Suppression()
    try:  # the set-wide list: every rule's subjects, on top of each rule's own
        suppress = loader.suppress("suppress", data.get("suppress"))
    except ValidationError as error:
        ValidationError.__init__(
            error, error.field, error.value, f"the rule set's suppress: {error.reason}"
        )
        loader.errors.insert(0, error)
    if loader.errors:
        return None, loader.errors
    return RuleSet(tuple(rules), suppress), []


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
    parameters checked, a Python action's code hash recorded and a stored
    one checked); *event_types* / *actions* give those sets directly.

    Raises:
        ValidationError: At the first bad place, e.g. field ``rules[2].actions[0].params.stage``.
    """
    codes = None
    if crm is not None:
        event_types = event_types if event_types is not None else event_types_of(crm)
        actions = actions if actions is not None else actions_of(crm)
        codes = action_codes_of(crm)
    ruleset, errors = check_rules(source, event_types=event_types, actions=actions, codes=codes)
    if errors:
        raise errors[0]
    assert ruleset is not None  # noqa: S101 - check_rules returns one or the other
    return ruleset


def mission_rules(*, crm: object = None) -> RuleSet:
    """The mission's ready rules (``mission.toml``, packaged): survey on resolve, invoice on fulfilment, proposal follow-up."""
    from importlib.resources import files

    text = files("relationship_core._rules").joinpath("mission.toml").read_text(encoding="utf-8")
    return load_rules(text, crm=crm)
