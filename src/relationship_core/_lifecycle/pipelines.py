"""Deal pipelines as data: stages with a default probability, closed/won flags, forecast category."""

from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from relationship_core._domain.validators import non_empty_text, to_enum, tuple_of
from relationship_core._lifecycle._checks import (
    lookup_stage,
    require_bool,
    require_mapping,
    require_sequence,
    require_text,
)
from relationship_core.exceptions import ValidationError

__all__ = [
    "DEFAULT_PIPELINE",
    "DealStage",
    "ForecastCategory",
    "Pipeline",
    "ProbabilityScale",
    "to_probability",
]


class ForecastCategory(enum.Enum):
    """How a deal counts in a forecast (Salesforce's categories, "Forecast" called commit)."""

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class ProbabilityScale(enum.Enum):
    """How probabilities are written in a configuration: fractions 0-1 or percent 0-100."""

    FRACTION = "fraction"
    PERCENT = "percent"


_HUNDRED = Decimal(100)


def to_probability(
    field: str, value: object, scale: ProbabilityScale = ProbabilityScale.FRACTION
) -> Decimal:
    """Turn a configured probability into a ``Decimal`` fraction 0-1.

    Numbers only: ``int``, ``Decimal``, or a ``float`` as TOML parses it
    (through its shortest ``repr``, so ``0.1`` stays ``0.1``). Text such as
    ``"25%"`` is a display string and is refused.

    Examples:
        >>> to_probability("probability", 25, ProbabilityScale.PERCENT)
        Decimal('0.25')
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(
            field, value, "expected a number (0.25, or 25 with probability_scale 'percent')"
        )
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except decimal.InvalidOperation:  # pragma: no cover - every float repr parses
        raise ValidationError(field, value, "not a number") from None
    if not number.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    if scale is ProbabilityScale.PERCENT:
        number /= _HUNDRED
    if not 0 <= number <= 1:
        hint = (
            "0-100"
            if scale is ProbabilityScale.PERCENT
            else "0-1 (or set probability_scale 'percent')"
        )
        raise ValidationError(field, value, f"a probability must lie in {hint}")
    return number


def _fraction(value: object) -> Decimal:
    return to_probability("probability", value)


def _category(value: object) -> ForecastCategory:
    return to_enum(ForecastCategory, "forecast_category", value)


@attrs.frozen(kw_only=True)
class DealStage:
    """One stage of a pipeline.

    Attributes:
        name: The stage's key, e.g. ``"proposal"``.
        probability: Default chance of winning, a ``Decimal`` fraction 0-1.
        is_closed: Whether a deal here is finished.
        is_won: Whether a deal here was won (implies closed).
        forecast_category: How a deal here counts in a forecast.
    """

    name: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    probability: Decimal = attrs.field(converter=_fraction)
    is_closed: bool = attrs.field(default=False, validator=lambda _i, a, v: require_bool(a.name, v))
    is_won: bool = attrs.field(default=False, validator=lambda _i, a, v: require_bool(a.name, v))
    forecast_category: ForecastCategory = attrs.field(
        default=ForecastCategory.PIPELINE,
        converter=_category,
    )

    @property
    def is_lost(self) -> bool:
        """Closed without being won."""
        return self.is_closed and not self.is_won


def _check_stage(stage: DealStage, field: str) -> None:
    if stage.is_won and not stage.is_closed:
        raise ValidationError(
            f"{field}.closed", stage.is_closed, "a won stage is closed; set closed = true"
        )
    if stage.is_won and (
        stage.probability != 1 or stage.forecast_category is not ForecastCategory.CLOSED
    ):
        raise ValidationError(
            field, stage.name, "a won stage has probability 1 and forecast category 'closed'"
        )
    if stage.is_lost and (
        stage.probability != 0 or stage.forecast_category is not ForecastCategory.OMITTED
    ):
        raise ValidationError(
            field, stage.name, "a lost stage has probability 0 and forecast category 'omitted'"
        )
    if not stage.is_closed and stage.forecast_category is ForecastCategory.CLOSED:
        raise ValidationError(
            f"{field}.forecast_category", "closed", "an open stage cannot be in category 'closed'"
        )


def _stages(value: Iterable[DealStage]) -> tuple[DealStage, ...]:
    return tuple_of("stages", DealStage, value)


@attrs.frozen(eq=False)
class Pipeline:
    """A sales pipeline: validated once at load, then trusted.

    Attributes:
        name: Its key, e.g. ``"new-business"``.
        stages: Its stages in order; open ones first is usual but not required.
    """

    name: str = attrs.field(validator=non_empty_text)
    stages: tuple[DealStage, ...] = attrs.field(converter=_stages)
    _by_name: Mapping[str, DealStage] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        require_text("name", self.name)
        by_name: dict[str, DealStage] = {}
        for i, stage in enumerate(self.stages):
            field = f"stages[{i}]"
            if not isinstance(stage, DealStage):
                raise ValidationError(field, stage, "expected a DealStage")
            require_text(f"{field}.name", stage.name)
            if stage.name in by_name:
                raise ValidationError(
                    "stages", stage.name, "duplicate stage name; name each stage once"
                )
            _check_stage(stage, field)
            by_name[stage.name] = stage
        object.__setattr__(self, "_by_name", by_name)
        for what, present in (
            ("an open", any(not s.is_closed for s in self.stages)),
            ("a won", any(s.is_won for s in self.stages)),
            ("a lost", any(s.is_lost for s in self.stages)),
        ):
            if not present:
                raise ValidationError("stages", self.name, f"a pipeline needs {what} stage")

    @property
    def names(self) -> tuple[str, ...]:
        """Every stage name, in order."""
        return tuple(s.name for s in self.stages)

    @property
    def open_stages(self) -> tuple[str, ...]:
        """The stages a deal can be worked in."""
        return tuple(s.name for s in self.stages if not s.is_closed)

    def stage(self, name: str, *, field: str = "stage") -> DealStage:
        """The stage called *name*; an unknown one is refused, listing the known ones."""
        return lookup_stage(self._by_name, name, field, f"pipeline {self.name!r}")

    def won_stage(self) -> DealStage:
        """The first won stage (where `Opportunity.win` goes by default)."""
        return next(s for s in self.stages if s.is_won)

    def lost_stage(self) -> DealStage:
        """The first lost stage (where `Opportunity.lose` goes by default)."""
        return next(s for s in self.stages if s.is_lost)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Pipeline:
        """Load and validate a pipeline from a dict or a parsed TOML table.

        ``stages`` is a list of tables with ``name``, ``probability``, and
        optionally ``closed``, ``won`` and ``forecast_category`` (default:
        closed for won, omitted for lost, pipeline for open).
        ``probability_scale`` says whether probabilities are written 0-1
        (``"fraction"``, the default) or 0-100 (``"percent"``).

        Raises:
            ValidationError: Naming the stage or value that is wrong.
        """
        data = require_mapping("pipeline", data)
        scale = to_enum(
            ProbabilityScale, "probability_scale", data.get("probability_scale", "fraction")
        )
        stages = []
        for i, raw in enumerate(require_sequence("stages", data.get("stages"))):
            field = f"stages[{i}]"
            table = require_mapping(field, raw)
            closed = require_bool(f"{field}.closed", table.get("closed", False))
            won = require_bool(f"{field}.won", table.get("won", False))
            default = (
                ForecastCategory.CLOSED
                if won
                else ForecastCategory.OMITTED
                if closed
                else ForecastCategory.PIPELINE
            )
            stages.append(
                DealStage(
                    name=require_text(f"{field}.name", table.get("name")),
                    probability=to_probability(
                        f"{field}.probability", table.get("probability"), scale
                    ),
                    is_closed=closed,
                    is_won=won,
                    forecast_category=to_enum(
                        ForecastCategory,
                        f"{field}.forecast_category",
                        table.get("forecast_category", default),
                    ),
                )
            )
        return cls(require_text("name", data.get("name")), tuple(stages))


#: The pipeline that ships, with EspoCRM-like default probabilities (percent).
DEFAULT_PIPELINE = Pipeline.from_mapping(
    {
        "name": "sales",
        "probability_scale": "percent",
        "stages": [
            {"name": "prospecting", "probability": 10},
            {"name": "qualification", "probability": 20},
            {"name": "proposal", "probability": 50, "forecast_category": "best_case"},
            {"name": "negotiation", "probability": 80, "forecast_category": "commit"},
            {"name": "closed-won", "probability": 100, "closed": True, "won": True},
            {"name": "closed-lost", "probability": 0, "closed": True},
        ],
    }
)
