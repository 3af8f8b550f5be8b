"""A scoring model as data: fit and engagement criteria, groups, caps, decay, thresholds.

Every part is a frozen attrs value that validates on construction, so a model
built in Python and one loaded from a mapping (`load_model`) are checked the
same way. `ScoringModel.version` is a hash of the canonical mapping: two
models that score alike by construction have the same version.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs

from relationship_core._domain.validators import items, to_enum, tuple_of
from relationship_core._scoring._values import (
    canonical_value,
    cap_value,
    comparable,
    decimal_text,
    duration_text,
    half_life_value,
    orderable,
    precision_value,
    score_value,
    to_points,
    to_text,
    value_set,
    window_value,
)
from relationship_core.exceptions import ValidationError

__all__ = [
    "FIT",
    "ENGAGEMENT",
    "Decay",
    "EngagementCriterion",
    "FitCriterion",
    "FitOp",
    "Group",
    "ScoringModel",
    "Threshold",
]

FIT = "fit"
ENGAGEMENT = "engagement"


class FitOp(enum.Enum):
    """How a fit criterion tests an attribute."""

    EQUALS = "equals"  #: the value equals ``value`` (a set-valued attribute: contains it)
    IN = "in"  #: the value is one of ``values`` (a set-valued attribute: shares one)
    RANGE = "range"  #: ``minimum <= value <= maximum``, either bound optional
    EXISTS = "exists"  #: the attribute is present and not empty


def _text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    to_text(attribute.name, value)


def _points(value: object) -> Decimal:
    return to_points("points", value)


def _op(value: object) -> FitOp:
    return to_enum(FitOp, "op", value)


@attrs.frozen(kw_only=True, cache_hash=True)
class Decay:
    """How engagement fades: halve every ``half_life``, forget after ``window``, or both.

    Attributes:
        half_life: An occurrence counts half as much after this long.
        window: An occurrence older than this counts nothing.
    """

    half_life: timedelta | None = attrs.field(default=None, converter=half_life_value)
    window: timedelta | None = attrs.field(default=None, converter=window_value)

    def to_mapping(self) -> dict[str, str]:
        """The canonical mapping (only the parts that are set)."""
        out: dict[str, str] = {}
        if self.half_life is not None:
            out["half_life"] = duration_text(self.half_life)
        if self.window is not None:
            out["window"] = duration_text(self.window)
        return out


#: Engagement that never fades.
NO_DECAY = Decay()


@attrs.frozen(kw_only=True, cache_hash=True)
class FitCriterion:
    """Points for who the lead is: a party attribute or custom field value.

    Attributes:
        name: Unique name; it labels the contribution in the explanation.
        field: The attribute tested, e.g. ``"tags"`` or ``"custom.industry"``.
        op: How it is tested.
        value: The value ``EQUALS`` compares with.
        values: The values ``IN`` accepts.
        minimum: The lowest value ``RANGE`` accepts (inclusive).
        maximum: The highest value ``RANGE`` accepts (inclusive).
        points: Added when the test passes; negative to count against.
        cap: A limit on the size of this criterion's contribution.
        group: The group whose cap it counts towards (``"fit"`` unless set).
    """

    name: str = attrs.field(validator=_text)
    field: str = attrs.field(validator=_text)
    op: FitOp = attrs.field(converter=_op)
    value: object = None
    values: frozenset[object] = attrs.field(default=frozenset(), converter=value_set)
    minimum: Decimal | int | float | date | None = None
    maximum: Decimal | int | float | date | None = None
    points: Decimal = attrs.field(converter=_points)
    cap: Decimal | None = attrs.field(default=None, converter=cap_value)
    group: str = attrs.field(default=FIT, validator=_text)

    kind = FIT

    def __attrs_post_init__(self) -> None:
        if self.op is FitOp.EQUALS:
            if self.value is None:
                raise ValidationError("value", None, "'equals' needs a value to compare with")
            object.__setattr__(self, "value", comparable("value", self.value))
        if self.op is FitOp.IN:
            if not self.values:
                raise ValidationError("values", [], "'in' needs at least one value")
            object.__setattr__(
                self,
                "values",
                frozenset(comparable(f"values[{i}]", v) for i, v in enumerate(self.values)),
            )
        if self.op is FitOp.RANGE:
            self._check_range()

    def _check_range(self) -> None:
        if self.minimum is None and self.maximum is None:
            raise ValidationError("minimum", None, "'range' needs a minimum, a maximum or both")
        low = None if self.minimum is None else orderable("minimum", self.minimum)
        high = None if self.maximum is None else orderable("maximum", self.maximum)
        object.__setattr__(self, "minimum", low)
        object.__setattr__(self, "maximum", high)
        if low is not None and high is not None:
            if type(low) is not type(high):
                raise ValidationError("maximum", high, "minimum and maximum must be of one type")
            if high < low:  # type: ignore[operator]
                raise ValidationError("maximum", high, f"is below the minimum {low}")

    def to_mapping(self) -> dict[str, object]:
        """The canonical mapping `load_model` reads back."""
        out: dict[str, object] = {
            "name": self.name,
            "kind": FIT,
            "field": self.field,
            "op": self.op.value,
            "points": decimal_text(self.points),
        }
        if self.op is FitOp.EQUALS:
            out["value"] = canonical_value(self.value)
        if self.op is FitOp.IN:
            out["values"] = sorted((canonical_value(v) for v in self.values), key=repr)
        if self.op is FitOp.RANGE:
            for key in ("minimum", "maximum"):
                bound = getattr(self, key)
                if bound is not None:
                    out[key] = canonical_value(bound)
        if self.cap is not None:
            out["cap"] = decimal_text(self.cap)
        if self.group != FIT:
            out["group"] = self.group
        return out


@attrs.frozen(kw_only=True, cache_hash=True)
class EngagementCriterion:
    """Points for what the lead does: each occurrence of one activity type.

    Attributes:
        name: Unique name; it labels the contribution in the explanation.
        activity: The activity type counted, e.g. ``"email_opened"``.
        points: Per occurrence (before decay); negative to count against.
        cap: A limit on the size of this criterion's contribution.
        decay: How occurrences fade; ``None`` uses the model's decay.
        group: The group whose cap it counts towards (``"engagement"`` unless set).
    """

    name: str = attrs.field(validator=_text)
    activity: str = attrs.field(validator=_text)
    points: Decimal = attrs.field(converter=_points)
    cap: Decimal | None = attrs.field(default=None, converter=cap_value)
    decay: Decay | None = None
    group: str = attrs.field(default=ENGAGEMENT, validator=_text)

    kind = ENGAGEMENT

    def to_mapping(self) -> dict[str, object]:
        """The canonical mapping `load_model` reads back."""
        out: dict[str, object] = {
            "name": self.name,
            "kind": ENGAGEMENT,
            "activity": self.activity,
            "points": decimal_text(self.points),
        }
        if self.cap is not None:
            out["cap"] = decimal_text(self.cap)
        if self.decay is not None:
            out["decay"] = self.decay.to_mapping()
        if self.group != ENGAGEMENT:
            out["group"] = self.group
        return out


Criterion = FitCriterion | EngagementCriterion


@attrs.frozen(kw_only=True, cache_hash=True)
class Group:
    """A named set of criteria of one kind whose sum is capped.

    Attributes:
        name: Criteria name it in their ``group``.
        cap: The limit on the size of the group's sum.
    """

    name: str = attrs.field(validator=_text)
    cap: Decimal | None = attrs.field(default=None, converter=cap_value)


@attrs.frozen(kw_only=True, cache_hash=True)
class Threshold:
    """A score that moves the lead to a lifecycle stage, with hysteresis.

    Crossing up happens at ``score``; crossing back down only below
    ``score - hysteresis``, so a score wobbling around the line does not flap.

    Attributes:
        score: The score at or above which the stage is reached.
        stage: The lifecycle stage name, e.g. ``"marketing-qualified"``.
        hysteresis: How far below ``score`` the score must fall to cross down.
    """

    score: Decimal = attrs.field(converter=score_value)
    stage: str = attrs.field(validator=_text)
    hysteresis: Decimal = attrs.field(default=Decimal(0), converter=cap_value)

    @property
    def down(self) -> Decimal:
        """The score below which the lead crosses back down."""
        return self.score - self.hysteresis


def _criteria(value: Iterable[Criterion]) -> tuple[Criterion, ...]:
    criteria = items("criteria", value)
    for index, criterion in enumerate(criteria):
        if not isinstance(criterion, FitCriterion | EngagementCriterion):
            raise ValidationError(
                f"criteria[{index}]", criterion, "expected a fit or engagement criterion"
            )
    return tuple(criteria)  # type: ignore[arg-type]  # checked just above


def _groups(value: Iterable[Group]) -> tuple[Group, ...]:
    return tuple_of("groups", Group, value)


def _thresholds(value: Iterable[Threshold]) -> tuple[Threshold, ...]:
    return tuple_of("thresholds", Threshold, value)


def _decay(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decay):
        raise ValidationError(attribute.name, value, "expected a Decay (or leave the default)")


@attrs.frozen(kw_only=True, cache_hash=True)
class ScoringModel:
    """A lead scoring model.

    Attributes:
        name: What the model is called.
        criteria: Fit and engagement criteria, in explanation order.
        groups: Caps on named groups (criteria name theirs; ``"fit"`` and
            ``"engagement"`` by default; a group holds criteria of one kind).
        total_cap: A limit on the size of the total.
        decay: The decay of engagement criteria that name none.
        precision: The quantum every contribution is rounded to (half-even).
        thresholds: Scores that reach lifecycle stages, lowest first.
    """

    name: str = attrs.field(default="default", validator=_text)
    criteria: tuple[Criterion, ...] = attrs.field(converter=_criteria)
    groups: tuple[Group, ...] = attrs.field(default=(), converter=_groups)
    total_cap: Decimal | None = attrs.field(default=None, converter=cap_value)
    decay: Decay = attrs.field(default=NO_DECAY, validator=_decay)
    precision: Decimal = attrs.field(default=Decimal("0.01"), converter=precision_value)
    thresholds: tuple[Threshold, ...] = attrs.field(default=(), converter=_thresholds)

    def __attrs_post_init__(self) -> None:
        names: set[str] = set()
        kinds: dict[str, str] = {}
        for index, criterion in enumerate(self.criteria):
            path = f"criteria[{index}]"
            if criterion.name in names:
                raise ValidationError(f"{path}.name", criterion.name, "names must be unique")
            names.add(criterion.name)
            for key in ("points", "cap"):
                self._check_quantum(f"{path}.{key}", getattr(criterion, key))
            other = kinds.setdefault(criterion.group, criterion.kind)
            if other != criterion.kind:
                raise ValidationError(
                    f"{path}.group",
                    criterion.group,
                    f"holds {other} criteria already; a group holds one kind",
                )
        declared: set[str] = set()
        for index, group in enumerate(self.groups):
            if group.name in declared:
                raise ValidationError(f"groups[{index}].name", group.name, "declared twice")
            declared.add(group.name)
            self._check_quantum(f"groups[{index}].cap", group.cap)
        self._check_quantum("total_cap", self.total_cap)
        for index, threshold in enumerate(self.thresholds):
            if index and threshold.score <= self.thresholds[index - 1].score:
                raise ValidationError(
                    f"thresholds[{index}].score", threshold.score, "thresholds must rise"
                )

    def _check_quantum(self, path: str, value: Decimal | None) -> None:
        if value is not None and value % self.precision:
            raise ValidationError(
                path, value, f"has more decimals than the model's precision {self.precision}"
            )

    def group_cap(self, name: str) -> Decimal | None:
        """The cap of group *name* (``None`` when it has none)."""
        return next((group.cap for group in self.groups if group.name == name), None)

    def to_mapping(self) -> dict[str, object]:
        """The canonical mapping: `load_model` reads it back to an equal model."""
        out: dict[str, object] = {
            "name": self.name,
            "precision": decimal_text(self.precision),
            "criteria": [criterion.to_mapping() for criterion in self.criteria],
        }
        if self.decay != NO_DECAY:
            out["decay"] = self.decay.to_mapping()
        if self.groups:
            out["groups"] = {
                g.name: ({"cap": decimal_text(g.cap)} if g.cap is not None else {})
                for g in self.groups
            }
        if self.total_cap is not None:
            out["total_cap"] = decimal_text(self.total_cap)
        if self.thresholds:
            out["thresholds"] = [
                {
                    "score": decimal_text(t.score),
                    "stage": t.stage,
                    "hysteresis": decimal_text(t.hysteresis),
                }
                for t in self.thresholds
            ]
        return out

    @property
    def version(self) -> str:
        """``sha256:`` and the hex digest of the canonical mapping as sorted, compact JSON."""
        return _version(self)


@functools.lru_cache(maxsize=256)
def _version(model: ScoringModel) -> str:
    text = json.dumps(model.to_mapping(), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
