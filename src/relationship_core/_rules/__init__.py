"""The condition language of the event-rule engine (private until the platform exposes it).

Conditions are written as text (grammar in ``docs/rules.md``) or as JSON, parsed into
a small tree, compiled once into closures, evaluated against a `Context` whose
objects expose only whitelisted attributes, explained on demand, and indexed by
event type and equality so matching costs grow with the rules that could match.
"""

from __future__ import annotations

from relationship_core._rules.ast import Duration, to_text
from relationship_core._rules.condition import CompiledCondition, compile_condition
from relationship_core._rules.context import MISSING, Context, Exposure
from relationship_core._rules.errors import ConditionError
from relationship_core._rules.explain import Explanation
from relationship_core._rules.index import ANY_EVENT, MatchResult, Rule, RuleIndex
from relationship_core._rules.jsonform import from_json, load_json, to_json
from relationship_core._rules.parser import parse

__all__ = [
    "Rule",
    "RuleIndex",
    "MatchResult",
    "ANY_EVENT",
    "compile_condition",
    "CompiledCondition",
    "Context",
    "Exposure",
    "MISSING",
    "Explanation",
    "ConditionError",
    "Duration",
    "parse",
    "from_json",
    "load_json",
    "to_json",
    "to_text",
]
