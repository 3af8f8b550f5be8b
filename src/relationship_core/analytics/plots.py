"""Plots for buy-till-you-die models, and the tables behind them.

Every ``plot_*`` function draws on ``ax`` (a new figure when None) and returns
the Axes; matplotlib is imported only when one is called. The tables
(`repeat_transactions_tracking`, `probability_alive_matrix`,
`frequency_recency_matrix`, `cohort_retention_table`) are plain
DataFrames, so the numbers behind a figure can be checked or exported. The
matrices are computed on a bounded grid, chunk by chunk, so their memory does
not grow with the number of customers or the largest frequency.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from relationship_core.analytics._cohorts import cohort_retention_table, plot_cohort_retention
from relationship_core.analytics._data import (
    TimeUnit,
    TimeUnitLike,
    _daily,
    _resolve_end,
)
from relationship_core.analytics._matrices import (
    frequency_recency_matrix,
    plot_frequency_recency_matrix,
    plot_probability_alive_matrix,
    probability_alive_matrix,
)
from relationship_core.analytics._plot_helpers import (
    _CHUNK_CELLS,
    _axes,
    _float_array,
    _positive_int,
    _require_columns,
)
from relationship_core.analytics._protocol import TransactionModel
from relationship_core.analytics._validation import HoldoutReport, frequency_labels
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "cohort_retention_table",
    "frequency_recency_matrix",
    "period_transactions",
    "plot_calibration_vs_holdout",
    "plot_cohort_retention",
    "plot_cumulative_transactions",
    "plot_frequency_recency_matrix",
    "plot_incremental_transactions",
    "plot_period_transactions",
    "plot_probability_alive_matrix",
    "probability_alive_matrix",
    "repeat_transactions_tracking",
]


# -- period transactions ----------------------------------------------------------


def period_transactions(
    model: TransactionModel, summary: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Customers by number of repeat purchases: observed, and expected under the model.

    The expected count for ``n`` purchases is ``sum_i P(X(T_i) = n)`` over the
    customers, each observed for their own age ``T_i``; customers sharing an
    age are evaluated once.

    Args:
        model: A fitted model.
        summary: A `customer_summary`.
        max_frequency: Frequencies at or above this are grouped as ``"<max>+"``.

    Returns:
        Index ``"0"``, ``"1"``, ..., ``"<max>+"`` (``frequency``); columns
        ``actual`` and ``model`` (numbers of customers).
    """
    summary = _require_columns(summary, "summary", ("frequency", "T"))
    cap = _positive_int("max_frequency", max_frequency)
    buckets = frequency_labels(summary["frequency"].to_numpy(), cap)
    actual = np.bincount(buckets.codes, minlength=cap + 1).astype(np.float64)
    ages, counts = np.unique(summary["T"].to_numpy(dtype=np.float64), return_counts=True)
    expected = np.zeros(cap + 1)
    step = max(1, _CHUNK_CELLS // cap)
    for start in range(0, len(ages), step):
        t = ages[start : start + step]
        weight = counts[start : start + step]
        for n in range(cap):
            p = _float_array(model.probability_of_purchases(n, t))
            expected[n] += float(np.broadcast_to(p, t.shape) @ weight)
    expected[cap] = max(float(counts.sum()) - expected[:cap].sum(), 0.0)
    index = pd.Index(list(buckets.categories), name="frequency")
    return pd.DataFrame({"actual": actual, "model": expected}, index=index)


def plot_period_transactions(
    model: TransactionModel,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of customers by repeat purchases in calibration, actual vs model.

    The first check of any fit (Fader, Hardie and Lee 2005, figure 1): the
    bars come from `period_transactions`.
    """
    table = period_transactions(model, summary, max_frequency=max_frequency)
    ax = _axes(ax)
    x = np.arange(len(table))
    width = 0.4
    ax.bar(x - width / 2, table["actual"].to_numpy(), width, label="Actual")
    ax.bar(x + width / 2, table["model"].to_numpy(), width, label="Model")
    ax.set_xticks(x, list(table.index))
    ax.set_xlabel("Number of repeat purchases in calibration")
    ax.set_ylabel("Customers")
    ax.set_title("Frequency of repeat purchases")
    ax.legend()
    return ax


def plot_calibration_vs_holdout(report: HoldoutReport, *, ax: Axes | None = None) -> Axes:
    """Mean holdout purchases by calibration frequency, actual vs predicted.

    Args:
        report: A `holdout_report`.
        ax: Where to draw; a new figure when None.
    """
    table = report.conditional_expectations
    ax = _axes(ax)
    x = np.arange(len(table))
    ax.plot(x, table["actual"].to_numpy(), marker="o", label="Actual")
    ax.plot(x, table["predicted"].to_numpy(), marker="s", linestyle="--", label="Model")
    ax.set_xticks(x, list(table.index))
    ax.set_xlabel("Purchases in calibration")
    ax.set_ylabel("Mean purchases in holdout")
    ax.set_title("Conditional expectations: calibration vs holdout")
    ax.legend()
    return ax


# -- tracking -----------------------------------------------------------------------


def repeat_transactions_tracking(
    model: TransactionModel,
    transactions: pd.DataFrame,
    *,
    time_unit: TimeUnitLike,
    observation_end: date | datetime,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
) -> pd.DataFrame:
    """Repeat purchases per period for the whole customer base, actual vs model.

    Periods of ``time_unit`` are counted from the first customer's first
    purchase. The model's cumulative count at the end of a period is
    ``sum_i E[X(age_i)]`` with each customer's age at that day (as ``T`` is
    computed), summed over groups of customers acquired on the same day.
    Memory is bounded: the (acquisition day x period) grid is evaluated in
    chunks.

    Args:
        model: A model fitted in ``time_unit``.
        transactions: As for `customer_summary`.
        time_unit: Period length and the model's time unit.
        observation_end: Last day tracked (date or aware datetime).
        customer_id_col: Column of customer ids.
        datetime_col: Column of dates or datetimes.

    Returns:
        Index ``period`` (1, 2, ...); columns ``actual``, ``predicted`` (repeat
        purchases in the period) and ``actual_cumulative``,
        ``predicted_cumulative``.
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
    days = daily["day"].to_numpy()
    is_repeat = daily.groupby("customer", sort=False, observed=True).cumcount().to_numpy() > 0
    first_days = days[~is_repeat]
    start = int(first_days.min())
    span = end.day - start + 1
    periods = math.ceil(span / unit.days)
    # Last day (offset from start) of each period, as T is measured: whole days.
    last = np.minimum(np.ceil(np.arange(1, periods + 1) * unit.days).astype(np.int64) - 1, span - 1)
    period_of_day = np.floor((days[is_repeat] - start) / unit.days).astype(np.int64)
    actual = np.bincount(period_of_day, minlength=periods)[:periods].astype(np.float64)

    cohorts, sizes = np.unique(first_days - start, return_counts=True)
    cumulative = np.zeros(periods)
    step = max(1, _CHUNK_CELLS // len(cohorts))
    for lo in range(0, periods, step):
        ends = last[lo : lo + step]
        age = (ends[None, :] - cohorts[:, None]).astype(np.float64)
        alive = age >= 0
        flat = (np.where(alive, age, 0.0) / unit.days).ravel()  # models take 1-d arrays
        expected = np.broadcast_to(_float_array(model.expected_purchases_new(flat)), flat.shape)
        expected = expected.reshape(age.shape) * alive
        cumulative[lo : lo + step] = sizes.astype(np.float64) @ expected
    predicted = np.diff(cumulative, prepend=0.0)
    return pd.DataFrame(
        {
            "actual": actual,
            "predicted": predicted,
            "actual_cumulative": np.cumsum(actual),
            "predicted_cumulative": cumulative,
        },
        index=pd.RangeIndex(1, periods + 1, name="period"),
    )


def _tracking_plot(
    tracking: pd.DataFrame,
    columns: tuple[str, str],
    calibration_period: float | None,
    ax: Axes | None,
    title: str,
) -> Axes:
    tracking = _require_columns(tracking, "tracking", columns)
    ax = _axes(ax)
    x = tracking.index.to_numpy()
    ax.plot(x, tracking[columns[0]].to_numpy(), label="Actual")
    ax.plot(x, tracking[columns[1]].to_numpy(), linestyle="--", label="Model")
    if calibration_period is not None:
        ax.axvline(calibration_period, color="grey", linestyle=":", label="End of calibration")
    ax.set_xlabel("Period")
    ax.set_ylabel("Repeat purchases")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_cumulative_transactions(
    tracking: pd.DataFrame, *, calibration_period: float | None = None, ax: Axes | None = None
) -> Axes:
    """Cumulative repeat purchases, actual (solid) vs model (dashed).

    Args:
        tracking: A `repeat_transactions_tracking` table.
        calibration_period: Draw a vertical line at this period (e.g. 39).
        ax: Where to draw; a new figure when None.
    """
    return _tracking_plot(
        tracking,
        ("actual_cumulative", "predicted_cumulative"),
        calibration_period,
        ax,
        "Tracking cumulative repeat purchases",
    )


def plot_incremental_transactions(
    tracking: pd.DataFrame, *, calibration_period: float | None = None, ax: Axes | None = None
) -> Axes:
    """Repeat purchases per period, actual (solid) vs model (dashed).

    Args:
        tracking: A `repeat_transactions_tracking` table.
        calibration_period: Draw a vertical line at this period (e.g. 39).
        ax: Where to draw; a new figure when None.
    """
    return _tracking_plot(
        tracking,
        ("actual", "predicted"),
        calibration_period,
        ax,
        "Tracking repeat purchases per period",
    )
