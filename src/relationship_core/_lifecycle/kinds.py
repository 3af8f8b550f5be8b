"""How the lifecycle and the deal pipeline are stored: the ``party_lifecycle`` and ``opportunity`` kinds.

This module is the application side of `relationship_core._lifecycle` (the
rest of the package is pure domain): the "lifecycle" feature plugin
contributes these mappings through ``relationship_core_kinds``.

A party's lifecycle is one record per party (its id is the party's id) holding
the whole append-only history; the indexed fields are derived from it on every
write: the current ``stage``, when it was entered, and ``became_<stage>`` (the
first time the party entered each stage of the default lifecycle, hyphens as
underscores: ``became_marketing_qualified``), so "who became a customer this
month" is one query.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._lifecycle.definition import DEFAULT_LIFECYCLE
from relationship_core._lifecycle.history import PartyLifecycle
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._lifecycle.timeline import timeline_order

__all__ = [
    "BECAME_FIELDS",
    "LIFECYCLE_MAPPINGS",
    "OPPORTUNITIES",
    "PARTY_LIFECYCLES",
    "became_field",
    "deal_status",
]


def became_field(stage: str) -> str:
    """The indexed field holding when a party first became *stage* (``became_customer``)."""
    return "became_" + stage.replace("-", "_")


#: ``{field: stage}`` for every stage of the default lifecycle.
BECAME_FIELDS: dict[str, str] = {became_field(s): s for s in DEFAULT_LIFECYCLE.names}


def _entered(lifecycle: PartyLifecycle) -> datetime | None:
    if not lifecycle.moves:
        return None
    return max(lifecycle.moves, key=timeline_order).occurred_at


def _first(stage: str) -> Any:
    def first(lifecycle: PartyLifecycle) -> datetime | None:
        times = [m.occurred_at for m in lifecycle.moves if m.to_stage == stage]
        return min(times) if times else None

    return first


PARTY_LIFECYCLES: KindMapping[PartyLifecycle] = KindMapping(
    "party_lifecycle",
    PartyLifecycle,
    indexed={
        "party_id": ("str", lambda lc: lc.party_id),
        "lifecycle": ("str", lambda lc: lc.lifecycle.name),
        "stage": ("str?", lambda lc: lc.stage),
        "stage_entered_at": ("datetime?", _entered),
        **{field: ("datetime?", _first(stage)) for field, stage in BECAME_FIELDS.items()},
    },
    id_of=lambda lc: lc.party_id,
    references={"party_id": "party"},
)


_MILLIONTH = Decimal("0.000001")


def cycle_seconds(deal: Opportunity) -> int | None:
    """Whole seconds from opening to closing; ``None`` while open or when not known."""
    if deal.opened_at is None or deal.closed_at is None:
        return None
    return int((deal.closed_at - deal.opened_at).total_seconds())


def deal_status(deal: Opportunity) -> str:
    """``"open"``, ``"won"`` or ``"lost"``."""
    if not deal.is_closed:
        return "open"
    return "won" if deal.is_won else "lost"


OPPORTUNITIES: KindMapping[Opportunity] = KindMapping(
    "opportunity",
    Opportunity,
    indexed={
        "party_id": ("str", lambda d: d.party_id),
        "engagement_id": ("str?", lambda d: d.engagement_id),
        "pipeline": ("str", lambda d: d.pipeline.name),
        "stage": ("str", lambda d: d.stage),
        "owner": ("str", lambda d: d.owner),
        "expected_close": ("date", lambda d: d.expected_close),
        "status": ("str", deal_status),
        "currency": ("str", lambda d: d.amount.currency.code),
        "closed_at": ("datetime?", lambda d: d.closed_at),
        # For the reports (exact sums in the store): amount_amount / amount_currency, weighted.
        "amount": ("money", lambda d: d.amount),
        "weighted": ("decimal", lambda d: d.weighted_amount.amount.quantize(_MILLIONTH)),
        # For the sales report: the whole seconds from opening to closing (None while open).
        "opened_at": ("datetime?", lambda d: d.opened_at),
        "cycle_seconds": ("int?", cycle_seconds),
    },
    references={"party_id": "party", "engagement_id": "engagement"},
)

#: The kinds the "lifecycle" feature contributes.
LIFECYCLE_MAPPINGS: tuple[KindMapping[Any], ...] = (PARTY_LIFECYCLES, OPPORTUNITIES)
