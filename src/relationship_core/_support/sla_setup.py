"""The store's SLA setup: its policies and the working calendar they are measured in.

Stored (kind ``sla_setup``, one record, id ``"sla"``) so that every unit of
work that changes a ticket, through `SupportService` or not, can replace the
ticket's SLA timers in its own commit: the support plugin's handler
(`relationship_core._support.timers.replace_on_change`) reads it there.
`SupportService(policies=...)` writes it.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

import attrs

from relationship_core import _serialize
from relationship_core._app.mapping import KindMapping
from relationship_core._domain.business import WorkingCalendar
from relationship_core._domain.validators import tuple_of
from relationship_core._support.sla import SlaPolicy
from relationship_core.exceptions import ValidationError

__all__ = ["SLA_SETUP_ID", "SLA_SETUPS", "SlaSetup"]

#: The id of the store's one SLA setup.
SLA_SETUP_ID = "sla"
_US = timedelta(microseconds=1)
_GOALS = ("first_response", "update", "resolution")


def _policies(value: object) -> tuple[SlaPolicy, ...]:
    return tuple_of("policies", SlaPolicy, value)


@attrs.define(kw_only=True)
class SlaSetup:
    """The policies (first match wins) and the calendar SLA time is counted in.

    Attributes:
        policies: The SLA policies, most specific first.
        calendar: The business's working calendar.
        id: Always ``"sla"``: one setup per store.
    """

    policies: tuple[SlaPolicy, ...] = attrs.field(converter=_policies)
    calendar: WorkingCalendar
    id: str = SLA_SETUP_ID


def _policy_out(policy: SlaPolicy) -> dict[str, Any]:
    data: dict[str, Any] = {"name": policy.name, "near_breach": str(policy.near_breach)}
    for goal in _GOALS:
        value = getattr(policy, goal)
        data[goal] = None if value is None else value // _US
    data["priorities"] = sorted(p.value for p in policy.priorities)
    data["types"] = sorted(t.value for t in policy.types)
    return data


def _policy_in(data: dict[str, Any]) -> SlaPolicy:
    goals = {g: None if data.get(g) is None else _US * int(data[g]) for g in _GOALS}
    return SlaPolicy(
        name=data["name"],
        priorities=data["priorities"],
        types=data["types"],
        near_breach=Fraction(data["near_breach"]),
        **goals,
    )


def _setup_out(setup: SlaSetup) -> dict[str, Any]:
    return {
        "id": setup.id,
        "policies": [_policy_out(p) for p in setup.policies],
        "calendar": _serialize.unstructure(setup.calendar),
    }


def _setup_in(data: dict[str, Any], _: type[SlaSetup]) -> SlaSetup:
    try:
        return SlaSetup(
            id=data["id"],
            policies=tuple(_policy_in(p) for p in data["policies"]),
            calendar=_serialize.structure(data["calendar"], WorkingCalendar),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("sla_setup", data.get("id"), f"not an SLA setup: {exc}") from None


SLA_SETUPS: KindMapping[SlaSetup] = KindMapping(
    "sla_setup",
    SlaSetup,
    unstructure=_setup_out,
    structure=_setup_in,
    # One indexed field: the SQL stores register a kind by its fields (none would read as new).
    indexed={"policies": ("int", lambda s: len(s.policies))},
)
