"""The ``adjust_score`` rule action: points added to the party's score, with a reason.

The action stores a `ScoreAdjustment` (scoring's ``score_adjustment`` kind,
its id derived from the enrolment, so a replay or a retried job adds none) and
rescores the party under that model in the same unit of work: the reason
shows in the score's explanation as a line of kind ``"adjustment"``, and every
later rescore keeps it. A threshold the adjusted total crosses publishes
``score.crossed`` like any rescore.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from relationship_core.exceptions import ValidationError

__all__ = ["adjust_score", "check_adjust_score"]

Params = Mapping[str, Any]
_KEYS = frozenset({"model", "points", "reason"})
_LIMIT = Decimal(1_000_000)


def _points(value: object, path: str) -> Decimal:
    try:
        points = Decimal(str(value)) if isinstance(value, (int, str)) else None
    except InvalidOperation:
        points = None
    if isinstance(value, bool) or points is None or not points.is_finite():
        raise ValidationError(path, value, 'give a number of points, e.g. 10, -5 or "2.5"')
    if not 0 < abs(points) <= _LIMIT:
        raise ValidationError(path, value, "give a non-zero number between -1000000 and 1000000")
    return points


def check_adjust_score(params: Params, path: str) -> Params:
    """Refuse bad parameters at load: ``model`` and ``reason`` texts, ``points`` a number."""
    for key in params:
        if key not in _KEYS:
            raise ValidationError(f"{path}.{key}", params[key], f"allowed: {sorted(_KEYS)}")
    for key in sorted(_KEYS):
        if key not in params:
            raise ValidationError(f"{path}.{key}", None, "required")
    for key in ("model", "reason"):
        value = params[key]
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise ValidationError(f"{path}.{key}", value, "give a non-empty string (200 at most)")
    _points(params["points"], f"{path}.points")
    return {"model": params["model"], "points": str(params["points"]), "reason": params["reason"]}


def adjust_score(context: Any, params: Params) -> Mapping[str, str]:
    """Add the points to the party's score under the model, with the reason, and rescore it."""
    from relationship_core._scoring.adjustments import ScoreAdjustment
    from relationship_core._scoring.kinds import SCORE_ADJUSTMENTS
    from relationship_core._scoring.service import models_in_use, rescore_party

    uow = context.uow
    party = context.require_party("adjust_score")
    model = params["model"]
    adjustments = uow.repository(SCORE_ADJUSTMENTS)
    aid = context.derived_id("score")
    if adjustments.find(aid) is not None:
        return {"adjustment": aid, "adjusted": "no, adjusted already"}
    added = adjustments.add(
        ScoreAdjustment(
            id=aid,
            party_id=party,
            model=model,
            points=_points(params["points"], "points"),
            reason=params["reason"],
            at=context.at,
            source=f"rule:{context.rule}",
        )
    )
    found = models_in_use(uow).get(model)
    if found is None:  # kept: it counts once the store scores with the model
        return {"adjustment": aid, "scored": f"no, model {model!r} not in use"}
    score = rescore_party(uow, party, {model: found}, context.at, adjustment=added).get(model)
    return {"adjustment": aid, "score": "none" if score is None else str(score.value)}
