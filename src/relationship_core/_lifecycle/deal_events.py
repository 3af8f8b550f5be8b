"""The events a deal produces, carrying what a rule engine needs: party, owner, amount, dates.

They are not registered at import: the platform registers `DEAL_EVENTS`
(with the lifecycle's events) when it wires the feature, through
``register_event(cls.name)(cls)``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import attrs

from relationship_core._domain.events import DomainEvent
from relationship_core._domain.money import Money

__all__ = [
    "DEAL_EVENTS",
    "OpportunityEvent",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityStageChanged",
    "OpportunityWon",
    "ProposalAccepted",
    "ProposalDeclined",
    "ProposalSent",
]


@attrs.frozen(kw_only=True)
class OpportunityEvent(DomainEvent):
    """What every deal event carries; ``aggregate_id`` is the opportunity's id.

    Attributes:
        party_id: The party the deal is with.
        engagement_id: The engagement it belongs to, if any (a lead has none).
        owner: The colleague who owns the deal.
        amount: Its amount.
        pipeline: The pipeline's name.
        stage: The stage after the change.
        expected_close: The expected close day (local).
        probability: The probability after the change (fraction 0-1).
    """

    name: ClassVar[str] = "opportunity.event"

    party_id: str
    engagement_id: str | None
    owner: str
    amount: Money
    pipeline: str
    stage: str
    expected_close: date
    probability: Decimal


@attrs.frozen(kw_only=True)
class OpportunityOpened(OpportunityEvent):
    """A deal was opened."""

    name: ClassVar[str] = "opportunity.opened"


@attrs.frozen(kw_only=True)
class OpportunityStageChanged(OpportunityEvent):
    """A deal moved between open stages."""

    name: ClassVar[str] = "opportunity.stage_changed"

    from_stage: str


@attrs.frozen(kw_only=True)
class ProposalSent(OpportunityEvent):
    """A proposal went to the party ("3 days after it is sent, follow up")."""

    name: ClassVar[str] = "proposal.sent"


@attrs.frozen(kw_only=True)
class ProposalAccepted(OpportunityEvent):
    """The party accepted the proposal; `OpportunityWon` follows."""

    name: ClassVar[str] = "proposal.accepted"


@attrs.frozen(kw_only=True)
class ProposalDeclined(OpportunityEvent):
    """The party declined the proposal; `OpportunityLost` follows."""

    name: ClassVar[str] = "proposal.declined"

    reason_code: str
    note: str = ""


@attrs.frozen(kw_only=True)
class OpportunityWon(OpportunityEvent):
    """A deal was won. ``closed_on`` is the local day it closed."""

    name: ClassVar[str] = "opportunity.won"

    closed_on: date


@attrs.frozen(kw_only=True)
class OpportunityLost(OpportunityEvent):
    """A deal was lost, with why and the stage it had reached."""

    name: ClassVar[str] = "opportunity.lost"

    closed_on: date
    reason_code: str
    stage_before: str
    note: str = ""


#: Every deal event class, for the platform to register.
DEAL_EVENTS: tuple[type[OpportunityEvent], ...] = (
    OpportunityOpened,
    OpportunityStageChanged,
    ProposalSent,
    ProposalAccepted,
    ProposalDeclined,
    OpportunityWon,
    OpportunityLost,
)
