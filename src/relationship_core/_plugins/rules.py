"""The "rules" feature: the rule engine on the bus, its kinds, its built-in actions and job handler.

A built-in plugin (``relationship_core.rules``) using the same hooks a
third-party feature uses. Its ``"*"`` handler runs the store's installed rule
set (`relationship_core._rules.engine`) in each event's unit of work; delayed
actions run from the ``rules.action`` queue. Other plugins add actions through
``relationship_core_rule_actions``, each a `RuleActionSpec` whose ``action`` is a
`relationship_core._rules.actions.RuleAction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import (
    ANY_EVENT,
    EventHandlerSpec,
    JobHandlerSpec,
    RuleActionSpec,
)
from relationship_core._rules.actions import BUILTIN_ACTIONS
from relationship_core._rules.audit import RULE_MAPPINGS
from relationship_core._rules.engine import ACTION_QUEUE, handle_event, run_delayed

__all__ = [
    "relationship_core_event_handlers",
    "relationship_core_job_handlers",
    "relationship_core_kinds",
    "relationship_core_rule_actions",
]


@hookimpl
def relationship_core_kinds() -> Sequence[KindMapping[Any]]:
    """The installed rule set, enrolments and the audit."""
    return list(RULE_MAPPINGS)


@hookimpl
def relationship_core_event_handlers() -> Sequence[EventHandlerSpec]:
    """The engine: every event, against the installed rule set."""
    return [EventHandlerSpec("rules.engine", ANY_EVENT, handle_event)]


@hookimpl
def relationship_core_job_handlers() -> Sequence[JobHandlerSpec]:
    """Delayed rule actions."""
    return [JobHandlerSpec(ACTION_QUEUE, run_delayed, "a rule's actions, after its delay")]


@hookimpl
def relationship_core_rule_actions() -> Sequence[RuleActionSpec]:
    """The built-in actions."""
    return [RuleActionSpec(name, action, text) for name, action, text in BUILTIN_ACTIONS]
