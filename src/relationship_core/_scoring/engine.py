"""Scoring one lead at an instant, with the explanation that sums to the total.

Caps keep the explanation exact by **adjustment lines**: a criterion's own cap
shows in its line (its points are the capped points, and the why says so);
a group's or the total's cap adds a line ``cap:<group>`` / ``cap:total`` with
the (negative for a ceiling) points that bring the sum to the cap. So
``sum(c.points for c in score.contributions) == score.total`` always, and
``score.fit + score.engagement + score.total_adjustment == score.total``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import cast

import attrs

from relationship_core._domain.engagements import Interaction
from relationship_core._domain.parties import Party
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import aware
from relationship_core._scoring._compiled import Compiled, Evaluation, compile_model, micros
from relationship_core._scoring._values import duration_text, to_text
from relationship_core._scoring.fields import party_attributes
from relationship_core._scoring.model import ENGAGEMENT, FIT, EngagementCriterion, ScoringModel
from relationship_core.exceptions import ValidationError

__all__ = [
    "Activity",
    "Contribution",
    "Lead",
    "LeadState",
    "Score",
    "ScoreSnapshot",
    "activities_from_interactions",
    "score",
]


def _activity_type(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    to_text(attribute.name, value)


@attrs.frozen(kw_only=True)
class Activity:
    """One thing a lead did: an e-mail opened, a form submitted, a page visited.

    Attributes:
        type: The activity type engagement criteria count, e.g. ``"email_opened"``.
        occurred_at: When (aware).
    """

    type: str = attrs.field(validator=_activity_type)
    occurred_at: datetime = attrs.field(validator=aware)


def activities_from_interactions(interactions: Iterable[Interaction]) -> tuple[Activity, ...]:
    """Logged interactions as activities typed ``interaction.<channel>`` (``interaction.meeting``)."""
    return tuple(
        Activity(type=f"interaction.{i.channel.value}", occurred_at=i.occurred_at)
        for i in interactions
    )


def _attributes(value: Mapping[str, object]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValidationError("attributes", value, "expected a mapping of attribute to value")
    return MappingProxyType(dict(value))


def _activities(value: Iterable[Activity]) -> tuple[Activity, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True, eq=True, hash=False)
class Lead:
    """What scoring sees of a lead: attributes (fit) and activities (engagement).

    Attributes:
        attributes: Flat attribute values, e.g. ``{"custom.industry": "saas"}``.
        activities: What the lead did, in any order.
    """

    attributes: Mapping[str, object] = attrs.field(factory=dict, converter=_attributes)
    activities: tuple[Activity, ...] = attrs.field(default=(), converter=_activities)

    @classmethod
    def from_party(
        cls,
        party: Party,
        activities: Iterable[Activity] = (),
        interactions: Iterable[Interaction] = (),
    ) -> Lead:
        """A lead from a party's attributes, its activities and its logged interactions."""
        return cls(
            attributes=party_attributes(party),
            activities=(*activities, *activities_from_interactions(interactions)),
        )


class LeadState:
    """A lead held in memory for fast rescoring: activity times grouped by type.

    `add` one activity, then `score` again; the fit part is computed once per
    model and kept until `set_attributes`.
    """

    __slots__ = ("_fit", "attributes", "by_type")

    def __init__(self, lead: Lead | None = None) -> None:
        self.attributes: Mapping[str, object] = lead.attributes if lead else MappingProxyType({})
        self.by_type: dict[str, list[int]] = {}
        # keyed by the compiled model itself (not its id, which a new one could reuse)
        self._fit: dict[Compiled, tuple[list[int], list[object]]] = {}
        for activity in lead.activities if lead else ():
            self.by_type.setdefault(activity.type, []).append(micros(activity.occurred_at))

    def add(self, activity: Activity) -> None:
        """Record one more activity."""
        self.by_type.setdefault(activity.type, []).append(micros(activity.occurred_at))

    def set_attributes(self, attributes: Mapping[str, object]) -> None:
        """Replace the attributes (the fit part is recomputed on the next score)."""
        self.attributes = _attributes(attributes)
        self._fit.clear()

    def fit_for(self, compiled: Compiled) -> tuple[list[int], list[object]]:
        """The fit row for *compiled*, computed once until the attributes change."""
        fit = self._fit.get(compiled)
        if fit is None:
            fit = self._fit[compiled] = compiled.fit_units(self.attributes)
        return fit

    def latest(self) -> int | None:
        """The latest activity time in epoch microseconds, if any."""
        return max((max(times) for times in self.by_type.values() if times), default=None)


@attrs.frozen(kw_only=True)
class Contribution:
    """One line of the explanation.

    Attributes:
        criterion: The criterion's name, or ``cap:<group>`` / ``cap:total``.
        kind: ``"fit"``, ``"engagement"``, or ``"total"`` for the total's cap.
        points: What it adds (negative takes away); exact.
        why: What matched, in words.
    """

    criterion: str
    kind: str
    points: Decimal
    why: str


@attrs.frozen(kw_only=True)
class ScoreSnapshot:
    """The value to store: a score, its parts, when, and by which model.

    Attributes:
        value: The total.
        fit: The fit part.
        engagement: The engagement part.
        total_adjustment: What the total's cap took away (zero without one).
        as_of: The instant scored at.
        model_version: `ScoringModel.version` of the model that scored.
    """

    value: Decimal
    fit: Decimal
    engagement: Decimal
    total_adjustment: Decimal
    as_of: datetime = attrs.field(validator=aware)
    model_version: str


@attrs.frozen(kw_only=True, slots=False, eq=False)
class Score:
    """A lead's score at an instant; parts and explanation are built when first read.

    Attributes:
        as_of: The instant scored at.
        model_version: `ScoringModel.version` of the model that scored.
    """

    as_of: datetime
    model_version: str
    _compiled: Compiled = attrs.field(repr=False, alias="compiled")
    _evaluation: Evaluation = attrs.field(repr=False, alias="evaluation")

    @property
    def total_units(self) -> int:
        """The total in units of the model's precision (an exact integer)."""
        ev = self._evaluation
        return sum(ev.units) + sum(ev.group_adjustments) + ev.total_adjustment

    @functools.cached_property
    def total(self) -> Decimal:
        """The score."""
        return self.total_units * self._compiled.quantum

    @functools.cached_property
    def fit(self) -> Decimal:
        """The fit part, group caps included."""
        return self._part(FIT)

    @functools.cached_property
    def engagement(self) -> Decimal:
        """The engagement part, group caps included."""
        return self._part(ENGAGEMENT)

    @property
    def total_adjustment(self) -> Decimal:
        """What the total's cap added (zero, or negative for a ceiling)."""
        return self._evaluation.total_adjustment * self._compiled.quantum

    def _part(self, kind: str) -> Decimal:
        compiled, ev = self._compiled, self._evaluation
        units = sum(u for i, u in enumerate(ev.units) if compiled.kind_of(i) == kind)
        units += sum(
            adj
            for g, adj in zip(compiled.groups, ev.group_adjustments, strict=True)
            if g.kind == kind
        )
        return units * compiled.quantum

    @functools.cached_property
    def contributions(self) -> tuple[Contribution, ...]:
        """Every criterion's line, then the cap lines; they sum to `total` exactly."""
        return tuple(explain(self._compiled, self._evaluation))

    def __repr__(self) -> str:
        return f"Score(total={self.total}, fit={self.fit}, engagement={self.engagement}, as_of={self.as_of.isoformat()})"

    def snapshot(self) -> ScoreSnapshot:
        """The value to store."""
        return ScoreSnapshot(
            value=self.total,
            fit=self.fit,
            engagement=self.engagement,
            total_adjustment=self.total_adjustment,
            as_of=self.as_of,
            model_version=self.model_version,
        )


def score(model: ScoringModel, lead: Lead | LeadState, at: datetime) -> Score:
    """Score *lead* with *model* at the aware instant *at*.

    Activities after *at* have not happened yet and count nothing.
    """
    require_aware("at", at)
    compiled = compile_model(model)
    state = lead if isinstance(lead, LeadState) else LeadState(lead)
    evaluation = compiled.evaluate(state.fit_for(compiled), state.by_type, micros(at))
    return Score(as_of=at, model_version=compiled.version, compiled=compiled, evaluation=evaluation)


def explain(compiled: Compiled, ev: Evaluation) -> list[Contribution]:
    """The explanation lines of an evaluation."""
    quantum = compiled.quantum
    lines = []
    for index, criterion in enumerate(compiled.criteria):
        units = ev.units[index]
        if isinstance(criterion, EngagementCriterion):
            count, decayed = cast(tuple[int, float], ev.detail[index])
            why = _engagement_why(compiled, criterion, count, decayed, units)
        else:
            seen = ev.detail[index]
            test = f"{criterion.field} {criterion.op.value}"
            why = f"{test}: {'matched' if units or _matched(compiled, index, seen) else 'not matched'} ({criterion.field}={seen!r})"
            if criterion.cap is not None and abs(criterion.points) > criterion.cap and units:
                why += f", capped at {criterion.cap}"
        lines.append(
            Contribution(
                criterion=criterion.name, kind=criterion.kind, points=units * quantum, why=why
            )
        )
    for group, adjustment in zip(compiled.groups, ev.group_adjustments, strict=True):
        if adjustment:
            before = sum(ev.units[i] for i in group.members) * quantum
            lines.append(
                Contribution(
                    criterion=f"cap:{group.name}",
                    kind=group.kind,
                    points=adjustment * quantum,
                    why=f"group {group.name!r} is capped at {compiled.model.group_cap(group.name)} (its criteria gave {before})",
                )
            )
    if ev.total_adjustment:
        before = (sum(ev.units) + sum(ev.group_adjustments)) * quantum
        lines.append(
            Contribution(
                criterion="cap:total",
                kind="total",
                points=ev.total_adjustment * quantum,
                why=f"the total is capped at {compiled.model.total_cap} (the parts gave {before})",
            )
        )
    return lines


def _matched(compiled: Compiled, index: int, seen: object) -> bool:
    rule = next(r for r in compiled.fit if r.position == index)
    return rule.test(seen)


def _engagement_why(
    compiled: Compiled, criterion: EngagementCriterion, count: int, decayed: float, units: int
) -> str:
    decay = criterion.decay if criterion.decay is not None else compiled.model.decay
    why = f"{count} x {criterion.activity} at {criterion.points} each"
    if decay.window is not None:
        why += f" (last {duration_text(decay.window)})"
    if decay.half_life is not None and count:
        why += (
            f", decayed to {decayed:.3f} occurrences (half-life {duration_text(decay.half_life)})"
        )
    raw = criterion.points * Decimal(repr(decayed))
    if criterion.cap is not None and abs(raw) > criterion.cap:
        why += f", capped at {criterion.cap}"
    return why


def scores(model: ScoringModel, leads: Sequence[Lead], at: datetime) -> list[Score]:
    """`score` for each lead (the batch path in `score_frame` is faster for many)."""
    return [score(model, lead, at) for lead in leads]
