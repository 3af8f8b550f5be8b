"""What a store offers rules: its event types and its rule actions (with their parameter checks).

Kept apart from the actions themselves so the rule-set loader (pure: no
platform imports) can check a rule set against a store without an import circle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from relationship_core._rules.python_rules import code_hash
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._plugins.specs import RuleActionSpec

__all__ = [
    "action_code",
    "action_codes_of",
    "check_action_code",
    "actions_of",
    "event_types_of",
    "rule_actions_of",
]

Params = Mapping[str, Any]
_lock = threading.Lock()
_codes: dict[object, str] = {}


def rule_actions_of(crm: object) -> dict[str, RuleActionSpec]:
    """The rule actions the store's plugins contribute, by name."""
    features = getattr(crm, "features", None)
    if features is None:
        raise ValidationError("crm", crm, "expected a store opened by relationship_core.open")
    return {c.name: c.value for c in features.rule_actions.contributions()}


def actions_of(crm: object) -> dict[str, Callable[[Params, str], Params] | None]:
    """The store's action names and their parameter checks (``None``: unchecked)."""
    out: dict[str, Callable[[Params, str], Params] | None] = {}
    for name, spec in rule_actions_of(crm).items():
        check = getattr(spec.action, "check", None)  # a RuleAction's, or none
        out[name] = check if callable(check) else None
    return out


def action_code(action: object) -> str | None:
    """The code hash of a Python action from outside this library (``None``: a built-in).

    The hash is `code_hash` of its ``run`` function (of the callable itself when
    it has none): a rule set naming the action records it, so the set's version
    changes when the action's code does. Built-ins are the library's own code,
    versioned with it.
    """
    function: Any = getattr(action, "run", action)
    module = getattr(function, "__module__", None) or ""
    if module == "relationship_core" or module.startswith("relationship_core."):
        return None
    with _lock:
        found = _codes.get(function)
    if found is None:
        found = code_hash(function)
        with _lock:
            if len(_codes) > 256:
                _codes.clear()
            _codes[function] = found
    return found


def check_action_code(path: str, name: str, stored: str | None, action: object) -> None:
    """Refuse to run *action* when the code hash the rule set recorded (*stored*) is not its own."""
    running = action_code(action)
    if stored is not None and stored != running:
        raise ValidationError(
            path,
            stored,
            f"the code of action {name!r} changed: stored {stored}, running {running}; "
            "install the rule set again to run the new code",
        )


def action_codes_of(crm: object) -> dict[str, str | None]:
    """The store's action names and their code hashes (``None``: a built-in)."""
    return {name: action_code(spec.action) for name, spec in rule_actions_of(crm).items()}


def event_types_of(crm: object) -> frozenset[str]:
    """The event type names the store knows."""
    types = getattr(crm, "event_types", None)
    if types is None:
        raise ValidationError("crm", crm, "expected a store opened by relationship_core.open")
    return frozenset(types)
