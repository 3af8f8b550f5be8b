"""Adjustments: points added to (or taken from) a party's score by hand or by a rule, with a reason.

A `ScoreAdjustment` is stored (kind ``score_adjustment``) and kept: every
rescore of the party under the adjustment's model adds it after the model's
own criteria, as one line of the explanation (kind ``"adjustment"``, the
reason as its ``why``), so it survives the rescores that follow and counts for
the thresholds. The rule engine's ``adjust_score`` action writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from relationship_core._domain.validators import aware, identifier, non_empty_text
from relationship_core._scoring.engine import Contribution

__all__ = ["ADJUSTMENT", "ScoreAdjustment", "adjustment_lines"]

#: The ``kind`` of an adjustment's line in a score's explanation.
ADJUSTMENT = "adjustment"


@attrs.define(kw_only=True)
class ScoreAdjustment:
    """Points added to a party's score under one model from *at* on.

    Attributes:
        id: Stable id (a rule derives it from its enrolment, so a replay adds none).
        party_id: The party.
        model: The scoring model's name.
        points: Added to the score (negative takes away); exact.
        reason: Shown in the score's explanation.
        at: From when it counts (a rescore as of an earlier instant leaves it out).
        source: Who made it, e.g. ``"rule:<name>"``.
    """

    id: str = attrs.field(validator=non_empty_text)
    party_id: str = attrs.field(validator=identifier)
    model: str = attrs.field(validator=non_empty_text)
    points: Decimal
    reason: str = attrs.field(validator=non_empty_text)
    at: datetime = attrs.field(validator=aware)
    source: str = ""


def adjustment_lines(
    adjustments: Iterable[ScoreAdjustment], model: str, at: datetime
) -> tuple[Contribution, ...]:
    """The explanation lines of *adjustments* under *model* that count at *at*, oldest first."""
    chosen = sorted(
        (a for a in adjustments if a.model == model and a.at <= at), key=lambda a: (a.at, a.id)
    )
    return tuple(
        Contribution(criterion=a.source or a.id, kind=ADJUSTMENT, points=a.points, why=a.reason)
        for a in chosen
    )
