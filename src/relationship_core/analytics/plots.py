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
import numpy.typing as npt
import pandas as pd

from relationship_core.analytics._data import (
    TimeUnit,
    TimeUnitLike,
    _daily,
    _resolve_end,
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

_CHUNK_CELLS = 1 << 18  # model evaluations per call: bounds temporary memory to a few MB
_MAX_GRID = 1000


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # lazy on purpose: importing matplotlib is slow

    _, new = plt.subplots()
    return new


def _float_array(values: object) -> npt.NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def _require_columns(frame: object, field: str, names: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(field, type(frame).__name__, "expected a pandas DataFrame")
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValidationError(field, missing, "missing columns; build it with customer_summary()")
    return frame


def _positive_int(field: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValidationError(field, value, f"expected an integer >= {minimum}")
    return int(value)


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


# -- matrices -----------------------------------------------------------------------


def _grid(
    max_frequency: object,
    T: object,  # noqa: N803 - the literature's name
    grid_size: object,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    top = _positive_int("max_frequency", max_frequency)
    size = _positive_int("grid_size", grid_size, 2)
    if size > _MAX_GRID:
        raise ValidationError("grid_size", grid_size, f"at most {_MAX_GRID} (bounds memory)")
    if isinstance(T, bool) or not isinstance(T, int | float | np.number) or not T > 0:
        raise ValidationError("T", T, "expected a positive age, in the model's time unit")
    frequencies = np.unique(np.round(np.linspace(0, top, min(size, top + 1))).astype(np.int64))
    recencies = np.linspace(0.0, float(T), size)
    return frequencies, recencies


def _matrix(
    frequencies: npt.NDArray[np.int64],
    recencies: npt.NDArray[np.float64],
    evaluate: object,
) -> pd.DataFrame:
    values = np.full((len(frequencies), len(recencies)), np.nan)
    rows = max(1, _CHUNK_CELLS // len(recencies))
    for lo in range(0, len(frequencies), rows):
        f = frequencies[lo : lo + rows].astype(np.float64)[:, None]
        r = np.broadcast_to(recencies[None, :], (len(f), len(recencies)))
        f = np.broadcast_to(f, r.shape)
        valid = (f > 0) | (r == 0)  # no repeat purchase means recency 0
        out = _float_array(evaluate(f[valid], r[valid]))  # type: ignore[operator]
        block = values[lo : lo + rows]
        block[valid] = np.broadcast_to(out, (int(valid.sum()),))
    return pd.DataFrame(
        values,
        index=pd.Index(frequencies, name="frequency"),
        columns=pd.Index(recencies, name="recency"),
    )


def probability_alive_matrix(
    model: TransactionModel,
    *,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
) -> pd.DataFrame:
    """P(alive) over a frequency x recency grid, for customers of age ``T``.

    The grid has at most ``grid_size`` frequencies (integers from 0 to
    ``max_frequency``) and ``grid_size`` recencies (0 to ``T``), evaluated in
    chunks: memory stays bounded whatever ``max_frequency`` is. Cells with
    frequency 0 and recency > 0 cannot occur and are NaN.

    Args:
        model: A fitted model.
        max_frequency: Largest frequency shown, e.g. ``summary.frequency.max()``.
        T: Age of the customers, e.g. ``summary.T.max()``.
        grid_size: Points per axis (2 to 1,000).

    Returns:
        A DataFrame indexed by ``frequency`` with ``recency`` columns.
    """
    frequencies, recencies = _grid(max_frequency, T, grid_size)
    age = float(T)
    return _matrix(
        frequencies,
        recencies,
        lambda f, r: model.probability_alive(f, r, np.full(f.shape, age)),
    )


def frequency_recency_matrix(
    model: TransactionModel,
    *,
    t: float,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
) -> pd.DataFrame:
    """Expected purchases in the next ``t`` over a frequency x recency grid.

    Same grid and memory bound as `probability_alive_matrix`.

    Args:
        model: A fitted model.
        t: Length of the future window, in the model's time unit.
        max_frequency: Largest frequency shown.
        T: Age of the customers.
        grid_size: Points per axis (2 to 1,000).
    """
    if isinstance(t, bool) or not isinstance(t, int | float | np.number) or not t > 0:
        raise ValidationError("t", t, "expected a positive window, in the model's time unit")
    frequencies, recencies = _grid(max_frequency, T, grid_size)
    age, window = float(T), float(t)
    return _matrix(
        frequencies,
        recencies,
        lambda f, r: model.expected_purchases(window, f, r, np.full(f.shape, age)),
    )


def _extent(centres: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Image edges that put each cell's centre on its grid value."""
    half = (centres[-1] - centres[0]) / max(len(centres) - 1, 1) / 2 if len(centres) > 1 else 0.5
    return float(centres[0] - half), float(centres[-1] + half)


def _matrix_plot(matrix: pd.DataFrame, ax: Axes | None, title: str, label: str) -> Axes:
    ax = _axes(ax)
    recency = matrix.columns.to_numpy(dtype=np.float64)
    frequency = matrix.index.to_numpy(dtype=np.float64)
    image = ax.imshow(
        np.ma.masked_invalid(matrix.to_numpy(dtype=np.float64)),
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=_extent(recency) + _extent(frequency),
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("Recency (time of last purchase)")
    ax.set_ylabel("Frequency (repeat purchases)")
    ax.set_title(title)
    return ax


def plot_probability_alive_matrix(
    model: TransactionModel,
    *,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of `probability_alive_matrix` (recency across, frequency up)."""
    matrix = probability_alive_matrix(model, max_frequency=max_frequency, T=T, grid_size=grid_size)
    return _matrix_plot(matrix, ax, f"Probability alive at age {T:.4g}", "P(alive)")


def plot_frequency_recency_matrix(
    model: TransactionModel,
    *,
    t: float,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of `frequency_recency_matrix` (recency across, frequency up)."""
    matrix = frequency_recency_matrix(
        model, t=t, max_frequency=max_frequency, T=T, grid_size=grid_size
    )
    return _matrix_plot(
        matrix, ax, f"Expected purchases in the next {t:.4g} periods", "Expected purchases"
    )


# -- cohorts ------------------------------------------------------------------------


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
