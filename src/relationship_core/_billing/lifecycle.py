"""Where engagements meet retainers: promotion starts one, a lapse ends it.

The billing feature's event handlers apply these when an engagement is
promoted or lapses; a `RetainerPlan`, written by the billing commands, says
with which terms and how.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from relationship_core._billing._checks import require_instance, require_text
from relationship_core._billing.retainer import Retainer, RetainerStatus, RetainerTerms
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.engagements import ClientLapsed, Engagement, EngagementKind
from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware
from relationship_core.exceptions import ValidationError

__all__ = ["RetainerPlan", "end_retainer_on_lapse", "start_retainer_for"]


def _terms(
    _instance: object, _attribute: attrs.Attribute[RetainerTerms | None], value: object
) -> None:
    if value is not None and not isinstance(value, RetainerTerms):
        raise ValidationError("terms", value, "expected RetainerTerms")


@attrs.define(kw_only=True)
class RetainerPlan:
    """What billing does at an engagement's next promotion and lapse.

    The promotion event carries no retainer terms (it belongs to the
    engagement, which knows nothing of billing), so the billing command
    writes them here, in the same unit of work; the promotion handler starts
    the retainer and clears `terms`, so a replayed promotion starts nothing.
    Likewise `end_immediately` tells the lapse handler how to end, and is
    cleared by it.

    Attributes:
        id: The engagement's id (one plan per engagement).
        business: Whose retainer the next promotion starts.
        retainer_id: The id of the retainer the (last) promotion starts.
        terms: Its terms; ``None`` once started.
        end_immediately: The next lapse stops service on the lapse day
            (default: at the end of the period containing it).
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    business: str = DEFAULT_BUSINESS
    retainer_id: str | None = None
    terms: RetainerTerms | None = attrs.field(default=None, validator=_terms)
    end_immediately: bool = False

    def plan_start(self, retainer_id: str, terms: RetainerTerms, business: str) -> None:
        """Start *retainer_id* on *terms* for *business* at the next promotion."""
        self.retainer_id, self.terms, self.business = retainer_id, terms, business


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
    require_instance("engagement", engagement, Engagement)
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
