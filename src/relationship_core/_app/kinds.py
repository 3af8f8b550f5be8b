"""The core kinds: parties, engagements and interactions (contributed by the "core" plugin).

`DEFAULT_MAPPINGS` and `register_mapping` are the 0.1 way of adding kinds (a
process-wide registry filled at import); stores now get their kinds from the
feature plugins' ``relationship_core_kinds`` hook. Both keep working for one
release: kinds registered there that no plugin contributes are still added to
every store opened with the default kinds.
"""

from __future__ import annotations

import warnings
from typing import Any

from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._app.search import search_key
from relationship_core._domain.engagements import Engagement, Interaction
from relationship_core._domain.parties import Party
from relationship_core._domain.phones import phone_key, region_of
from relationship_core.exceptions import ValidationError

__all__ = [
    "DEFAULT_MAPPINGS",
    "ENGAGEMENTS",
    "INTERACTIONS",
    "PARTIES",
    "register_mapping",
]


def _opt(value: Any) -> Any:
    return None if value is None else str(value)


def with_locale(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 1 -> 2 of a party: no locale known yet (templates use the fallback)."""
    return {**data, "locale": data.get("locale")}


def _phones(party: Party) -> list[str]:
    """The party's phone numbers as the phone index stores them (see `phone_key`)."""
    given = getattr(party, "phone", None)
    if given is None:
        return []
    key = phone_key(given, region_of(party.locale))
    return [] if key is None else [key]


PARTIES: KindMapping[Party] = KindMapping(
    "party",
    Party,
    schema_version=2,
    upgrades={1: with_locale},
    indexed={
        "party_kind": ("str", lambda p: p.kind.value),
        "name": ("str", lambda p: p.name),
        "email": ("str?", lambda p: _opt(p.email)),
        "locale": ("str?", lambda p: p.locale),
        "name_key": ("str", lambda p: search_key(p.name)),
        # Every address and tag, normalised (lower-cased): conditions `contains` / `in`.
        "emails": ("str[]", lambda p: [e.value for e in p.emails]),
        "tags": ("str[]", lambda p: sorted(p.tags)),
        # Phone numbers in E.164 where they parse (region of the party's locale): `prefix`.
        "phones": ("str[]", _phones),
    },
)


def with_end(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 1 -> 2 of an engagement: live (not ended) until `Engagement.end` says otherwise."""
    return {"ended_on": None, "end_reason": None, **data}


ENGAGEMENTS: KindMapping[Engagement] = KindMapping(
    "engagement",
    Engagement,
    schema_version=2,
    upgrades={1: with_end},
    indexed={
        "party_id": ("str", lambda e: e.party_id),
        "kind": ("str", lambda e: e.kind.value),
        "acquired_on": ("date", lambda e: e.acquired_on),
        "sales_rep": ("str?", lambda e: e.sales_rep),
        "account_manager": ("str?", lambda e: e.account_manager),
        "support_team": ("str?", lambda e: e.support_team),
    },
    references={"party_id": "party"},
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
    references={"engagement_id": "engagement", "party_id": "party"},
)

#: Deprecated (0.2): the process-wide registry `register_mapping` fills.
DEFAULT_MAPPINGS = MappingRegistry([PARTIES, ENGAGEMENTS, INTERACTIONS])


def register_mapping(mapping: KindMapping[Any]) -> KindMapping[Any]:
    """Make every store opened from now on know *mapping*'s kind (deprecated).

    Contribute the mapping with a ``relationship_core_kinds`` hook instead
    (see docs/plugins.md); this keeps working for one release. The library's
    own kinds, which its built-in plugins contribute, are accepted silently.
    """
    if not isinstance(mapping, KindMapping):
        raise ValidationError("mapping", mapping, "expected a KindMapping")
    if not mapping.cls.__module__.startswith("relationship_core."):
        warnings.warn(
            "register_mapping() is deprecated: contribute the KindMapping with a "
            "relationship_core_kinds hook (see docs/plugins.md, 'Writing a feature plugin')",
            DeprecationWarning,
            stacklevel=2,
        )
    return DEFAULT_MAPPINGS.register(mapping)
