"""A plugin with a slow rule action, for the reliability test (also loaded by worker processes).

``slow_mark`` sleeps ``params["seconds"]`` (real time), appends the enrolment
key to the file ``params["trace"]`` (an outside effect: at least once), then
adds a person with a fresh id named ``mark:<subject>``: a second committed run
would leave two, so "one such person" means "the action ran once in the store".
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import relationship_core as rc
from relationship_core._rules.actions import RuleAction
from relationship_core.plugins import RuleActionSpec, hookimpl


def slow_mark(context: Any, params: Mapping[str, Any]) -> Mapping[str, str]:
    """Sleep, trace, then add the marker person."""
    time.sleep(float(params.get("seconds", 0.2)))
    with Path(params["trace"]).open("a", encoding="utf-8") as fh:
        fh.write(f"{context.key}\n")
    context.uow.add(rc.Person(id=f"mark-{uuid.uuid4().hex}", name=f"mark:{context.subject}"))
    return {"marked": context.subject}


class _Plugin:
    @hookimpl
    def relationship_core_rule_actions(self) -> Sequence[RuleActionSpec]:
        return [RuleActionSpec("slow_mark", RuleAction(slow_mark), "sleep, then mark")]


plugin = _Plugin()
