"""The built-in kinds: parties, engagements and interactions.

Later parts of the library register theirs on `DEFAULT_MAPPINGS` with
`register_mapping` (at import time), so every store opened afterwards
knows them.
"""

from __future__ import annotations

from typing import Any

from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.engagements import Engagement, Interaction
from relationship_core._domain.parties import Party

__all__ = [
    "DEFAULT_MAPPINGS",
    "ENGAGEMENTS",
    "INTERACTIONS",
    "PARTIES",
    "register_mapping",
]


def _opt(value: Any) -> Any:
    return None if value is None else str(value)


PARTIES: KindMapping[Party] = KindMapping(
    "party",
    Party,
    indexed={
        "party_kind": ("str", lambda p: p.kind.value),
        "name": ("str", lambda p: p.name),
        "email": ("str?", lambda p: _opt(p.email)),
    },
)

ENGAGEMENTS: KindMapping[Engagement] = KindMapping(
    "engagement",
    Engagement,
    indexed={
        "party_id": ("str", lambda e: e.party_id),
        "kind": ("str", lambda e: e.kind.value),
        "acquired_on": ("date", lambda e: e.acquired_on),
        "sales_rep": ("str?", lambda e: e.sales_rep),
        "account_manager": ("str?", lambda e: e.account_manager),
        "support_team": ("str?", lambda e: e.support_team),
    },
)

INTERACTIONS: KindMapping[Interaction] = KindMapping(
    "interaction",
    Interaction,
    indexed={
        "engagement_id": ("str", lambda i: i.engagement_id),
        "party_id": ("str", lambda i: i.party_id),
        "occurred_at": ("datetime", lambda i: i.occurred_at),
        "channel": ("str", lambda i: i.channel.value),
    },
)

#: The registry stores are opened with unless told otherwise.
DEFAULT_MAPPINGS = MappingRegistry([PARTIES, ENGAGEMENTS, INTERACTIONS])


def register_mapping(mapping: KindMapping[Any]) -> KindMapping[Any]:
    """Make every store opened from now on know *mapping*'s kind."""
    return DEFAULT_MAPPINGS.register(mapping)
