"""Lead scoring: models as data, explained scores, thresholds, and a predictive scorer.

Pure domain (no I/O, no clock): every function takes the instant it scores at.
numpy and pandas are imported only by the batch path and the predictive
evaluation helpers that need them.
"""

from relationship_core._scoring.engine import (
    Activity,
    Contribution,
    Lead,
    LeadState,
    Score,
    ScoreSnapshot,
    activities_from_interactions,
    score,
)
from relationship_core._scoring.fields import (
    PARTY_FIELDS,
    FieldKind,
    check_fields,
    party_attributes,
    party_fields,
)
from relationship_core._scoring.loading import load_model
from relationship_core._scoring.model import (
    NO_DECAY,
    Decay,
    EngagementCriterion,
    FitCriterion,
    FitOp,
    Group,
    ScoringModel,
    Threshold,
)

__all__ = [
    # the model
    "ScoringModel",
    "FitCriterion",
    "FitOp",
    "EngagementCriterion",
    "Decay",
    "NO_DECAY",
    "Group",
    "Threshold",
    "load_model",
    "FieldKind",
    "PARTY_FIELDS",
    "party_fields",
    "party_attributes",
    "check_fields",
    # scoring
    "Activity",
    "Lead",
    "LeadState",
    "Score",
    "Contribution",
    "ScoreSnapshot",
    "score",
    "activities_from_interactions",
]
