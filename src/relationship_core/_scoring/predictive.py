"""Predictive lead scoring: naive Bayes over won and lost history.

The default options reproduce Odoo 17.0's predictive lead scoring (the
``crm`` module's frequency table and naive Bayes); docs/scoring.md maps its
fields to ours and lists where we part from it. Counts are kept raw (integers
without time weighting) and smoothed when read, so adding closed leads one by
one gives the same table as a rebuild from all of them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import ValidationError

__all__ = [
    "ODOO_17",
    "Factor",
    "FrequencyTable",
    "Outcome",
    "Pipeline",
    "PipelineLead",
    "Prediction",
    "PredictiveOptions",
    "PredictiveScorer",
]

STAGE = "stage"
TAG = "tag"
#: Fields whose missing value is a value of its own (Odoo's e-mail and phone quality).
QUALITY_FIELDS = frozenset({"email_state", "phone_state"})
_MISSING = "False"  # how Odoo spells a missing quality
_NO_TEAM = ""
_CENT = Decimal("0.01")


class Outcome(enum.Enum):
    """How a closed lead ended."""

    WON = "won"
    LOST = "lost"


def _values(value: Mapping[str, str | None]) -> dict[str, str | None]:
    if not isinstance(value, Mapping):
        raise ValidationError("values", value, "expected a mapping of field to value")
    return dict(value)


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _ordered(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _outcome(value: object) -> Outcome | None:
    return None if value is None else to_enum(Outcome, "outcome", value)


@attrs.frozen(kw_only=True, hash=False)
class PipelineLead:
    """A lead as the predictive scorer sees it, open or closed.

    Attributes:
        stage: Its pipeline stage (``None``: not in the pipeline yet).
        team: The sales team (``None``: no team).
        values: Other fields, e.g. ``{"country": "BE", "email_state": "correct"}``.
        tags: Its tags.
        outcome: Won or lost once closed; ``None`` while open.
        closed_at: When it closed (aware); used by time weighting.
    """

    stage: str | None
    team: str | None = None
    values: Mapping[str, str | None] = attrs.field(factory=dict, converter=_values)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    outcome: Outcome | None = attrs.field(default=None, converter=_outcome)
    closed_at: datetime | None = None


@attrs.frozen
class Pipeline:
    """The stages in sequence order, and which are won.

    Attributes:
        stages: Stage names, first (the prior's stage) to last.
        won: The won stages (a lead there scores 100).
    """

    stages: tuple[str, ...] = attrs.field(converter=_ordered)
    won: frozenset[str] = attrs.field(default=frozenset(), converter=_names)

    def __attrs_post_init__(self) -> None:
        if not self.stages or len(set(self.stages)) != len(self.stages):
            raise ValidationError("stages", self.stages, "name each stage once, at least one")
        for stage in self.won:
            if stage not in self.stages:
                raise ValidationError("won", stage, "is not one of the stages")


@attrs.frozen(kw_only=True)
class PredictiveOptions:
    """How the table is read. The defaults are Odoo 17.0's (`ODOO_17`).

    Attributes:
        fields: The fields of `PipelineLead.values` used, in order.
        smoothing: Added to every won and lost count of each stored value.
        tag_min_support: A tag's value (smoothed won + lost, per team) below
            this is ignored.
        min_support: Any other non-stage value with fewer raw observations is
            ignored (0: none is).
        half_life: Time weighting: an outcome counts half as much this much
            older (``None``: every outcome counts 1).
        clamp: The probability (percent) is kept inside these bounds.
    """

    fields: tuple[str, ...] = attrs.field(
        default=("country", "lang", "email_state", "phone_state"), converter=_ordered
    )
    smoothing: float = 0.1
    tag_min_support: float = 50
    min_support: float = 0
    half_life: timedelta | None = None
    clamp: tuple[float, float] = (0.01, 99.99)


ODOO_17 = PredictiveOptions()

#: Weights are kept relative to this instant so the table never needs rescaling.
_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)

Counts = dict[str, dict[str, dict[str, list[float]]]]  # team → field → value → [won, lost]


class FrequencyTable:
    """Won and lost counts per team, field and value, like Odoo's ``crm.lead.scoring.frequency``.

    Stage counts mean "reached at least this stage": a won lead counts in
    every stage, a lost one in its stage and every earlier one.
    """

    def __init__(self, pipeline: Pipeline, options: PredictiveOptions = ODOO_17) -> None:
        self.pipeline = pipeline
        self.options = options
        self.counts: Counts = {}
        self._order = {stage: index for index, stage in enumerate(pipeline.stages)}

    @classmethod
    def build(
        cls,
        history: Iterable[PipelineLead],
        pipeline: Pipeline,
        options: PredictiveOptions = ODOO_17,
    ) -> FrequencyTable:
        """A full rebuild from every closed lead in *history* (open ones are skipped)."""
        table = cls(pipeline, options)
        for lead in history:
            if lead.outcome is not None:
                table.add(lead)
        return table

    def add(self, lead: PipelineLead) -> None:
        """Count one closed lead (the live increment)."""
        if lead.outcome is None:
            raise ValidationError("outcome", None, "only a won or lost lead is counted")
        weight = self._weight(lead)
        won = lead.outcome is Outcome.WON
        team = self.counts.setdefault(lead.team or _NO_TEAM, {})
        if lead.stage is not None:
            position = self._position(lead.stage)
            reached = self.pipeline.stages if won else self.pipeline.stages[: position + 1]
            for stage in reached:
                _bump(team, STAGE, stage, weight, won=won)
        for field, value in field_values(lead, self.options.fields):
            _bump(team, field, value, weight, won=won)
        for tag in lead.tags:
            _bump(team, TAG, tag, weight, won=won)

    def _weight(self, lead: PipelineLead) -> float | int:
        half_life = self.options.half_life
        if half_life is None:
            return 1
        if lead.closed_at is None:
            raise ValidationError("closed_at", None, "time weighting needs when each lead closed")
        require_aware("closed_at", lead.closed_at)
        return float(2.0 ** ((lead.closed_at - _ANCHOR) / half_life))

    def _position(self, stage: str) -> int:
        position = self._order.get(stage)
        if position is None:
            raise ValidationError(
                "stage", stage, f"not a stage of the pipeline: {', '.join(self.pipeline.stages)}"
            )
        return position

    def as_dict(self) -> Counts:
        """The raw counts, sorted, for comparison and storage."""
        return {
            team: {
                field: {value: list(c) for value, c in sorted(values.items())}
                for field, values in sorted(fields.items())
            }
            for team, fields in sorted(self.counts.items())
        }


def field_values(lead: PipelineLead, fields: Sequence[str]) -> list[tuple[str, str]]:
    """The (field, value) pairs Odoo counts: empty values skipped, but a missing
    e-mail or phone quality is the value ``"False"``."""
    pairs = []
    for field in fields:
        value = lead.values.get(field)
        if value is None or value == "":
            if field not in QUALITY_FIELDS:
                continue
            value = _MISSING
        pairs.append((field, str(value)))
    return pairs


def _bump(
    team: dict[str, dict[str, list[float]]], field: str, value: str, weight: float, *, won: bool
) -> None:
    pair = team.setdefault(field, {}).setdefault(value, [0, 0])
    pair[0 if won else 1] += weight


@attrs.frozen
class Factor:
    """How one value moved the odds.

    Attributes:
        field: ``stage``, ``tag`` or a field name.
        value: The lead's value.
        weight: The log of the likelihood ratio: positive counts for winning.
    """

    field: str
    value: str
    weight: float


@attrs.frozen
class Prediction:
    """The probability to win, in percent, and why.

    Attributes:
        probability: 0 to 100 with two decimals; ``None`` when the table has
            no won or no lost lead for the team (Odoo leaves the lead alone).
        factors: Every value used, strongest for winning first.
    """

    probability: Decimal | None
    factors: tuple[Factor, ...] = ()

    def top_for(self, n: int = 3) -> tuple[Factor, ...]:
        """The *n* factors that count most for winning."""
        return tuple(f for f in self.factors if f.weight > 0)[:n]

    def top_against(self, n: int = 3) -> tuple[Factor, ...]:
        """The *n* factors that count most against winning."""
        return tuple(f for f in reversed(self.factors) if f.weight < 0)[:n]


Table = dict[str, dict[str, list[float]]]  # field → value → smoothed [won, lost]


class PredictiveScorer:
    """Naive Bayes probabilities from a `FrequencyTable`."""

    def __init__(self, table: FrequencyTable) -> None:
        self.table = table
        self.options = table.options

    def _read(self, as_of: datetime | None) -> tuple[dict[str, Table], Table]:
        """Smoothed per-team tables and the all-teams table (Odoo's ``result[-1]``)."""
        options = self.options
        scale = 1.0
        if options.half_life is not None:
            if as_of is None:
                raise ValidationError("as_of", None, "time weighting needs the instant to score at")
            require_aware("as_of", as_of)
            scale = 2.0 ** (-((as_of - _ANCHOR) / options.half_life))
        teams: dict[str, Table] = {}
        every: Table = {}
        ordered = sorted(self.table.counts, key=lambda t: (t == _NO_TEAM, t))
        for team in ordered:
            own: Table = {}
            for field, values in self.table.counts[team].items():
                for value, (won, lost) in values.items():
                    if field not in (STAGE, TAG) and won + lost < options.min_support:
                        continue
                    w = _smoothed(won, scale, options.smoothing)
                    lo = _smoothed(lost, scale, options.smoothing)
                    if field == TAG and w + lo < options.tag_min_support:
                        continue
                    own.setdefault(field, {})[value] = [w, lo]
                    pair = every.setdefault(field, {}).setdefault(value, [0, 0])
                    pair[0] += w
                    pair[1] += lo
            if team != _NO_TEAM:
                teams[team] = own
        return teams, every

    def predict(self, lead: PipelineLead, as_of: datetime | None = None) -> Prediction:
        """The probability *lead* is won, as Odoo's ``_pls_get_naive_bayes_probabilities``."""
        return self.predict_many([lead], as_of)[0]

    def predict_many(
        self, leads: Sequence[PipelineLead], as_of: datetime | None = None
    ) -> list[Prediction]:
        """`predict` for many leads, reading the table once."""
        teams, every = self._read(as_of)
        return [self._one(lead, teams, every) for lead in leads]

    def _one(self, lead: PipelineLead, teams: dict[str, Table], every: Table) -> Prediction:
        pipeline = self.table.pipeline
        if lead.stage is None:
            return Prediction(Decimal(0))
        self.table._position(lead.stage)
        if lead.stage in pipeline.won:
            return Prediction(Decimal(100))
        table = teams.get(lead.team) if lead.team else None
        if table is None:
            table = every
        first = table.get(STAGE, {}).get(pipeline.stages[0])
        if first is None or not first[0] or not first[1]:
            return Prediction(None)
        team_won, team_lost = first
        s_won = team_won / (team_won + team_lost)
        s_lost = team_lost / (team_won + team_lost)
        factors = []
        for field, value in self._lead_values(lead, lead.stage):
            values = table.get(field, {})
            pair = values.get(value)
            if pair is None:
                continue
            if field == STAGE:
                total_won, total_lost = team_won, team_lost
            else:
                total_won = sum(p[0] for p in values.values())
                total_lost = sum(p[1] for p in values.values())
            if not total_won or not total_lost:
                continue
            s_won *= pair[0] / total_won
            s_lost *= pair[1] / total_lost
            ratio = (pair[0] / total_won) / (pair[1] / total_lost)
            factors.append(Factor(field, value, math.log(ratio)))
        low, high = self.options.clamp
        percent = min(max(round(100 * s_won / (s_won + s_lost), 2), low), high)
        factors.sort(key=lambda f: -f.weight)
        return Prediction(Decimal(repr(percent)).quantize(_CENT), tuple(factors))

    def _lead_values(self, lead: PipelineLead, stage: str) -> list[tuple[str, str]]:
        values = [(STAGE, stage), *field_values(lead, self.options.fields)]
        values.extend((TAG, tag) for tag in sorted(lead.tags))
        return values


def _smoothed(count: float, scale: float, smoothing: float) -> float:
    if isinstance(count, int) and scale == 1.0:
        # Odoo stores count + 0.1 in a one-decimal column and reads it back as a float
        return float(Decimal(count) + Decimal(repr(smoothing)))
    return count * scale + smoothing
