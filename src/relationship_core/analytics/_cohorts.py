"""Cohort retention: the share of each first-purchase cohort still buying, by period."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from relationship_core.analytics._data import (
    TimeUnit,
    TimeUnitLike,
    _daily,
    _resolve_end,
)
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

from relationship_core.analytics._plot_helpers import _axes

__all__ = ["cohort_retention_table", "plot_cohort_retention"]


def _calendar_periods(
    days: npt.NDArray[np.int64], unit: TimeUnit
) -> tuple[npt.NDArray[np.int64], object]:
    """Calendar period numbers for days since 1970-01-01, and a labeller for them."""
    if unit is TimeUnit.DAY:
        return days, lambda p: pd.Timestamp(np.datetime64(int(p), "D"))
    if unit is TimeUnit.WEEK:  # weeks start on Monday; 1970-01-01 was a Thursday
        return (days + 3) // 7, lambda p: pd.Timestamp(np.datetime64(int(p) * 7 - 3, "D"))
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months, lambda p: pd.Timestamp(np.datetime64(int(p), "M"))


def cohort_retention_table(
    transactions: pd.DataFrame,
    *,
    time_unit: TimeUnitLike,
    observation_end: date | datetime,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    normalize: bool = True,
) -> pd.DataFrame:
    """Share of each acquisition cohort that buys again, period by period.

    Cohorts are calendar periods of first purchase (days; weeks starting on
    Monday; calendar months). Period 0 is the acquisition period itself.

    Args:
        transactions: As for `customer_summary`.
        time_unit: Cohort and period length.
        observation_end: Last moment observed; periods after it are NaN.
        customer_id_col: Column of customer ids.
        datetime_col: Column of dates or datetimes.
        normalize: Shares of the cohort (True) or numbers of customers (False).

    Returns:
        Index ``cohort`` (period start), columns ``period`` 0, 1, ...: the
        share (or number) of the cohort's customers with a purchase in that
        period; NaN where the period is not fully observable yet.
    """
    unit = TimeUnit.parse(time_unit)
    end = _resolve_end("observation_end", observation_end)
    daily = _daily(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=None,
        after=None,
        until=end,
        field="observation_end",
    )
    if daily.empty:
        raise ValidationError("transactions", 0, "no transactions on or before observation_end")
    periods, label = _calendar_periods(daily["day"].to_numpy(dtype=np.int64), unit)
    end_period = int(_calendar_periods(np.array([end.day], dtype=np.int64), unit)[0][0])
    frame = pd.DataFrame({"customer": daily["customer"].to_numpy(), "period": periods})
    frame = frame.drop_duplicates()
    frame["cohort"] = frame.groupby("customer", sort=False, observed=True)["period"].transform(
        "min"
    )
    frame["offset"] = frame["period"] - frame["cohort"]
    counts = frame.groupby(["cohort", "offset"], sort=True).size().unstack(fill_value=0)
    first_cohort = int(counts.index.min())
    width = end_period - first_cohort + 1
    counts = counts.reindex(columns=range(width), fill_value=0).astype(np.float64)
    cohort_index = counts.index.to_numpy(dtype=np.int64)
    observable = cohort_index[:, None] + np.arange(width)[None, :] <= end_period
    values = counts.to_numpy()
    if normalize:
        values = values / values[:, :1]
    values = np.where(observable, values, np.nan)
    return pd.DataFrame(
        values,
        index=pd.Index([label(p) for p in cohort_index], name="cohort"),  # type: ignore[operator]
        columns=pd.RangeIndex(width, name="period"),
    )


def plot_cohort_retention(
    table: pd.DataFrame, *, annotate: bool | None = None, ax: Axes | None = None
) -> Axes:
    """Heatmap of a `cohort_retention_table`: cohorts down, periods across.

    Args:
        table: The retention table.
        annotate: Write each cell's value; by default only when the table has
            at most 400 cells.
        ax: Where to draw; a new figure when None.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValidationError("table", type(table).__name__, "expected a pandas DataFrame")
    ax = _axes(ax)
    values = table.to_numpy(dtype=np.float64)
    # Period 0 is 100% by construction; scale the colours to the later periods.
    later = values[:, 1:] if values.shape[1] > 1 else values
    finite = later[np.isfinite(later)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else None
    image = ax.imshow(
        np.ma.masked_invalid(values),
        aspect="auto",
        interpolation="nearest",
        cmap="viridis",
        vmin=0.0,
        vmax=top,
    )
    ax.figure.colorbar(image, ax=ax, label="Retention")
    ax.set_xticks(np.arange(values.shape[1]), [str(c) for c in table.columns])
    labels = [
        (c.strftime("%Y-%m-%d") if isinstance(c, pd.Timestamp) else str(c)) for c in table.index
    ]
    ax.set_yticks(np.arange(values.shape[0]), labels)
    ax.set_xlabel("Periods since acquisition")
    ax.set_ylabel("Cohort")
    ax.set_title("Cohort retention")
    if annotate if annotate is not None else values.size <= 400:
        percent = bool(np.nanmax(values, initial=0.0) <= 1.0)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                text = f"{value:.0%}" if percent else f"{value:g}"
                bright = top is not None and value > 0.6 * top
                colour = "black" if bright else "white"
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
    return ax
