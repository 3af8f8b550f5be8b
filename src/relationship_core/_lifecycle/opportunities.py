"""The opportunity (a proposal, a deal) aggregate: amount, close date, pipeline stage, outcome."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware, require_date, to_zone
from relationship_core._domain.validators import to_enum
from relationship_core._lifecycle._checks import optional_text, require_text
from relationship_core._lifecycle.deal_events import (
    OpportunityEvent,
    OpportunityLost,
    OpportunityOpened,
    OpportunityStageChanged,
    OpportunityWon,
    ProposalAccepted,
    ProposalDeclined,
    ProposalSent,
)
from relationship_core._lifecycle.pipelines import (
    DEFAULT_PIPELINE,
    DealStage,
    ForecastCategory,
    Pipeline,
    to_probability,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = ["Opportunity"]


def _text(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    require_text(attribute.name, value)


def _optional(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    optional_text(attribute.name, value)


def _money(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money) or value.amount < 0:
        raise ValidationError(attribute.name, value, "expected a non-negative Money")


def _day(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    require_date(attribute.name, value)


def _zone(value: object) -> ZoneInfo:
    return to_zone("time_zone", value)


def _pipeline(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Pipeline):
        raise ValidationError(attribute.name, value, "expected a Pipeline (Pipeline.from_mapping)")


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Opportunity(EventRecorder):
    """A deal with a party, optionally within one of its engagements.

    A lead has no engagement yet, so the deal belongs to the party; an
    upsell to a client names the engagement too. The probability defaults
    from the stage and can be overridden; an override (and a forecast
    category override) lasts until the stage changes, as in Salesforce.
    Closed deals are final. Change it only through its methods: each checks,
    changes and records an event.

    Attributes:
        id: Stable id.
        party_id: The party.
        engagement_id: One of the party's engagements, or ``None``.
        title: What is being sold.
        owner: The colleague who owns the deal.
        amount: How much (``Money``, not negative).
        expected_close: The day it is expected to close, local to *time_zone*.
        pipeline: The pipeline it runs in.
        stage: Its stage in that pipeline.
        time_zone: Decides the local day it closes on.
        probability_override: Set by `set_probability`; ``None`` uses the stage's.
        forecast_override: Set by `set_forecast_category`; ``None`` uses the stage's.
        proposal_sent_at: When the latest proposal was sent.
        closed_at: When it was won or lost.
        lost_reason: The reason code it was lost for.
        opened_at: When it was opened (``None`` for deals stored before it was kept).
    """

    id: str = attrs.field(factory=new_id, validator=_text)
    party_id: str = attrs.field(validator=_text)
    engagement_id: str | None = attrs.field(default=None, validator=_optional)
    title: str = attrs.field(validator=_text)
    owner: str = attrs.field(validator=_text)
    amount: Money = attrs.field(validator=_money)
    expected_close: date = attrs.field(validator=_day)
    pipeline: Pipeline = attrs.field(default=DEFAULT_PIPELINE, validator=_pipeline)
    stage: str = attrs.field(validator=_text)
    time_zone: ZoneInfo = attrs.field(default=ZoneInfo("UTC"), converter=_zone)
    probability_override: Decimal | None = None
    forecast_override: ForecastCategory | None = None
    proposal_sent_at: datetime | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    opened_at: datetime | None = None
    _events: list[DomainEvent] = events_field()

    def __attrs_post_init__(self) -> None:
        self.pipeline.stage(self.stage)

    @classmethod
    def open(
        cls,
        *,
        party_id: str,
        title: str,
        owner: str,
        amount: Money,
        expected_close: date,
        at: datetime,
        pipeline: Pipeline = DEFAULT_PIPELINE,
        stage: str | None = None,
        engagement_id: str | None = None,
        time_zone: ZoneInfo | str = "UTC",
        id: str | None = None,
    ) -> Opportunity:
        """Open a deal in *stage* (default: the pipeline's first open stage)."""
        require_aware("at", at)
        first = stage or pipeline.open_stages[0] if isinstance(pipeline, Pipeline) else ""
        deal = cls(
            id=id or new_id(),
            party_id=party_id,
            engagement_id=engagement_id,
            title=title,
            owner=owner,
            amount=amount,
            expected_close=expected_close,
            pipeline=pipeline,
            stage=first,
            time_zone=time_zone,
            opened_at=at,
        )
        deal._require_open_stage(deal.stage)
        deal._emit(OpportunityOpened, at)
        return deal

    # -- derived ------------------------------------------------------------
    @property
    def stage_info(self) -> DealStage:
        """The current stage's configuration."""
        return self.pipeline.stage(self.stage)

    @property
    def is_closed(self) -> bool:
        """Won or lost."""
        return self.stage_info.is_closed

    @property
    def is_won(self) -> bool:
        """Won."""
        return self.stage_info.is_won

    @property
    def probability(self) -> Decimal:
        """The chance of winning, a fraction 0-1: the override, else the stage's default."""
        if self.probability_override is not None and not self.is_closed:
            return self.probability_override
        return self.stage_info.probability

    @property
    def forecast_category(self) -> ForecastCategory:
        """How the deal counts in a forecast: the override, else the stage's."""
        if self.forecast_override is not None and not self.is_closed:
            return self.forecast_override
        return self.stage_info.forecast_category

    @property
    def weighted_amount(self) -> Money:
        """Amount * probability, exact (round it when you print it)."""
        return self.amount * self.probability

    # -- helpers ------------------------------------------------------------
    def _set(self, **changes: object) -> None:
        for name, value in changes.items():
            object.__setattr__(self, name, value)

    def _emit(self, event: type[OpportunityEvent], at: datetime, **extra: Any) -> None:
        self._record(
            event(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                engagement_id=self.engagement_id,
                owner=self.owner,
                amount=self.amount,
                pipeline=self.pipeline.name,
                stage=self.stage,
                expected_close=self.expected_close,
                probability=self.probability,
                **extra,
            )
        )

    def _require_open(self, requested: str) -> None:
        if self.is_closed:
            raise InvalidTransitionError("opportunity", self.stage, requested, ())

    def _require_open_stage(self, name: str) -> DealStage:
        stage = self.pipeline.stage(name)
        if stage.is_closed:
            raise InvalidTransitionError(
                "opportunity",
                self.stage,
                name,
                [s for s in self.pipeline.open_stages if s != self.stage],
            )
        return stage

    # -- changes ------------------------------------------------------------
    def move_to(self, stage: str, *, at: datetime) -> None:
        """Move the open deal to another open stage; overrides reset to the stage's defaults.

        To close it use `win` or `lose` (or accept/decline the proposal).
        """
        require_aware("at", at)
        self._require_open(stage)
        if stage == self.stage:
            raise InvalidTransitionError(
                "opportunity",
                self.stage,
                stage,
                [s for s in self.pipeline.open_stages if s != stage],
            )
        self._require_open_stage(stage)
        before = self.stage
        self._set(stage=stage, probability_override=None, forecast_override=None)
        self._emit(OpportunityStageChanged, at, from_stage=before)

    def set_probability(self, value: Decimal | int | None) -> None:
        """Override the probability (a fraction 0-1); ``None`` goes back to the stage's."""
        self._require_open("probability")
        self._set(
            probability_override=None if value is None else to_probability("probability", value)
        )

    def set_forecast_category(self, value: ForecastCategory | str | None) -> None:
        """Override the forecast category of an open deal; ``None`` goes back to the stage's."""
        self._require_open("forecast_category")
        category = None if value is None else to_enum(ForecastCategory, "forecast_category", value)
        if category is ForecastCategory.CLOSED:
            raise ValidationError("forecast_category", "closed", "only a closed deal is 'closed'")
        self._set(forecast_override=category)

    def revise(self, *, amount: Money | None = None, expected_close: date | None = None) -> None:
        """Change the amount or the expected close day of an open deal."""
        self._require_open("revise")
        candidate = attrs.evolve(
            self,
            amount=self.amount if amount is None else amount,
            expected_close=self.expected_close if expected_close is None else expected_close,
        )
        self._set(amount=candidate.amount, expected_close=candidate.expected_close)

    def send_proposal(self, *, at: datetime) -> None:
        """Record that a proposal went out (again, if it is re-sent)."""
        require_aware("at", at)
        self._require_open("proposal.sent")
        self._set(proposal_sent_at=at)
        self._emit(ProposalSent, at)

    def _require_proposal(self, requested: str) -> None:
        self._require_open(requested)
        if self.proposal_sent_at is None:
            raise ValidationError(
                "proposal_sent_at", None, "no proposal was sent; call send_proposal first"
            )

    def accept_proposal(self, *, at: datetime, stage: str | None = None) -> None:
        """The party accepted: record `ProposalAccepted` and win the deal."""
        require_aware("at", at)
        self._require_proposal("proposal.accepted")
        self._emit(ProposalAccepted, at)
        self.win(at=at, stage=stage)

    def decline_proposal(
        self, *, at: datetime, reason_code: str, note: str = "", stage: str | None = None
    ) -> None:
        """The party declined: record `ProposalDeclined` and lose the deal for *reason_code*."""
        require_aware("at", at)
        require_text("reason_code", reason_code)
        self._require_proposal("proposal.declined")
        self._emit(ProposalDeclined, at, reason_code=reason_code, note=note)
        self.lose(at=at, reason_code=reason_code, note=note, stage=stage)

    def _close(self, name: str, at: datetime, *, won: bool) -> DealStage:
        require_aware("at", at)
        target = self.pipeline.stage(name)
        if target.is_won is not won or not target.is_closed:
            what = "won" if won else "lost"
            raise ValidationError(
                "stage", name, f"not a {what} stage of pipeline {self.pipeline.name!r}"
            )
        self._require_open(name)
        return target

    def win(self, *, at: datetime, stage: str | None = None) -> None:
        """Close the deal as won (in the pipeline's first won stage unless *stage* names one)."""
        target = self._close(stage or self.pipeline.won_stage().name, at, won=True)
        self._set(
            stage=target.name, closed_at=at, probability_override=None, forecast_override=None
        )
        self._emit(OpportunityWon, at, closed_on=at.astimezone(self.time_zone).date())

    def lose(
        self, *, at: datetime, reason_code: str, note: str = "", stage: str | None = None
    ) -> None:
        """Close the deal as lost for *reason_code*, keeping the stage it had reached."""
        require_text("reason_code", reason_code)
        target = self._close(stage or self.pipeline.lost_stage().name, at, won=False)
        before = self.stage
        self._set(
            stage=target.name,
            closed_at=at,
            lost_reason=reason_code,
            probability_override=None,
            forecast_override=None,
        )
        self._emit(
            OpportunityLost,
            at,
            closed_on=at.astimezone(self.time_zone).date(),
            reason_code=reason_code,
            stage_before=before,
            note=note,
        )
