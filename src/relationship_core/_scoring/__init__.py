"""Lead scoring: models as data, explained scores, thresholds, and a predictive scorer.

Pure domain (no I/O, no clock): every function takes the instant it scores at.
numpy and pandas are imported only by the batch path and the predictive
evaluation helpers that need them.
"""

from relationship_core._scoring.batch import BatchScores, score_arrays, score_frame
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
from relationship_core._scoring.evaluation import (
    GENERATED_PIPELINE,
    CalibrationBin,
    CalibrationReport,
    auc,
    calibration,
    generate_history,
    true_probability,
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
from relationship_core._scoring.predictive import (
    ODOO_17,
    Factor,
    FrequencyTable,
    Outcome,
    Pipeline,
    PipelineLead,
    Prediction,
    PredictiveOptions,
    PredictiveScorer,
)
from relationship_core._scoring.thresholds import (
    Crossing,
    CrossingResult,
    Direction,
    ScoringState,
    ThresholdState,
    crossings,
    next_crossing,
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
    # many leads at once (numpy / pandas, the analytics extra)
    "score_arrays",
    "score_frame",
    "BatchScores",
    # thresholds
    "ThresholdState",
    "Crossing",
    "CrossingResult",
    "Direction",
    "ScoringState",
    "crossings",
    "next_crossing",
    # predictive scoring
    "Pipeline",
    "PipelineLead",
    "Outcome",
    "PredictiveOptions",
    "ODOO_17",
    "FrequencyTable",
    "PredictiveScorer",
    "Prediction",
    "Factor",
    "auc",
    "calibration",
    "CalibrationReport",
    "CalibrationBin",
    "generate_history",
    "GENERATED_PIPELINE",
    "true_probability",
]
