"""Scoring many leads at once with numpy, and a DataFrame of leads with pandas.

The same arithmetic as `score` (see `_compiled`), vectorised: fit tests per
column, engagement sums per lead with ``np.bincount`` in event order, half-even
rounding to whole units, integer caps. numpy and pandas are imported when a
function here is called, never when the package is; without them the call
raises `MissingExtraError` naming the ``analytics`` extra.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from relationship_core._domain.timeutil import require_aware
from relationship_core._scoring._compiled import Compiled, compile_model, micros
from relationship_core._scoring.model import FitOp, ScoringModel
from relationship_core.exceptions import MissingExtraError, ValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = ["BatchScores", "score_arrays", "score_frame"]


def _extra(package: str) -> Any:
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingExtraError(
            "relationship_core scoring in batch", "analytics", package
        ) from None


class BatchScores:
    """Scores of many leads in units of the model's precision (exact integers).

    Attributes:
        units: One row per lead, one column per criterion (model order).
        adjustments: One column per group cap line, then the total's cap.
        columns: The names of `units` then `adjustments` columns.
    """

    def __init__(
        self,
        compiled: Compiled,
        units: npt.NDArray[np.int64],
        adjustments: npt.NDArray[np.int64],
        columns: list[str],
        total: npt.NDArray[np.int64],
    ) -> None:
        self._compiled = compiled
        self.units = units
        self.adjustments = adjustments
        self.columns = columns
        self._total = total

    @property
    def total_units(self) -> npt.NDArray[np.int64]:
        """Each lead's total in units: the sum of its row and its adjustments."""
        return self._total

    def part_units(self, kind: str) -> npt.NDArray[np.int64]:
        """The fit or engagement part in units, group caps included."""
        compiled = self._compiled
        members = [i for i in range(len(compiled.criteria)) if compiled.kind_of(i) == kind]
        caps = [j for j, g in enumerate(compiled.groups) if g.kind == kind]
        return self.units[:, members].sum(axis=1) + self.adjustments[:, caps].sum(axis=1)  # type: ignore[no-any-return]

    def points(self, units: npt.NDArray[np.int64]) -> npt.NDArray[np.floating[Any]]:
        """Units as points in float64, each the nearest double to the exact decimal."""
        quantum = self._compiled.quantum
        if quantum >= 1:
            return units * float(quantum)
        return units / float(1 / quantum)


def score_arrays(
    model: ScoringModel,
    count: int,
    at: datetime,
    *,
    attributes: Mapping[str, Sequence[object] | npt.NDArray[Any]] | None = None,
    event_lead: npt.NDArray[np.int64] | None = None,
    event_type: npt.NDArray[Any] | None = None,
    event_time: npt.NDArray[np.int64] | None = None,
) -> BatchScores:
    """Score *count* leads at *at* from columns of attributes and arrays of events.

    Args:
        model: The scoring model.
        count: How many leads (rows).
        at: The aware instant to score at.
        attributes: Per attribute, one value per lead (numeric arrays are
            tested vectorised; other columns value by value, as `score` does).
        event_lead: Per event, the row of its lead (0 to count - 1).
        event_type: Per event, its activity type.
        event_time: Per event, when it happened in epoch microseconds.
    """
    np = _extra("numpy")
    require_aware("at", at)
    compiled = compile_model(model)
    attributes = attributes or {}
    # column-major: each criterion's column is contiguous, as it is written and summed
    units = np.zeros((count, len(compiled.criteria)), dtype=np.int64, order="F")
    for rule in compiled.fit:
        column = attributes.get(rule.field)
        if column is None:
            continue
        matched = _fit_mask(np, compiled.criteria[rule.position], rule.test, column, count)
        units[:, rule.position] = np.where(matched, rule.units, 0)
    if event_lead is not None and len(event_lead):
        if event_type is None or event_time is None:
            raise ValidationError(
                "event_type", None, "give event_lead, event_type and event_time together"
            )
        _engagement(
            np,
            compiled,
            units,
            count=count,
            at=micros(at),
            lead=event_lead,
            kind=event_type,
            when=event_time,
        )
    adjustments = np.zeros((count, len(compiled.groups) + 1), dtype=np.int64)
    total = np.zeros(count, dtype=np.int64)
    for j, group in enumerate(compiled.groups):
        subtotal = np.zeros(count, dtype=np.int64)
        for member in group.members:
            subtotal += units[:, member]
        if group.cap is not None:
            adjustments[:, j] = np.clip(subtotal, -group.cap, group.cap) - subtotal
        total += subtotal + adjustments[:, j]
    if compiled.total_cap is not None:
        adjustments[:, -1] = np.clip(total, -compiled.total_cap, compiled.total_cap) - total
    names = [c.name for c in compiled.criteria]
    names += [f"cap:{g.name}" for g in compiled.groups] + ["cap:total"]
    return BatchScores(compiled, units, adjustments, names, total + adjustments[:, -1])


def _fit_mask(np: Any, criterion: Any, test: Any, column: Any, count: int) -> Any:
    values = np.asarray(column)
    if len(values) != count:
        raise ValidationError(
            f"attributes[{criterion.field!r}]", len(values), f"expected {count} values"
        )
    if values.dtype.kind in "iuf":
        present = ~np.isnan(values) if values.dtype.kind == "f" else np.ones(count, dtype=bool)
        if criterion.op is FitOp.EXISTS:
            return present
        if criterion.op is FitOp.EQUALS:
            return (
                present & (values == float(criterion.value))
                if not isinstance(criterion.value, str | bool)
                else np.zeros(count, dtype=bool)
            )
        if criterion.op is FitOp.IN:
            numbers = [float(v) for v in criterion.values if not isinstance(v, str | bool)]
            return present & np.isin(values, numbers)
        if criterion.op is FitOp.RANGE and not hasattr(
            criterion.minimum or criterion.maximum, "year"
        ):
            mask = present.copy()
            if criterion.minimum is not None:
                mask &= values >= float(criterion.minimum)
            if criterion.maximum is not None:
                mask &= values <= float(criterion.maximum)
            return mask
        return np.zeros(count, dtype=bool)
    if values.dtype.kind in "UT":  # plain text: "" is absent, as it is for `score`
        present = values != ""
        if criterion.op is FitOp.EXISTS:
            return present
        if criterion.op is FitOp.EQUALS:
            return (
                present & (values == criterion.value)
                if isinstance(criterion.value, str)
                else np.zeros(count, dtype=bool)
            )
        if criterion.op is FitOp.IN:
            texts = [v for v in criterion.values if isinstance(v, str)]
            return present & np.isin(values, texts)
        return np.zeros(count, dtype=bool)
    return np.fromiter((test(None if _missing(v) else v) for v in values), dtype=bool, count=count)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _engagement(
    np: Any, compiled: Compiled, units: Any, *, count: int, at: int, lead: Any, kind: Any, when: Any
) -> None:
    lead = np.asarray(lead, dtype=np.int64)
    age = at - np.asarray(when, dtype=np.int64)
    match = _matcher(np, np.asarray(kind))
    chosen_by_activity: dict[str, Any] = {}
    for rule in compiled.engagement:
        chosen = chosen_by_activity.get(rule.activity)
        if chosen is None:
            # ascending indices: each lead's events stay in input order, as `score` adds them
            chosen = chosen_by_activity[rule.activity] = np.flatnonzero(match(rule.activity))
        ages = age[chosen]
        rows = lead[chosen]
        keep = ages >= 0 if rule.window is None else (ages >= 0) & (ages < rule.window)
        ages, rows = ages[keep], rows[keep]
        weights = None if rule.half_life is None else np.power(0.5, ages / rule.half_life)
        decayed = np.bincount(rows, weights=weights, minlength=count).astype(np.float64)
        value = np.rint(rule.points * decayed).astype(np.int64)
        if rule.cap is not None:
            value = np.clip(value, -rule.cap, rule.cap)
        units[:, rule.position] = value


def _matcher(np: Any, kind: Any) -> Any:
    """A function from an activity type to the mask of events of that type.

    Short fixed-width text is compared as integers (one machine word per
    value), several times faster than comparing text.
    """
    if kind.dtype.kind == "O":
        kind = kind.astype(str)
    if kind.dtype.kind == "U" and kind.dtype.itemsize in (4, 8):
        word = np.uint32 if kind.dtype.itemsize == 4 else np.uint64
        view = np.ascontiguousarray(kind).view(word)

        def words(activity: str) -> Any:
            if len(activity) * 4 > kind.dtype.itemsize:
                return np.zeros(len(kind), dtype=bool)
            return view == np.array([activity], dtype=kind.dtype).view(word)[0]

        return words
    return lambda activity: kind == activity


def score_frame(
    model: ScoringModel,
    leads: pd.DataFrame,
    at: datetime,
    activities: pd.DataFrame | None = None,
    *,
    lead: str = "lead",
    type: str = "type",
    occurred_at: str = "occurred_at",
) -> pd.DataFrame:
    """Score a DataFrame of leads (index: lead ids, columns: attributes) in one call.

    *activities* has one row per activity: the lead's id, its type and an
    aware timestamp. The result, on the leads' index, has ``total``,
    ``fit``, ``engagement``, then one column per criterion and per cap line:
    the explanation. Columns are float64 points rounded to the model's
    precision; ``total`` is computed from exact integer units, so it equals
    the sum of the explanation columns to the precision.
    """
    np = _extra("numpy")
    pd = _extra("pandas")
    count = len(leads)
    attributes = {name: leads[name].to_numpy() for name in leads.columns}
    events: dict[str, Any] = {}
    if activities is not None and len(activities):
        rows = leads.index.get_indexer(activities[lead])
        if (rows < 0).any():
            unknown = activities[lead][rows < 0].iloc[0]
            raise ValidationError(lead, unknown, "an activity names a lead not in the frame")
        stamps = pd.to_datetime(activities[occurred_at])
        if stamps.dt.tz is None:
            raise ValidationError(occurred_at, stamps.iloc[0], "timestamps must be time zone-aware")
        naive_utc = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        epoch_us = naive_utc.to_numpy().astype("datetime64[us]").astype(np.int64)
        events = {
            "event_lead": rows,
            "event_type": activities[type].to_numpy(),
            "event_time": epoch_us,
        }
    result = score_arrays(model, count, at, attributes=attributes, **events)
    frame = {
        "total": result.points(result.total_units),
        "fit": result.points(result.part_units("fit")),
        "engagement": result.points(result.part_units("engagement")),
    }
    for j, name in enumerate(result.columns):
        column = (
            result.units[:, j]
            if j < result.units.shape[1]
            else result.adjustments[:, j - result.units.shape[1]]
        )
        frame[name] = result.points(column)
    return pd.DataFrame(frame, index=leads.index)
