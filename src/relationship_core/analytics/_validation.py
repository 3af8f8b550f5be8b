"""Holdout validation with numbers: totals, errors, correlation, conditional expectations."""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from relationship_core.analytics._protocol import TransactionModel
from relationship_core.exceptions import ValidationError

__all__ = ["HoldoutReport", "frequency_labels", "holdout_report"]

_REQUIRED = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")


def frequency_labels(frequency: npt.ArrayLike, max_frequency: int) -> pd.Categorical:
    """Bucket calibration frequencies as ``"0"``, ``"1"``, ... and ``"<max>+"`` (ordered)."""
    values = np.asarray(frequency, dtype=np.int64)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    codes = np.minimum(values, max_frequency)
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def _correlation(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    """Pearson correlation; NaN (without a warning) when either side is constant."""
    if len(x) < 2:
        return math.nan
    dx = x - x.mean()
    dy = y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denominator if denominator > 0 else math.nan


@attrs.frozen(eq=False, repr=False)
class HoldoutReport:
    """How well a model's calibration-period fit predicted the holdout period.

    Attributes:
        customers: Per customer (index as the summary's): ``frequency`` in
            calibration, ``actual`` and ``predicted`` holdout purchases.
        conditional_expectations: Per calibration frequency bucket
            (``"0"``, ``"1"``, ..., ``"7+"``): ``customers``, mean ``actual``
            and mean ``predicted`` holdout purchases.
        total_actual: Holdout purchases observed.
        total_predicted: Holdout purchases the model expected.
        total_error: ``total_predicted - total_actual``.
        mae: Mean absolute error per customer.
        rmse: Root mean squared error per customer.
        correlation: Pearson correlation of predicted and actual per customer.
    """

    customers: pd.DataFrame
    conditional_expectations: pd.DataFrame
    total_actual: float
    total_predicted: float
    total_error: float
    mae: float
    rmse: float
    correlation: float

    @property
    def relative_error(self) -> float:
        """``total_error / total_actual`` (NaN when nothing was bought)."""
        return self.total_error / self.total_actual if self.total_actual else math.nan

    def metrics(self) -> pd.Series:
        """The scalar figures as a Series, ready for a comparison table of models."""
        return pd.Series(
            {
                "customers": float(len(self.customers)),
                "total_actual": self.total_actual,
                "total_predicted": self.total_predicted,
                "total_error": self.total_error,
                "relative_error": self.relative_error,
                "mae": self.mae,
                "rmse": self.rmse,
                "correlation": self.correlation,
            },
            name="holdout",
        )

    def to_frame(self) -> pd.DataFrame:
        """The conditional-expectation table (a copy), as plotted by ``plot_calibration_vs_holdout``."""
        return self.conditional_expectations.copy()

    def __repr__(self) -> str:
        table = self.conditional_expectations.to_string(
            float_format=lambda v: f"{v:.3f}", na_rep="-"
        )
        return "\n".join(
            [
                f"HoldoutReport ({len(self.customers):,} customers)",
                f"  total actual     {self.total_actual:,.0f}",
                (
                    f"  total predicted  {self.total_predicted:,.1f}  "
                    f"(error {self.total_error:+,.1f}, {self.relative_error:+.1%})"
                ),
                (
                    f"  MAE {self.mae:.4f}   RMSE {self.rmse:.4f}   "
                    f"correlation {self.correlation:.4f}"
                ),
                "  holdout purchases by calibration frequency:",
                *("    " + line for line in table.splitlines()),
            ]
        )


def holdout_report(
    model: TransactionModel, split: pd.DataFrame, *, max_frequency: int = 7
) -> HoldoutReport:
    """Compare a model's holdout predictions with what customers actually did.

    Args:
        model: A model fitted on the calibration columns of ``split``.
        split: A `calibration_holdout_summary`.
        max_frequency: Calibration frequencies at or above this are grouped
            as ``"<max_frequency>+"`` in the conditional-expectation table.

    Returns:
        A `HoldoutReport`; ``print`` it, or take ``.metrics()`` and
        ``.to_frame()`` for numbers.
    """
    if not isinstance(split, pd.DataFrame):
        raise ValidationError("split", type(split).__name__, "expected a pandas DataFrame")
    missing = [name for name in _REQUIRED if name not in split.columns]
    if missing:
        raise ValidationError(
            "split",
            missing,
            "missing columns; build it with calibration_holdout_summary(...)",
        )
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int) or max_frequency < 1:
        raise ValidationError("max_frequency", max_frequency, "expected an integer >= 1")
    frequency = split["frequency"].to_numpy(dtype=np.float64)
    duration = split["duration_holdout"].to_numpy(dtype=np.float64)
    t: float | npt.NDArray[np.float64] = (
        float(duration[0]) if len(duration) and (duration == duration[0]).all() else duration
    )
    raw = model.expected_purchases(
        t,
        frequency,
        split["recency"].to_numpy(dtype=np.float64),
        split["T"].to_numpy(dtype=np.float64),
    )
    predicted = np.broadcast_to(np.asarray(raw, dtype=np.float64), frequency.shape).copy()
    bad = ~np.isfinite(predicted)
    if bad.any():
        raise ValidationError(
            "model",
            type(model).__name__,
            f"predicted non-finite holdout purchases for {int(bad.sum())} customers, "
            f"e.g. {split.index[int(np.argmax(bad))]!r}",
        )
    actual = split["frequency_holdout"].to_numpy(dtype=np.float64)
    customers = pd.DataFrame(
        {"frequency": split["frequency"].to_numpy(), "actual": actual, "predicted": predicted},
        index=split.index,
    )
    buckets = frequency_labels(split["frequency"].to_numpy(), max_frequency)
    table = (
        customers.assign(bucket=buckets)
        .groupby("bucket", observed=False, sort=True)
        .agg(
            customers=("actual", "size"),
            actual=("actual", "mean"),
            predicted=("predicted", "mean"),
        )
    )
    table.index = pd.Index(table.index.astype(str), name="calibration_frequency")
    errors = predicted - actual
    n = len(actual)
    return HoldoutReport(
        customers=customers,
        conditional_expectations=table,
        total_actual=float(actual.sum()),
        total_predicted=float(predicted.sum()),
        total_error=float(errors.sum()),
        mae=float(np.abs(errors).mean()) if n else math.nan,
        rmse=math.sqrt(float((errors**2).mean())) if n else math.nan,
        correlation=_correlation(predicted, actual),
    )
