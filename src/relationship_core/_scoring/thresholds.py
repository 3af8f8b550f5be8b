"""Thresholds to lifecycle stages with hysteresis, and when decay will cross one.

A `ThresholdState` is how many of the model's thresholds (lowest first) the
lead has crossed. `crossings` moves it for a new score: up through every
threshold the score reaches, down through every one whose ``down`` level
(``score - hysteresis``) the score falls below. Between the two lines nothing
fires, so a score wobbling around 50 with hysteresis 5 crosses once.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from relationship_core._domain.timeutil import require_aware
from relationship_core._scoring._compiled import Compiled, compile_model, micros
from relationship_core._scoring.engine import LeadState
from relationship_core._scoring.model import ScoringModel, Threshold
from relationship_core.exceptions import ValidationError

__all__ = [
    "Crossing",
    "CrossingResult",
    "Direction",
    "ScoringState",
    "ThresholdState",
    "crossings",
    "next_crossing",
]


class Direction(enum.Enum):
    """Which way a threshold was crossed."""

    UP = "up"
    DOWN = "down"


def _level(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(attribute.name, value, "the number of thresholds crossed, 0 or more")


@attrs.frozen
class ThresholdState:
    """How many thresholds (lowest first) the lead is above.

    Attributes:
        level: 0 below all; ``len(thresholds)`` above all.
    """

    level: int = attrs.field(default=0, validator=_level)

    def stage(self, thresholds: Sequence[Threshold]) -> str | None:
        """The stage of the highest threshold crossed (``None`` below all)."""
        return thresholds[self.level - 1].stage if self.level else None


@attrs.frozen
class Crossing:
    """One threshold event.

    Attributes:
        threshold: The threshold crossed.
        direction: Up (reached ``score``) or down (fell below ``down``).
    """

    threshold: Threshold
    direction: Direction


@attrs.frozen
class CrossingResult:
    """The state after a new score and the events it fired, in order.

    Attributes:
        state: The new state.
        events: Up events lowest first, or down events highest first.
    """

    state: ThresholdState
    events: tuple[Crossing, ...]


def crossings(
    thresholds: Sequence[Threshold] | ScoringModel, state: ThresholdState, score: Decimal
) -> CrossingResult:
    """The threshold events *score* fires from *state*, with hysteresis."""
    ladder = thresholds.thresholds if isinstance(thresholds, ScoringModel) else tuple(thresholds)
    if state.level > len(ladder):
        raise ValidationError("state.level", state.level, f"the model has {len(ladder)} thresholds")
    level = state.level
    events: list[Crossing] = []
    while level < len(ladder) and score >= ladder[level].score:
        events.append(Crossing(ladder[level], Direction.UP))
        level += 1
    if not events:
        while level and score < ladder[level - 1].down:
            level -= 1
            events.append(Crossing(ladder[level], Direction.DOWN))
    return CrossingResult(ThresholdState(level), tuple(events))


@attrs.frozen
class ScoringState:
    """A lead in memory with the thresholds it has crossed.

    Attributes:
        lead: Its attributes and activities.
        crossed: The thresholds crossed so far.
    """

    lead: LeadState
    crossed: ThresholdState = ThresholdState()


def next_crossing(state: ScoringState, model: ScoringModel, now: datetime) -> datetime | None:
    """When decay alone will take the score below the next ``down`` level, if ever.

    The lead is assumed to do nothing more. The answer is exact to the
    microsecond when the score only falls with time (engagement points all
    positive); with negative engagement points the score can rise and fall
    again, and the first fall found on a doubling time grid (plus every
    window's end) is returned. ``now`` itself when the score is already below;
    ``None`` below every threshold or when the score never falls far enough.
    """
    require_aware("now", now)
    if state.crossed.level == 0:
        return None
    compiled = compile_model(model)
    target = model.thresholds[state.crossed.level - 1].down
    fit = state.lead.fit_for(compiled)

    def below(at: int) -> bool:
        ev = compiled.evaluate(fit, state.lead.by_type, at)
        total = sum(ev.units) + sum(ev.group_adjustments) + ev.total_adjustment
        return total * compiled.quantum < target

    start = micros(now)
    if below(start):
        return now
    grid = _grid(compiled, state.lead, start)
    previous = start
    for at in grid:
        if below(at):
            low, high = previous, at  # above at low, below at high
            while high - low > 1:
                middle = (low + high) // 2
                if below(middle):
                    high = middle
                else:
                    low = middle
            return now + timedelta(microseconds=high - start)
        previous = at
    return None


def _grid(compiled: Compiled, lead: LeadState, start: int) -> list[int]:
    """Instants to test: doubling steps from a second up to when all decay is spent."""
    end = start
    points: set[int] = set()
    for rule in compiled.engagement:
        times = lead.by_type.get(rule.activity, [])
        past = [t for t in times if t <= start]
        if not past:
            continue
        if rule.window is not None:
            points.update(t + rule.window for t in past if t + rule.window > start)
            end = max(end, max(past) + rule.window)
        elif rule.half_life is not None:
            # after this long even every occurrence at full weight rounds to zero units
            spent = rule.half_life * (math.log2(2 * abs(rule.points) * len(past) + 1) + 1)
            end = max(end, max(past) + math.ceil(spent))
    step = 1_000_000
    at = start + step
    while at < end:
        points.add(at)
        step *= 2
        at = start + step
    points.add(end)
    return sorted(p for p in points if p > start)
