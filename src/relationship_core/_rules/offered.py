"""What a store offers rules: its event types and its rule actions (with their parameter checks).

Kept apart from the actions themselves so the rule-set loader (pure: no
platform imports) can check a rule set against a store without an import circle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._plugins.specs import RuleActionSpec

__all__ = ["actions_of", "event_types_of", "rule_actions_of"]

Params = Mapping[str, Any]


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


def event_types_of(crm: object) -> frozenset[str]:
    """The event type names the store knows."""
    types = getattr(crm, "event_types", None)
    if types is None:
        raise ValidationError("crm", crm, "expected a store opened by relationship_core.open")
    return frozenset(types)
