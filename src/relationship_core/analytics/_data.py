"""Transactions to the per-customer summaries that buy-till-you-die models fit.

The conventions are the literature's (Fader, Hardie and Lee 2005): purchases
a customer makes on the same calendar day count as one transaction (their
amounts are added), the first purchase starts the customer's clock and is not
a repeat purchase, and time is counted in whole calendar days, then expressed
in the requested `TimeUnit` (so weekly recency is a fraction such as
``30.43``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, tzinfo
from typing import Literal, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core.analytics._summary_info import record_summary_info
from relationship_core.exceptions import ValidationError

__all__ = [
    "TimeUnit",
    "TimeUnitLike",
    "calibration_holdout_summary",
    "customer_summary",
]

_MEAN_MONTH_DAYS = 365.25 / 12  # a twelfth of a Julian year, as Horizon uses


class TimeUnit(enum.Enum):
    """The unit recency, age and holdout durations are expressed in.

    There is deliberately no default: a BG/NBD fit in weeks and one in days
    have different parameters, and mixing them silently is the classic bug.
    ``MONTH`` is a twelfth of a Julian year (30.4375 days), as in ``Horizon``.

    Examples:
        >>> TimeUnit.parse("week").days
        7.0
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> float:
        """Length of one unit in days."""
        return {"day": 1.0, "week": 7.0, "month": _MEAN_MONTH_DAYS}[self.value]

    @classmethod
    def parse(cls, value: object, field: str = "time_unit") -> TimeUnit:
        """Accept a `TimeUnit` or its name (``"day"``, ``"week"``, ``"month"``)."""
        if isinstance(value, TimeUnit):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        raise ValidationError(field, value, "expected one of 'day', 'week', 'month' (or TimeUnit)")


TimeUnitLike: TypeAlias = TimeUnit | Literal["day", "week", "month"]


@attrs.frozen
class _End:
    """A boundary of the observation: a calendar day, and an instant when aware."""

    day: int  # days since 1970-01-01 (local date)
    instant: pd.Timestamp | None
    zone: tzinfo | None


_EPOCH = date(1970, 1, 1)


def _resolve_end(field: str, value: object) -> _End:
    if isinstance(value, datetime):
        aware = require_aware(field, value)
        return _End((aware.date() - _EPOCH).days, pd.Timestamp(aware), aware.tzinfo)
    day = require_date(field, value)
    return _End((day - _EPOCH).days, None, None)


def _column(frame: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("transactions", type(frame).__name__, "expected a pandas DataFrame")
    if name not in frame.columns:
        raise ValidationError(
            f"{role}_col",
            name,
            f"no such column; the DataFrame has {list(map(str, frame.columns))}",
        )
    column = frame[name]
    if isinstance(column, pd.DataFrame):
        raise ValidationError(f"{role}_col", name, "the column name is duplicated")
    missing = column.isna().to_numpy()
    if missing.any():
        where = frame.index[int(np.argmax(missing))]
        raise ValidationError(f"{name}[{where!r}]", None, "missing value; drop or fill it first")
    return column


def _timestamps(frame: pd.DataFrame, name: str) -> pd.Series:
    column = _column(frame, name, "datetime")
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        return column
    if pd.api.types.is_object_dtype(dtype):
        values = column.tolist()
        if all(isinstance(v, date) for v in values):
            aware = [isinstance(v, datetime) and v.tzinfo is not None for v in values]
            if all(aware):
                return pd.Series(pd.to_datetime(values, utc=True), index=column.index)
            if not any(aware):
                return pd.Series(pd.to_datetime(values), index=column.index)
            raise ValidationError(
                "datetime_col", name, "mixes naive and aware datetimes; make them all aware"
            )
    raise ValidationError(
        "datetime_col",
        name,
        f"holds {dtype}, not dates or datetimes; parse it with pd.to_datetime(..., format=...)",
    )


def _amounts(frame: pd.DataFrame, name: str) -> npt.NDArray[np.float64]:
    column = _column(frame, name, "monetary_value")
    try:
        values = column.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError(
            "monetary_value_col", name, f"holds {column.dtype}, not numbers"
        ) from None
    if not np.isfinite(values).all():
        raise ValidationError("monetary_value_col", name, "holds infinite amounts")
    return np.asarray(values, dtype=np.float64)


def _days(
    stamps: pd.Series, end: _End, field: str
) -> tuple[npt.NDArray[np.int64], pd.Series | None]:
    """Local calendar days since 1970-01-01, and the aware instants (for aware ends)."""
    aware = isinstance(stamps.dtype, pd.DatetimeTZDtype)
    instants: pd.Series | None = None
    if end.zone is not None:
        if not aware:
            raise ValidationError(
                field,
                end.instant,
                "the transactions' datetimes are naive, so an aware end is ambiguous; "
                "pass a date, or localize the column with .dt.tz_localize(zone)",
            )
        instants = stamps.dt.tz_convert(end.zone)
        local = instants.dt.tz_localize(None)
    else:
        local = stamps.dt.tz_localize(None) if aware else stamps
    days = local.to_numpy().astype("datetime64[D]").astype(np.int64)
    return days, instants


def _daily(
    transactions: pd.DataFrame,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    after: _End | None,
    until: _End,
    field: str,
) -> pd.DataFrame:
    """One row per (customer, day) with a transaction in (after, until], amounts summed."""
    customers = _column(transactions, customer_id_col, "customer_id")
    stamps = _timestamps(transactions, datetime_col)
    days, instants = _days(stamps, until, field)
    keep = days <= until.day if instants is None else (instants <= until.instant).to_numpy()
    if after is not None:
        later = days > after.day if instants is None else (instants > after.instant).to_numpy()
        keep = keep & later
    data: dict[str, object] = {
        "customer": customers.to_numpy()[keep],
        "day": days[keep],
    }
    if monetary_value_col is not None:
        data["amount"] = _amounts(transactions, monetary_value_col)[keep]
    else:
        data["amount"] = np.zeros(int(keep.sum()))
    work = pd.DataFrame(data)
    # Sorting first makes the per-day sums independent of the input row order.
    try:
        work = work.sort_values(["customer", "day", "amount"], kind="mergesort")
    except TypeError:
        raise ValidationError(
            "customer_id_col",
            customer_id_col,
            "holds ids that cannot be ordered against each other; convert them to one type",
        ) from None
    daily = work.groupby(["customer", "day"], sort=True, observed=True)["amount"].sum()
    return daily.reset_index()


def _summarise(
    daily: pd.DataFrame, end_day: int, unit: TimeUnit, index_name: str, *, monetary: bool
) -> pd.DataFrame:
    by_customer = daily.groupby("customer", sort=True, observed=True)
    first = by_customer["day"].min()
    last = by_customer["day"].max()
    count = by_customer["day"].size()
    summary = pd.DataFrame(
        {
            "frequency": (count.to_numpy() - 1).astype(np.int64),
            "recency": (last.to_numpy() - first.to_numpy()) / unit.days,
            "T": (end_day - first.to_numpy()) / unit.days,
        },
        index=pd.Index(first.index, name=index_name),
    )
    summary["recency"] = summary["recency"].astype(np.float64)
    summary["T"] = summary["T"].astype(np.float64)
    if monetary:
        repeat = daily[by_customer.cumcount().to_numpy() > 0]
        mean = repeat.groupby("customer", sort=True, observed=True)["amount"].mean()
        summary["monetary_value"] = mean.reindex(first.index, fill_value=0.0).to_numpy(
            dtype=np.float64
        )
    return summary


def customer_summary(
    transactions: pd.DataFrame,
    *,
    time_unit: TimeUnitLike,
    observation_end: date | datetime,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str | None = "amount",
) -> pd.DataFrame:
    """Summarise transactions per customer: the input every BTYD model fits.

    Args:
        transactions: One row per purchase, with a customer id, a date or
            datetime, and (unless ``monetary_value_col`` is None) an amount.
        time_unit: Unit of ``recency`` and ``T``: ``"day"``, ``"week"`` or
            ``"month"`` (no default, on purpose).
        observation_end: Last moment observed. A ``date`` includes that whole
            day (in the data's own zone); an aware ``datetime`` includes
            transactions up to that instant and counts days in its zone (the
            data must then be aware too). Later transactions are ignored.
        customer_id_col: Column of customer ids.
        datetime_col: Column of dates, naive or aware datetimes.
        monetary_value_col: Column of amounts, or None to skip spend.

    Returns:
        A DataFrame indexed by customer id (sorted) with ``frequency`` (int:
        days with a purchase after the first), ``recency`` (first to last
        purchase), ``T`` (first purchase to ``observation_end``) and
        ``monetary_value`` (mean amount per repeat purchase day, excluding
        the first purchase; **0.0** for customers without repeat purchases,
        as in ``lifetimes``, so the frame feeds the spend model and CLV
        without NaN: select the spend model's customers with
        ``gamma_gamma_input``). ``summary.attrs["relationship_core.summary"]``
        records the unit, the end and the currency, so CLV needs no unit
        argument (pandas drops it on ``merge``: see the analytics guide).

    Examples:
        >>> import pandas as pd
        >>> from datetime import date
        >>> tx = pd.DataFrame({
        ...     "customer_id": ["a", "a", "a", "b"],
        ...     "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
        ...     "amount": [10.0, 5.0, 20.0, 7.0],
        ... })
        >>> customer_summary(tx, time_unit="week", observation_end=date(2024, 1, 29))
                     frequency  recency    T  monetary_value
        customer_id
        a                    1      2.0  4.0            20.0
        b                    0      0.0  3.0             0.0
    """
    unit = TimeUnit.parse(time_unit)
    end = _resolve_end("observation_end", observation_end)
    daily = _daily(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=monetary_value_col,
        after=None,
        until=end,
        field="observation_end",
    )
    summary = _summarise(
        daily, end.day, unit, customer_id_col, monetary=monetary_value_col is not None
    )
    return record_summary_info(
        summary,
        unit=unit.value,
        calibration_end=observation_end,
        observation_end=observation_end,
        currency=transactions.attrs.get("currency"),
    )


def calibration_holdout_summary(
    transactions: pd.DataFrame,
    *,
    time_unit: TimeUnitLike,
    calibration_end: date | datetime,
    observation_end: date | datetime,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str | None = "amount",
) -> pd.DataFrame:
    """Split transactions at ``calibration_end``: fit on the first part, check on the rest.

    Only customers whose first purchase falls in the calibration period are
    kept; all their holdout purchases are repeat purchases.

    Args:
        transactions: As for `customer_summary`.
        time_unit: Unit of ``recency``, ``T`` and ``duration_holdout``.
        calibration_end: Last moment of the calibration period (same kind,
            date or aware datetime, as ``observation_end``).
        observation_end: Last moment of the holdout period.
        customer_id_col: Column of customer ids.
        datetime_col: Column of dates or datetimes.
        monetary_value_col: Column of amounts, or None to skip spend.

    Returns:
        The calibration `customer_summary` columns plus
        ``frequency_holdout`` (purchase days in the holdout),
        ``monetary_value_holdout`` (mean amount per holdout purchase day,
        0.0 without one) and ``duration_holdout`` (holdout length in
        ``time_unit``). The ``attrs`` record the unit and both ends, as for
        `customer_summary`.
    """
    unit = TimeUnit.parse(time_unit)
    calibration = _resolve_end("calibration_end", calibration_end)
    end = _resolve_end("observation_end", observation_end)
    if (calibration.zone is None) != (end.zone is None):
        raise ValidationError(
            "calibration_end",
            calibration_end,
            "give calibration_end and observation_end as the same kind: both dates "
            "or both aware datetimes",
        )
    earlier = (
        calibration.day < end.day
        if calibration.instant is None or end.instant is None
        else calibration.instant < end.instant
    )
    if not earlier:
        raise ValidationError(
            "calibration_end", calibration_end, f"must be before observation_end {observation_end}"
        )
    monetary = monetary_value_col is not None
    cal_daily = _daily(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=monetary_value_col,
        after=None,
        until=calibration,
        field="calibration_end",
    )
    summary = _summarise(cal_daily, calibration.day, unit, customer_id_col, monetary=monetary)
    hold_daily = _daily(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=monetary_value_col,
        after=calibration,
        until=end,
        field="observation_end",
    )
    by_customer = hold_daily.groupby("customer", sort=True, observed=True)["amount"]
    counts = by_customer.size().reindex(summary.index, fill_value=0)
    summary["frequency_holdout"] = counts.to_numpy(dtype=np.int64)
    if monetary:
        means = by_customer.mean().reindex(summary.index, fill_value=0.0)
        summary["monetary_value_holdout"] = means.to_numpy(dtype=np.float64)
    summary["duration_holdout"] = np.full(
        len(summary), (end.day - calibration.day) / unit.days, dtype=np.float64
    )
    return record_summary_info(
        summary,
        unit=unit.value,
        calibration_end=calibration_end,
        observation_end=observation_end,
        currency=transactions.attrs.get("currency"),
    )
