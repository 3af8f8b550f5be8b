"""A party's stored score under one model, and the event a threshold crossing publishes.

`PartyScore` is the aggregate a store keeps per party and model: the latest
`ScoreSnapshot`, its explanation and the thresholds crossed so far (so
hysteresis holds across units of work and processes). Recording a new score
records a `ScoreCrossed` event per threshold crossed. Nothing here moves a
lifecycle: a rule reacting to ``score.crossed`` decides that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.validators import identifier, non_empty_text, tuple_of
from relationship_core._scoring.engine import Contribution, Score, ScoreSnapshot
from relationship_core._scoring.model import ScoringModel
from relationship_core._scoring.thresholds import Crossing, Direction, ThresholdState, crossings
from relationship_core.exceptions import ValidationError

__all__ = ["PartyScore", "ScoreCrossed", "score_id"]


def score_id(model: str, party_id: str) -> str:
    """The id of *party_id*'s score under the model named *model*: ``"<model>:<party>"``."""
    return f"{model}:{party_id}"


@attrs.frozen(kw_only=True)
class ScoreCrossed(DomainEvent):
    """A party's score crossed one of its model's thresholds (up, or down past the hysteresis).

    ``aggregate_id`` is the `PartyScore`'s id.
    """

    name: ClassVar[str] = "score.crossed"

    party_id: str
    model: str
    model_version: str
    stage: str
    threshold: Decimal
    direction: Direction
    value: Decimal


def _contributions(value: Iterable[Contribution]) -> tuple[Contribution, ...]:
    return tuple_of("contributions", Contribution, value)


def _of(
    cls: type[object], *, optional: bool = False
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator: a *cls* (or ``None`` if *optional*), else `ValidationError`."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not (optional and value is None) and not isinstance(value, cls):
            raise ValidationError(attribute.name, value, f"expected a {cls.__name__}")

    return check


@attrs.define(kw_only=True)
class PartyScore(EventRecorder):
    """One party's latest score under one model.

    Attributes:
        id: ``"<model>:<party id>"`` (see `score_id`).
        party_id: The party.
        model: The model's name.
        snapshot: The latest score (``None`` before the first).
        contributions: Its explanation, summing to ``snapshot.value``.
        crossed: The model's thresholds the party is above.
    """

    party_id: str = attrs.field(validator=identifier)
    model: str = attrs.field(validator=non_empty_text)
    id: str = attrs.field(
        default=attrs.Factory(lambda s: score_id(s.model, s.party_id), takes_self=True),
        validator=non_empty_text,
    )
    snapshot: ScoreSnapshot | None = attrs.field(
        default=None, validator=_of(ScoreSnapshot, optional=True)
    )
    contributions: tuple[Contribution, ...] = attrs.field(default=(), converter=_contributions)
    crossed: ThresholdState = attrs.field(factory=ThresholdState, validator=_of(ThresholdState))
    _events: list[DomainEvent] = events_field()

    @property
    def value(self) -> Decimal | None:
        """The latest score, or ``None``."""
        return None if self.snapshot is None else self.snapshot.value

    def record(
        self, model: ScoringModel, result: Score, adjustments: Sequence[Contribution] = ()
    ) -> tuple[Crossing, ...]:
        """Keep *result* as the latest score; record `ScoreCrossed` for each threshold crossed.

        *adjustments* (lines of kind ``"adjustment"``, see
        `relationship_core._scoring.adjustments`) are added to the total and
        the explanation after the model's own lines, and count for the thresholds.
        """
        if model.name != self.model:
            raise ValidationError("model", model.name, f"this is the score under {self.model!r}")
        total = result.total + sum((a.points for a in adjustments), Decimal(0))
        level = min(self.crossed.level, len(model.thresholds))  # the model may have changed
        step = crossings(model, ThresholdState(level), total)
        snapshot = result.snapshot()
        self.snapshot = attrs.evolve(snapshot, value=total) if adjustments else snapshot
        self.contributions = tuple(result.contributions) + tuple(adjustments)
        self.crossed = step.state
        for crossing in step.events:
            self._record(
                ScoreCrossed(
                    aggregate_id=self.id,
                    occurred_at=result.as_of,
                    party_id=self.party_id,
                    model=self.model,
                    model_version=result.model_version,
                    stage=crossing.threshold.stage,
                    threshold=crossing.threshold.score,
                    direction=crossing.direction,
                    value=total,
                )
            )
        return step.events
