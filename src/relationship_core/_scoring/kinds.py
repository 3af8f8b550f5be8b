"""How scores are stored: the ``party_score`` kind (application side of `relationship_core._scoring`).

One record per party per model. ``score`` is indexed as a number, so
``repository(PartyScore).query(("score", "gt", 50))`` finds the hot leads;
the exact value (a ``Decimal``) is in the document.
"""

from __future__ import annotations

from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._scoring.adjustments import ScoreAdjustment
from relationship_core._scoring.engine import ScoreSnapshot
from relationship_core._scoring.stored import PartyScore
from relationship_core.exceptions import ValidationError

__all__ = ["PARTY_SCORES", "SCORE_ADJUSTMENTS", "SCORING_MAPPINGS"]


def _snapshot(stored: PartyScore) -> ScoreSnapshot:
    if stored.snapshot is None:
        raise ValidationError("party_score.snapshot", None, "record a score before storing it")
    return stored.snapshot


PARTY_SCORES: KindMapping[PartyScore] = KindMapping(
    "party_score",
    PartyScore,
    indexed={
        "party_id": ("str", lambda s: s.party_id),
        "model": ("str", lambda s: s.model),
        "score": ("float", lambda s: float(_snapshot(s).value)),
        "as_of": ("datetime", lambda s: _snapshot(s).as_of),
        "model_version": ("str", lambda s: _snapshot(s).model_version),
        "level": ("int", lambda s: s.crossed.level),
    },
    references={"party_id": "party"},
)

#: Points added to a party's score with a reason (kept; every rescore adds them).
SCORE_ADJUSTMENTS: KindMapping[ScoreAdjustment] = KindMapping(
    "score_adjustment",
    ScoreAdjustment,
    indexed={"party_id": ("str", lambda a: a.party_id), "model": ("str", lambda a: a.model)},
    references={"party_id": "party"},
)

#: The kinds the "scoring" feature contributes.
SCORING_MAPPINGS: tuple[KindMapping[Any], ...] = (PARTY_SCORES, SCORE_ADJUSTMENTS)
