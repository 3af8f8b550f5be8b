"""Lifecycle stages of a party and the deal pipeline: pure domain, no I/O.

Not exported from ``relationship_core`` yet: persistence, the bus and the
registration of `EVENTS` come with the platform.
"""

from __future__ import annotations

from relationship_core._domain.actor import Actor, ActorKind
from relationship_core._domain.events import DomainEvent
from relationship_core._lifecycle.deal_events import (
    DEAL_EVENTS,
    OpportunityEvent,
    OpportunityLost,
    OpportunityOpened,
    OpportunityStageChanged,
    OpportunityWon,
    ProposalAccepted,
    ProposalDeclined,
    ProposalSent,
)
from relationship_core._lifecycle.definition import (
    DEFAULT_LIFECYCLE,
    Lifecycle,
    LifecycleStage,
    StageKind,
)
from relationship_core._lifecycle.engagement_moves import (
    EngagementEnded,
    EngagementStageNames,
    PlannedMove,
    engagement_stage,
    moves_for_engagement_event,
)
from relationship_core._lifecycle.forecast import (
    GROUPINGS,
    ForecastRow,
    Period,
    PipelineForecast,
    weighted_pipeline,
)
from relationship_core._lifecycle.history import LifecycleStageChanged, PartyLifecycle
from relationship_core._lifecycle.opportunities import Opportunity
from relationship_core._lifecycle.pipelines import (
    DEFAULT_PIPELINE,
    DealStage,
    ForecastCategory,
    Pipeline,
    ProbabilityScale,
    to_probability,
)
from relationship_core._lifecycle.timeline import LifecycleView, StageMove, StageStats, Stay

__all__ = [
    # lifecycle
    "Actor",
    "ActorKind",
    "DEFAULT_LIFECYCLE",
    "Lifecycle",
    "LifecycleStage",
    "StageKind",
    "PartyLifecycle",
    "StageMove",
    "LifecycleView",
    "StageStats",
    "Stay",
    "LifecycleStageChanged",
    # engagements → lifecycle
    "EngagementEnded",
    "EngagementStageNames",
    "PlannedMove",
    "engagement_stage",
    "moves_for_engagement_event",
    # deals
    "DEFAULT_PIPELINE",
    "DealStage",
    "ForecastCategory",
    "Pipeline",
    "ProbabilityScale",
    "to_probability",
    "Opportunity",
    "OpportunityEvent",
    "OpportunityOpened",
    "OpportunityStageChanged",
    "OpportunityWon",
    "OpportunityLost",
    "ProposalSent",
    "ProposalAccepted",
    "ProposalDeclined",
    "DEAL_EVENTS",
    # forecast
    "GROUPINGS",
    "ForecastRow",
    "Period",
    "PipelineForecast",
    "weighted_pipeline",
    # for the platform
    "EVENTS",
]

#: Every event class this feature produces, for the platform to register
#: (``register_event(cls.name)(cls)``); nothing is registered at import.
EVENTS: tuple[type[DomainEvent], ...] = (LifecycleStageChanged, EngagementEnded, *DEAL_EVENTS)
