"""Lifecycles and deals in a store: move a party's stage, open and move deals, forecast.

`LifecycleService` is the application side of `relationship_core._lifecycle`:
each change is one unit of work on the `CRM`, acting for the actor given (the
store's default otherwise), and the instant a move is recorded is the store's
clock. Periods and the local days deals close on are the business's
(`relationship_core.Business`; UTC when the business is not stored).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from relationship_core._app.facade import CRM
from relationship_core._app.repository import Results, require_store
from relationship_core._domain.actor import Actor
from relationship_core._domain.business import DEFAULT_BUSINESS, Business, require_key
from relationship_core._domain.money import Money
from relationship_core._lifecycle.forecast import Period, PipelineForecast, weighted_pipeline
from relationship_core._lifecycle.history import PartyLifecycle
from relationship_core._lifecycle.kinds import OPPORTUNITIES, PARTY_LIFECYCLES
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._lifecycle.pipelines import DEFAULT_PIPELINE, Pipeline
from relationship_core._lifecycle.reactions import lifecycle_of
from relationship_core._lifecycle.timeline import StageMove

__all__ = ["LifecycleService"]

T = TypeVar("T")


class LifecycleService:
    """The party lifecycles and the deal pipeline of one business in a store.

    Args:
        crm: The open store (its plugins must include the lifecycle feature, the default).
        business: Whose zone periods and closing days are in (default ``"default"``).
    """

    def __init__(self, crm: CRM, *, business: str = DEFAULT_BUSINESS) -> None:
        require_store("crm", crm)
        self._crm = crm
        self.business = require_key("business", business)

    @property
    def time_zone(self) -> ZoneInfo:
        """The business's zone (UTC when it is not stored)."""
        if "business" not in self._crm.registry:
            return ZoneInfo("UTC")
        found = self._crm.repository(Business).find(self.business)
        return found.calendar.time_zone if found is not None else ZoneInfo("UTC")

    def follow_engagements(self) -> None:
        """Deprecated (0.3): engagement events move parties' stages by default; does nothing.

        Switch the handlers off with
        ``open(url, config={"lifecycle": {"follow_engagements": False}})``.
        """
        warnings.warn(
            "LifecycleService.follow_engagements() is deprecated: engagement events move "
            "parties' stages by default now (switch: open(url, config={'lifecycle': "
            "{'follow_engagements': False}}))",
            DeprecationWarning,
            stacklevel=2,
        )

    # -- party lifecycles -----------------------------------------------------
    def of(self, party_id: str) -> PartyLifecycle | None:
        """The party's lifecycle, or ``None`` if it never moved."""
        return self._crm.repository(PARTY_LIFECYCLES).find(party_id)

    def history(self, party_id: str) -> tuple[StageMove, ...]:
        """Every move of the party, in recording order (empty if none)."""
        found = self.of(party_id)
        return found.moves if found is not None else ()

    def move(
        self,
        party_id: str,
        to: str,
        *,
        actor: Actor | None = None,
        occurred_at: datetime | None = None,
        reason_code: str | None = None,
        note: str = "",
        override: bool = False,
        source_id: str | None = None,
    ) -> StageMove:
        """Move the party to stage *to* (recorded now; back-date with *occurred_at*).

        Raises:
            InvalidTransitionError: The lifecycle does not allow it (names the allowed moves).
            ValidationError: A reason is missing, or the party is not stored.
        """
        now = self._crm.clock.now()
        with self._crm.unit_of_work(actor) as uow:
            return lifecycle_of(uow, party_id).move(
                to,
                occurred_at=occurred_at or now,
                recorded_at=now,
                actor=uow.actor,
                source_id=source_id,
                reason_code=reason_code,
                note=note,
                override=override,
            )

    def in_stage(
        self, stage: str, *, limit: int = 100, after: str | None = None
    ) -> Results[PartyLifecycle]:
        """One page of the lifecycles of parties now in *stage*."""
        return self._crm.repository(PARTY_LIFECYCLES).query(stage=stage, limit=limit, after=after)

    # -- deals ----------------------------------------------------------------
    def open_deal(
        self,
        *,
        party_id: str,
        title: str,
        owner: str,
        amount: Money,
        expected_close: date,
        pipeline: Pipeline = DEFAULT_PIPELINE,
        stage: str | None = None,
        engagement_id: str | None = None,
        actor: Actor | None = None,
    ) -> Opportunity:
        """Open and store a deal (closing days in the business's zone)."""
        with self._crm.unit_of_work(actor) as uow:
            deal = Opportunity.open(
                party_id=party_id,
                title=title,
                owner=owner,
                amount=amount,
                expected_close=expected_close,
                at=self._crm.clock.now(),
                pipeline=pipeline,
                stage=stage,
                engagement_id=engagement_id,
                time_zone=self.time_zone,
                id=self._crm.new_id(),
            )
            return uow.add(deal)

    def deal(self, deal_id: str) -> Opportunity:
        """A stored deal (``NotFoundError`` if there is none)."""
        return self._crm.repository(OPPORTUNITIES).get(deal_id)

    def _change(
        self, deal_id: str, actor: Actor | None, change: Callable[[Opportunity, datetime], None]
    ) -> Opportunity:
        with self._crm.unit_of_work(actor) as uow:
            deal = uow.repository(OPPORTUNITIES).get(deal_id)
            change(deal, self._crm.clock.now())
            return deal

    def move_deal(self, deal_id: str, stage: str, *, actor: Actor | None = None) -> Opportunity:
        """Move an open deal to another open stage."""
        return self._change(deal_id, actor, lambda d, at: d.move_to(stage, at=at))

    def win_deal(
        self, deal_id: str, *, actor: Actor | None = None, stage: str | None = None
    ) -> Opportunity:
        """Close a deal as won."""
        return self._change(deal_id, actor, lambda d, at: d.win(at=at, stage=stage))

    def lose_deal(
        self, deal_id: str, *, reason_code: str, note: str = "", actor: Actor | None = None
    ) -> Opportunity:
        """Close a deal as lost for *reason_code*."""
        return self._change(
            deal_id, actor, lambda d, at: d.lose(at=at, reason_code=reason_code, note=note)
        )

    def deals_of(self, party_id: str) -> list[Opportunity]:
        """Every deal of one party."""
        return list(self._crm.repository(OPPORTUNITIES).iterate(party_id=party_id))

    # -- forecast -------------------------------------------------------------
    def this_quarter(self) -> Period:
        """The current quarter in the business's zone."""
        return Period.this_quarter(self._crm.clock.now(), self.time_zone)

    def next_quarter(self) -> Period:
        """The next quarter in the business's zone."""
        return Period.next_quarter(self._crm.clock.now(), self.time_zone)

    def weighted_pipeline(
        self,
        period: Period | None = None,
        *,
        by: Sequence[str] = (),
        pipeline: str | None = None,
    ) -> PipelineForecast:
        """The weighted pipeline of the stored open deals closing in *period* (default: this quarter).

        Only open deals expected to close in the period are read (an indexed query).
        """
        period = period or self.this_quarter()
        conditions: list[tuple[str, str, object]] = [
            ("status", "eq", "open"),
            ("expected_close", "ge", period.start),
            ("expected_close", "le", period.end),
        ]
        if pipeline is not None:
            conditions.append(("pipeline", "eq", pipeline))
        deals = self._crm.repository(OPPORTUNITIES).iterate(*conditions)
        return weighted_pipeline(deals, period, by=by)
