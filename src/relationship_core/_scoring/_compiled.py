"""A scoring model compiled to plain numbers: what every scoring path computes.

All arithmetic is in integer *units* of the model's precision (0.01 gives
cents of a point), so the explanation sums to the total exactly. Decay is
the one float step: per criterion, ``points_units * Σ 0.5 ** (age / half_life)``
is rounded half-even to whole units, then capped (caps are whole units, so
rounding and capping commute). The batch path repeats these float steps in
the same order, so it gives the same units.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from relationship_core._scoring._values import MICROSECOND
from relationship_core._scoring.model import (
    ENGAGEMENT,
    FIT,
    FitCriterion,
    FitOp,
    ScoringModel,
)

__all__ = ["Compiled", "compile_model", "micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Predicate = Callable[[object], bool]


def micros(instant: datetime) -> int:
    """Microseconds since the Unix epoch of an aware instant."""
    return (instant - EPOCH) // MICROSECOND


class FitRule(NamedTuple):
    position: int
    field: str
    test: Predicate
    units: int


class EngagementRule(NamedTuple):
    position: int
    activity: str
    points: int  # units per occurrence
    half_life: float | None  # microseconds
    window: int | None  # microseconds
    cap: int | None  # units


class GroupRule(NamedTuple):
    name: str
    kind: str
    members: tuple[int, ...]
    cap: int | None


class Evaluation(NamedTuple):
    """Units per criterion, cap adjustments, and what the explanation needs."""

    units: list[int]
    group_adjustments: list[int]
    total_adjustment: int
    detail: list[object]  # fit: the attribute's value; engagement: (count, decayed)


class Compiled:
    """The numbers and tests of one model, built once per model (`compile_model`)."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model
        self.version = model.version
        self.quantum = model.precision
        self.criteria = model.criteria
        scale = 1 / model.precision
        self.fit: list[FitRule] = []
        self.engagement: list[EngagementRule] = []
        for index, criterion in enumerate(model.criteria):
            points = int(criterion.points * scale)
            cap = None if criterion.cap is None else int(criterion.cap * scale)
            if isinstance(criterion, FitCriterion):
                if cap is not None:
                    points = max(-cap, min(cap, points))
                self.fit.append(FitRule(index, criterion.field, predicate(criterion), points))
            else:
                decay = criterion.decay if criterion.decay is not None else model.decay
                self.engagement.append(
                    EngagementRule(
                        index,
                        criterion.activity,
                        points,
                        None if decay.half_life is None else float(decay.half_life // MICROSECOND),
                        None if decay.window is None else decay.window // MICROSECOND,
                        cap,
                    )
                )
        members: dict[str, list[int]] = {}
        kinds: dict[str, str] = {}
        for index, criterion in enumerate(model.criteria):
            members.setdefault(criterion.group, []).append(index)
            kinds[criterion.group] = criterion.kind
        self.groups = [
            GroupRule(
                name,
                kinds[name],
                tuple(indices),
                None if (limit := model.group_cap(name)) is None else int(limit * scale),
            )
            for name, indices in members.items()
        ]
        self.total_cap = None if model.total_cap is None else int(model.total_cap * scale)
        self.activities = {rule.activity for rule in self.engagement}
        # preallocated rows and the capped groups, so `evaluate` only fills in numbers
        self._blank: list[int] = [0] * len(self.criteria)
        self._blank_detail: list[object] = [None] * len(self.criteria)
        self._no_adjustments = [0] * len(self.groups)
        self._capped_groups = [
            (position, group.members, group.cap)
            for position, group in enumerate(self.groups)
            if group.cap is not None
        ]

    def fit_units(self, attributes: Mapping[str, object]) -> tuple[list[int], list[object]]:
        """A full row of units with the fit criteria filled in, and their matched values."""
        units = self._blank[:]
        seen = self._blank_detail[:]
        for rule in self.fit:
            value = attributes.get(rule.field)
            units[rule.position] = rule.units if rule.test(value) else 0
            seen[rule.position] = value
        return units, seen

    def evaluate(
        self,
        fit: tuple[list[int], list[object]],
        by_type: Mapping[str, Sequence[int]],
        at: int,
    ) -> Evaluation:
        """Score at *at* (epoch microseconds) from the fit row and activity times by type."""
        units = fit[0][:]
        detail = fit[1][:]
        get = by_type.get
        for index, activity, points, half_life, window, cap in self.engagement:
            times = get(activity)
            if not times:
                detail[index] = (0, 0.0)
                continue
            count = 0
            decayed = 0.0
            for when in times:
                age = at - when
                if age < 0 or (window is not None and age >= window):
                    continue
                count += 1
                decayed += 1.0 if half_life is None else 0.5 ** (age / half_life)
            value = round(points * decayed)
            if cap is not None:
                value = -cap if value < -cap else cap if value > cap else value
            units[index] = value
            detail[index] = (count, decayed)
        total = sum(units)
        adjustments = self._no_adjustments
        if self._capped_groups:
            adjustments = adjustments[:]
            for position, members, cap in self._capped_groups:
                subtotal = sum([units[i] for i in members])
                adjustment = clamp(subtotal, cap) - subtotal
                adjustments[position] = adjustment
                total += adjustment
        total_adjustment = 0 if self.total_cap is None else clamp(total, self.total_cap) - total
        return Evaluation(units, adjustments, total_adjustment, detail)

    def kind_of(self, index: int) -> str:
        return FIT if isinstance(self.criteria[index], FitCriterion) else ENGAGEMENT


def clamp(value: int, cap: int) -> int:
    """*value* limited to ``[-cap, cap]``."""
    return max(-cap, min(cap, value))


@functools.lru_cache(maxsize=64)
def compile_model(model: ScoringModel) -> Compiled:
    """The compiled form of *model*, cached (models are frozen and hash cheaply)."""
    return Compiled(model)


def predicate(criterion: FitCriterion) -> Predicate:
    """The test a fit criterion applies to an attribute value (absent is ``None``)."""
    op = criterion.op
    if op is FitOp.EXISTS:
        return lambda v: (
            v is not None and v != "" and not (isinstance(v, frozenset | set) and not v)
        )
    if op is FitOp.EQUALS:
        target = criterion.value
        return lambda v: (target in v) if isinstance(v, frozenset | set) else v == target
    if op is FitOp.IN:
        accepted = criterion.values
        return lambda v: (
            not accepted.isdisjoint(v) if isinstance(v, frozenset | set) else _member(v, accepted)
        )
    low, high = criterion.minimum, criterion.maximum

    def in_range(v: object) -> bool:
        if v is None or isinstance(v, bool | str):
            return False
        try:
            return (low is None or low <= v) and (high is None or v <= high)  # type: ignore[operator]
        except TypeError:
            return False

    return in_range


def _member(value: object, accepted: frozenset[object]) -> bool:
    try:
        return value in accepted
    except TypeError:  # an unhashable attribute value matches nothing
        return False


def as_decimal(units: int, quantum: Decimal) -> Decimal:
    """Units of *quantum* as an exact Decimal."""
    return units * quantum
