"""Shared maximum-likelihood machinery for the lifetime-value models.

Every model maximises a weighted log-likelihood over the *unique* rows of its
data (repeated rows are collapsed into weights first), on log-transformed
parameters so that positivity needs no bounds. The optimiser works on the mean
log-likelihood per customer, which makes its tolerances independent of the
number of customers. The search itself lives in `_fit`; the Hessian it ends
with gives the standard errors (inverse observed information, delta method
back to the natural parameters).

A fit never raises because a tolerance was tight: it reports what happened in
`FitDiagnostics` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from relationship_core.analytics._models._fit import (
    FitDiagnostics,
    FloatArray,
    MLEResult,
    fit_log_params,
)
from relationship_core.analytics._summary_info import summary_info
from relationship_core.exceptions import ValidationError

__all__ = [
    "wdot",
    "FitDiagnostics",
    "FloatArray",
    "collapse_rows",
    "fit_log_params",
    "as_float_array",
    "first_non_numeric",
    "params_summary",
    "MLEResult",
]


def wdot(weights: NDArray[Any], values: NDArray[Any]) -> float:
    """Weighted sum ``sum(weights * values)`` without BLAS.

    ``np.dot`` hands long vectors to a multi-threaded BLAS whose spinning threads
    slow everything else down on a busy machine (several times, measured);
    ``einsum`` sums in one thread at similar speed.
    """
    return float(np.einsum("i,i->", weights, values))


def as_float_array(values: ArrayLike, field: str) -> FloatArray:
    """Return *values* as a 1-d float64 array, refusing text, NaN and infinities."""
    if isinstance(values, str | bytes):
        raise ValidationError(
            field,
            values,
            f"pass the {field} values (e.g. summary[{values!r}]), not a column name or text",
        )
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValidationError(
            field,
            first_non_numeric(values),
            f"{field} must be numbers; convert or drop this value",
        ) from None
    if array.ndim != 1:
        raise ValidationError(field, array.shape, "pass a one-dimensional array or Series")
    if not np.all(np.isfinite(array)):
        bad = array[~np.isfinite(array)][0]
        raise ValidationError(field, float(bad), "values must be finite numbers; drop or fill NaN")
    return array


def first_non_numeric(values: ArrayLike) -> object:
    """The first element of *values* that is not a real number (for the error message)."""
    items = values.to_numpy().tolist() if isinstance(values, pd.DataFrame) else values
    items = items.tolist() if hasattr(items, "tolist") else items
    for item in np.ravel(np.asarray(items, dtype=object)):
        try:
            float(item)
        except (TypeError, ValueError):
            return item
    return items


def collapse_rows(
    columns: Sequence[FloatArray], weights: FloatArray
) -> tuple[list[FloatArray], FloatArray]:
    """Collapse identical rows of *columns* into unique rows with summed *weights*.

    Uses hashing (``pandas.factorize``), so the cost is linear in the number of
    rows; the order of the unique rows is the order of first appearance.

    Args:
        columns: Equal-length float arrays, one per column.
        weights: Weight of each row.

    Returns:
        The unique rows (one array per column) and their summed weights.
    """
    n = len(weights)
    if n == 0:
        return [c.copy() for c in columns], weights.copy()
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for column in columns:
        codes, uniques = pd.factorize(column)
        size = max(len(uniques), 1)
        if span > np.iinfo(np.int64).max // size:  # too many combinations: fall back to groupby
            frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
            frame["w"] = weights
            grouped = frame.groupby(list(frame.columns[:-1]), sort=False)["w"].sum()
            index = grouped.index.to_frame(index=False)
            return (
                [index[f"c{i}"].to_numpy(np.float64) for i in range(len(columns))],
                grouped.to_numpy(np.float64),
            )
        key = key * size + codes.astype(np.int64)
        span *= size
    inverse, unique_keys = pd.factorize(key)
    # factorize numbers keys in order of first appearance: a key's first row is
    # where the running maximum of the codes steps up.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(inverse), prepend=-1) > 0)
    summed = np.bincount(inverse, weights=weights, minlength=len(unique_keys))
    return [c[first] for c in columns], summed.astype(np.float64)


def params_summary(params: pd.Series, standard_errors: pd.Series) -> pd.DataFrame:
    """Estimate, standard error and a 95% interval per parameter.

    The interval is computed on the log scale (where the estimate is closer to
    normal) and transformed back, so it never crosses zero.
    """
    est = params.to_numpy(np.float64)
    se = standard_errors.to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_se = se / est
    frame = pd.DataFrame(
        {
            "estimate": est,
            "std error": se,
            "lower 95%": est * np.exp(-1.959963984540054 * log_se),
            "upper 95%": est * np.exp(1.959963984540054 * log_se),
        },
        index=params.index,
    )
    frame.index.name = "parameter"
    return frame


def _column(frame: pd.DataFrame, name: str) -> FloatArray:
    if name not in frame.columns:
        raise ValidationError(
            name, list(map(str, frame.columns)), f"the summary needs a {name!r} column"
        )
    return as_float_array(frame[name].to_numpy(), name)


def align_weights(summary: pd.DataFrame, weights: ArrayLike | None) -> ArrayLike | None:
    """A weights Series is matched to the summary by index, not by position."""
    if isinstance(weights, pd.Series) and not weights.index.equals(summary.index):
        if not weights.index.is_unique:
            raise ValidationError(
                "weights", "duplicate index", "give one weight per customer id (unique index)"
            )
        missing = summary.index.difference(weights.index)
        if len(missing):
            raise ValidationError(
                "weights", missing[0], "no weight for this customer; the index must cover them all"
            )
        return np.asarray(weights.reindex(summary.index), dtype=np.float64)
    return weights


def read_weights(weights: ArrayLike | None, n: int) -> FloatArray:
    """Validate optional per-row weights (default: one per row)."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = as_float_array(weights, "weights")
    if len(w) != n:
        raise ValidationError("weights", len(w), f"pass one weight per row ({n} rows)")
    if np.any(w < 0):
        raise ValidationError("weights", float(w[w < 0][0]), "weights must be >= 0")
    return w


class FittedModel:
    """Parameters, standard errors and diagnostics shared by every model.

    Attributes:
        params_: The estimates, a Series indexed by parameter name.
        standard_errors_: Their standard errors, same index.
        log_likelihood_: Total (weighted) log-likelihood at the estimate.
        diagnostics_: How the fit ended, see `FitDiagnostics`.
        time_unit_: The time unit of the summary it was fitted on, when that
            summary recorded one (``"week"``), else None; CLV refuses a summary
            in another unit.
    """

    _param_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._params: pd.Series | None = None
        self._standard_errors: pd.Series | None = None
        self._diagnostics: FitDiagnostics | None = None
        self.log_likelihood_: float = float("nan")
        self.time_unit_: str | None = None

    def _record_unit(self, summary: object) -> None:
        info = summary_info(summary) if isinstance(summary, pd.DataFrame) else None
        self.time_unit_ = None if info is None else str(info["unit"])

    def _unfitted(self) -> ValidationError:
        return ValidationError(
            "model", type(self).__name__, "fit the model first (call .fit(...)) or use from_params"
        )

    @property
    def params_(self) -> pd.Series:
        """The estimates, indexed by parameter name."""
        if self._params is None:
            raise self._unfitted()
        return self._params

    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors of the estimates (NaN for a model built with ``from_params``)."""
        if self._standard_errors is None:
            raise self._unfitted()
        return self._standard_errors

    @property
    def diagnostics_(self) -> FitDiagnostics:
        """How the fit ended (refused for a model built with ``from_params``)."""
        if self._diagnostics is None:
            raise self._unfitted()
        return self._diagnostics

    @property
    def is_fitted(self) -> bool:
        """True once parameters are set (by fitting or ``from_params``)."""
        return self._params is not None

    @classmethod
    def _from_values(cls, **params: float) -> Any:
        model = cls()
        missing = [p for p in cls._param_names if p not in params]
        if missing or set(params) - set(cls._param_names):
            raise ValidationError(
                "params", sorted(params), f"give exactly {', '.join(cls._param_names)}"
            )
        values = np.array([float(params[p]) for p in cls._param_names])
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValidationError("params", params, "every parameter must be finite and > 0")
        model._params = pd.Series(values, index=list(cls._param_names), dtype=np.float64)
        model._standard_errors = pd.Series(np.nan, index=list(cls._param_names), dtype=np.float64)
        return model

    def _store(self, result: MLEResult) -> None:
        values = np.exp(result.log_params)
        names = list(self._param_names)
        self._params = pd.Series(values, index=names, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            se = values * np.sqrt(np.diag(result.covariance_log))
        self._standard_errors = pd.Series(se, index=names, dtype=np.float64)
        self.log_likelihood_ = float(result.log_likelihood)
        self._diagnostics = result.diagnostics

    def _values(self) -> FloatArray:
        return np.asarray(self.params_.to_numpy(np.float64), dtype=np.float64)

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals (log-scale, back-transformed)."""
        return params_summary(self.params_, self.standard_errors_)

    def __repr__(self) -> str:
        if self._params is None:
            return f"<{type(self).__name__}: not fitted>"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: {shown}>"


def read_rfm(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803 - the literature's name
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate frequency/recency/T arrays (broadcast to one length)."""
    x = as_float_array(frequency, "frequency")
    t = as_float_array(recency, "recency")
    big_t = as_float_array(T, "T")
    try:
        x, t, big_t = np.broadcast_arrays(x, t, big_t)
    except ValueError as exc:
        raise ValidationError(
            "frequency", len(x), "frequency, recency and T must have the same length"
        ) from exc
    if np.any(x < 0):
        raise ValidationError("frequency", float(x[x < 0][0]), "frequency must be >= 0")
    if np.any(t < 0):
        raise ValidationError("recency", float(t[t < 0][0]), "recency must be >= 0")
    if np.any(big_t <= 0):
        raise ValidationError("T", float(big_t[big_t <= 0][0]), "T (age) must be > 0")
    over = t > big_t * (1 + 1e-12)
    if np.any(over):
        raise ValidationError(
            "recency", float(t[over][0]), "recency cannot exceed T (time of last purchase <= age)"
        )
    return (
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(np.minimum(t, big_t), dtype=np.float64),
        np.ascontiguousarray(big_t, dtype=np.float64),
    )


def read_summary(
    summary: pd.DataFrame, weights: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Read, validate and collapse a frequency/recency/T summary into unique weighted rows."""
    if not isinstance(summary, pd.DataFrame):
        raise ValidationError(
            "summary", type(summary).__name__, "pass a DataFrame with frequency, recency, T"
        )
    x, t, big_t = read_rfm(
        _column(summary, "frequency"), _column(summary, "recency"), _column(summary, "T")
    )
    w = read_weights(align_weights(summary, weights), len(x))
    if len(x) == 0 or w.sum() <= 0:
        raise ValidationError("summary", len(x), "need at least one customer with weight > 0")
    (x, t, big_t), w = collapse_rows([x, t, big_t], w)
    keep = w > 0
    return x[keep], t[keep], big_t[keep], w[keep]


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def expected_given_alive(
    r: FloatArray | float,
    alpha: FloatArray | float,
    a: float,
    b: FloatArray | float,
    t: FloatArray | float,
) -> FloatArray:
    """``E[(1 - (alpha / (alpha + p t))^r) / p]`` for ``p ~ Beta(a, b)``.

    The expected purchases in a window of length *t* of a customer known to be
    alive, whose purchase rate is ``Gamma(r, alpha)`` and who drops out with
    probability ``p`` after each purchase (BG/NBD and MBG/NBD, with posterior
    parameters). The closed form uses a Gauss hypergeometric function (after
    Euler's transformation); scipy's ``hyp2f1`` is wrong in some corners
    (integer ``c - a - b`` near ``z = 1``), so any result outside the provable
    bounds ``[0, r t / alpha]``, and ``a`` near 1, fall back to quadrature over
    the quantiles of ``p``.
    """
    r_, alpha_, b_, t_ = np.broadcast_arrays(
        np.asarray(r, dtype=np.float64),
        np.asarray(alpha, dtype=np.float64),
        np.asarray(b, dtype=np.float64),
        np.asarray(t, dtype=np.float64),
    )
    r_, alpha_, b_, t_ = (np.atleast_1d(v).ravel() for v in (r_, alpha_, b_, t_))
    upper = r_ * t_ / alpha_
    with np.errstate(all="ignore"):
        z = t_ / (alpha_ + t_)
        log_1mz = np.log(alpha_) - np.log(alpha_ + t_)
        hyp = special.hyp2f1(a + b_ - 1 - r_, a - 1, a + b_ - 1, z)
        value = (a + b_ - 1) / (a - 1) * (1 - np.exp((a - 1) * log_1mz) * hyp)
    bad = ~np.isfinite(value) | (value < -1e-12 * upper) | (value > upper * (1 + 1e-9))
    if abs(a - 1) < 1e-6:
        bad[:] = True
    if np.any(bad):
        value[bad] = _expected_given_alive_quadrature(r_[bad], alpha_[bad], a, b_[bad], t_[bad])
    return np.asarray(np.clip(value, 0.0, upper), dtype=np.float64)


def _expected_given_alive_quadrature(
    r: FloatArray, alpha: FloatArray, a: float, b: FloatArray, t: FloatArray
) -> FloatArray:
    u = (_GL_NODES[:, None] + 1) / 2
    p = special.betaincinv(a, b[None, :], u)
    scaled = t / alpha
    g = np.where(
        p > 0,
        -np.expm1(-r * np.log1p(p * scaled)) / np.where(p > 0, p, 1.0),
        r * scaled,
    )
    total: FloatArray = np.sum(g * _GL_WEIGHTS[:, None] / 2, axis=0)
    return total
