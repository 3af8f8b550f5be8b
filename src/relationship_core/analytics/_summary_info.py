"""What a customer summary records about itself: its time unit and where it ends.

A summary's ``recency`` and ``T`` are numbers in some unit, and nothing in the
numbers says which: a weekly summary valued as daily gives a CLV several times
too high, silently. So `customer_summary` and `calibration_holdout_summary`
record the unit (and the calibration end) in ``DataFrame.attrs`` under
`SUMMARY_ATTR`, and the functions that need the unit read it from there.

pandas 2.x and 3.x keep ``attrs`` through slicing, boolean masks, ``.loc``,
``.iloc``, ``assign``, ``copy``, ``rename``, ``sort_values``, ``reset_index``
and ``concat`` of frames whose ``attrs`` are equal; they drop them on
``merge``, ``join``, ``concat`` of frames whose ``attrs`` differ, and any round
trip through CSV. A summary that lost them must be given its unit explicitly.
The values are plain strings so the ``attrs`` survive ``to_parquet`` (which
stores them as JSON).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from relationship_core.exceptions import ValidationError

__all__ = ["SUMMARY_ATTR", "record_summary_info", "resolve_unit", "summary_info"]

#: The ``DataFrame.attrs`` key under which summaries record their unit and ends.
SUMMARY_ATTR = "relationship_core.summary"

_UNITS = ("day", "week", "month", "year")


def record_summary_info(
    summary: pd.DataFrame,
    *,
    unit: str,
    calibration_end: date | datetime,
    observation_end: date | datetime,
    currency: object = None,
) -> pd.DataFrame:
    """Record *unit* and the ends in ``summary.attrs[SUMMARY_ATTR]`` (returns *summary*)."""
    summary.attrs[SUMMARY_ATTR] = {
        "unit": unit,
        "calibration_end": calibration_end.isoformat(),
        "observation_end": observation_end.isoformat(),
        "currency": currency if isinstance(currency, str) else None,
    }
    return summary


def summary_info(summary: pd.DataFrame) -> dict[str, object] | None:
    """The recorded information of a summary, or None when it has none (or lost it)."""
    info = getattr(summary, "attrs", {}).get(SUMMARY_ATTR)
    if isinstance(info, dict) and info.get("unit") in _UNITS:
        return dict(info)
    return None


def _name(value: object) -> str | None:
    name = getattr(value, "value", value)  # a TimeUnit member, or its name
    return name.strip().lower() if isinstance(name, str) else None


def resolve_unit(summary: pd.DataFrame, given: object, *, field: str) -> str:
    """The time unit of *summary*: the recorded one, checked against *given* if any.

    Raises:
        ValidationError: *given* contradicts the recorded unit, is not a unit,
            or is None while the summary records no unit.
    """
    info = summary_info(summary)
    recorded = None if info is None else str(info["unit"])
    if given is None:
        if recorded is None:
            raise ValidationError(
                field,
                None,
                "this summary does not record its time unit (pandas drops DataFrame.attrs "
                "on merge, join and concat of unlike frames); pass the unit its recency "
                f"and T are in, e.g. {field}='week', or copy the attrs back with "
                "merged.attrs = summary.attrs",
            )
        return recorded
    name = _name(given)
    if name not in _UNITS:
        raise ValidationError(field, given, f"use one of {', '.join(_UNITS)}")
    if recorded is not None and name != recorded:
        raise ValidationError(
            field,
            given,
            f"the summary's recency and T are in {recorded}s (recorded when it was built); "
            f"drop {field} or pass {field}={recorded!r}",
        )
    return name
