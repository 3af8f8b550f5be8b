"""An example feature plugin for relationship_core: follow-ups after new engagements."""

from relationship_core_followups.domain import FOLLOWUPS, FollowUp, FollowUpScheduled

__all__ = ["FOLLOWUPS", "FollowUp", "FollowUpScheduled"]
