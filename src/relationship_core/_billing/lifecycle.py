"""Where engagements meet retainers: promotion starts one, a lapse ends it."""

from __future__ import annotations

from datetime import date, datetime

from relationship_core._billing.retainer import Retainer, RetainerStatus, RetainerTerms
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.engagements import ClientLapsed, Engagement, EngagementKind
from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware
from relationship_core.exceptions import ValidationError

__all__ = ["end_retainer_on_lapse", "start_retainer_for"]


def start_retainer_for(
    engagement: Engagement,
    terms: RetainerTerms,
    at: datetime,
    *,
    retainer_id: str | None = None,
    starts_on: date | None = None,
    business: str = DEFAULT_BUSINESS,
) -> Retainer:
    """Start the retainer of a client engagement.

    Call it in the same unit of work as `Engagement.promote_to_client`.
    The start defaults to the day of the latest promotion (or, for an
    engagement that began as a client, the local date of *at*).

    Raises:
        ValidationError: The engagement is not a client one.
    """
    require_aware("at", at)
    if engagement.kind is not EngagementKind.CLIENT:
        raise ValidationError(
            "engagement.kind",
            engagement.kind.value,
            "only clients have retainers; promote the customer first (promote_to_client)",
        )
    if starts_on is None:
        promotions = [c for c in engagement.history if c.to_kind is EngagementKind.CLIENT]
        if promotions:
            starts_on = promotions[-1].on
    return Retainer.start(
        retainer_id or new_id(),
        engagement.party_id,
        terms,
        at,
        starts_on=starts_on,
        engagement_id=engagement.id,
        business=business,
    )


def end_retainer_on_lapse(
    retainer: Retainer, lapse: ClientLapsed, *, immediately: bool = False
) -> date | None:
    """End *retainer* because its client lapsed; returns the end date (``None`` if already ended).

    By default the period containing the lapse day is the last one billed;
    with *immediately* service stops on the lapse day and the rest of the
    billed period is credited. A minimum-term true-up applies as for any
    cancellation.
    """
    if not isinstance(lapse, ClientLapsed):
        raise ValidationError("lapse", lapse, "expected a ClientLapsed event")
    if lapse.party_id != retainer.party_id:
        raise ValidationError(
            "lapse.party_id", lapse.party_id, f"the retainer bills {retainer.party_id!r}"
        )
    if retainer.status is RetainerStatus.CANCELLED:
        return None
    day = max(lapse.on, retainer.starts_on)
    return retainer.cancel(
        lapse.occurred_at, immediately=immediately, on=day, reason=f"client lapsed: {lapse.reason}"
    )
