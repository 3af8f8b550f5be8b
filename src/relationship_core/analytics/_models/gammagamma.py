"""Gamma-Gamma model of spend per transaction (Fader, Hardie and Lee 2005; Colombo and Jiang 1999).

A customer's transaction values are ``Gamma(p, nu)`` around their own mean ``p / nu``,
and ``nu ~ Gamma(q, v)`` across customers. Fit it on repeat buyers only, with their
average repeat-transaction value; it assumes spend is independent of frequency.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from relationship_core.analytics._models._base import (
    FittedModel,
    FloatArray,
    align_weights,
    as_float_array,
    collapse_rows,
    fit_log_params,
    read_weights,
    wdot,
)
from relationship_core.exceptions import ValidationError

__all__ = ["GammaGammaInput", "GammaGammaModel", "gamma_gamma_input"]


def _read_spend(
    frequency: ArrayLike, monetary_value: ArrayLike, *, fitting: bool
) -> tuple[FloatArray, FloatArray]:
    x = as_float_array(frequency, "frequency")
    m = as_float_array(monetary_value, "monetary_value")
    if len(x) != len(m):
        raise ValidationError(
            "monetary_value", len(m), f"pass one value per frequency ({len(x)} rows)"
        )
    if np.any(x < 0):
        raise ValidationError("frequency", float(x[x < 0][0]), "frequency must be >= 0")
    if fitting:
        if np.any(x <= 0):
            raise ValidationError(
                "frequency",
                0,
                "fit the Gamma-Gamma model on repeat buyers only (frequency > 0); "
                "select them with gamma_gamma_input(summary)",
            )
        if np.any(m <= 0):
            raise ValidationError(
                "monetary_value",
                float(m[m <= 0][0]),
                "average repeat spend must be > 0 to fit (a repeat buyer whose repeat "
                "orders total 0, e.g. a $0.00 order); select the customers with "
                "gamma_gamma_input(summary), which leaves them out and counts them",
            )
    elif np.any(m < 0):
        raise ValidationError("monetary_value", float(m[m < 0][0]), "spend must be >= 0")
    return x, m


class GammaGammaInput(NamedTuple):
    """The customers the Gamma-Gamma model can be fitted on, and who was left out.

    Attributes:
        frame: The rows of the summary with ``frequency > 0`` and
            ``monetary_value > 0`` (its ``attrs`` kept).
        left_out: Number of customers left out, by reason:
            ``"no_repeat_purchase"`` (frequency 0) and ``"no_positive_spend"``
            (repeat purchases averaging 0 or less, e.g. a $0.00 repeat order).
    """

    frame: pd.DataFrame
    left_out: dict[str, int]


def gamma_gamma_input(summary: pd.DataFrame) -> GammaGammaInput:
    """Select the customers to fit `GammaGammaModel` on: repeat buyers who spent.

    The model's likelihood needs each customer's average repeat spend to be
    positive (it is the log of a Gamma density), so ``summary[summary.frequency
    > 0]`` is not enough on real data: a repeat buyer whose repeat orders total
    $0.00 (a free replacement, a fully discounted order) has ``frequency > 0``
    and ``monetary_value == 0``. Such customers tell the model nothing about
    spend per transaction; leaving them out of the *fit* is the usual practice,
    and their CLV is still computed (their expected spend is shrunk toward 0 by
    their own history).

    Args:
        summary: A customer summary with ``frequency`` and ``monetary_value``.

    Returns:
        ``(frame, left_out)``: the rows to fit on, and how many customers were
        left out for each reason.

    Example:
        >>> import pandas as pd
        >>> summary = pd.DataFrame(
        ...     {"frequency": [0, 2, 1, 3], "monetary_value": [0.0, 25.0, 0.0, 12.5]},
        ...     index=["a", "b", "c", "d"],
        ... )
        >>> buyers, left_out = gamma_gamma_input(summary)
        >>> list(buyers.index), left_out
        (['b', 'd'], {'no_repeat_purchase': 1, 'no_positive_spend': 1})
    """
    if not isinstance(summary, pd.DataFrame):
        raise ValidationError("summary", type(summary).__name__, "expected a pandas DataFrame")
    for column in ("frequency", "monetary_value"):
        if column not in summary.columns:
            raise ValidationError(column, list(summary.columns), f"need a {column!r} column")
    x = as_float_array(summary["frequency"], "frequency")
    m = as_float_array(summary["monetary_value"], "monetary_value")
    repeat = x > 0
    spent = m > 0
    left_out = {
        "no_repeat_purchase": int((~repeat).sum()),
        "no_positive_spend": int((repeat & ~spent).sum()),
    }
    return GammaGammaInput(summary[repeat & spent], left_out)


class GammaGammaModel(FittedModel):
    """Gamma-Gamma spend model.

    Attributes:
        params_: ``p``, ``q``, ``v`` (Series); ``v`` is the paper's gamma.
        standard_errors_: Standard errors, same index.
        log_likelihood_: Log-likelihood at the estimate.
        diagnostics_: `FitDiagnostics` of the fit.

    Example:
        >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> round(model.mean_spend(), 2)
        35.22
        >>> model.conditional_expected_average_spend([1, 10], [20.0, 20.0]).round(2).tolist()
        [24.64, 20.64]
    """

    _param_names = ("p", "q", "v")

    @classmethod
    def from_params(cls, *, p: float, q: float, v: float) -> GammaGammaModel:
        """A model with the given parameters, without fitting (no standard errors)."""
        model: GammaGammaModel = cls._from_values(p=p, q=q, v=v)
        return model

    def fit(self, summary: pd.DataFrame, weights: ArrayLike | None = None) -> GammaGammaModel:
        """Estimate p, q, v from repeat buyers' ``frequency`` and ``monetary_value``.

        Args:
            summary: Rows with ``frequency`` > 0 and ``monetary_value`` > 0
                (average value of the repeat transactions): select them with
                `gamma_gamma_input`.
            weights: Optional number of customers each row stands for.

        Returns:
            The model itself, fitted.
        """
        for column in ("frequency", "monetary_value"):
            if column not in summary.columns:
                raise ValidationError(column, list(summary.columns), f"need a {column!r} column")
        x, m = _read_spend(summary["frequency"], summary["monetary_value"], fitting=True)
        w = read_weights(align_weights(summary, weights), len(x))
        (x, m), w = collapse_rows([x, m], w)
        total = float(w.sum())
        xm = x * m
        # Terms linear in p or constant are summed once; the gamma functions of
        # p x depend on the frequency only, so they are evaluated per distinct x.
        ux, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv.reshape(-1), weights=w, minlength=len(ux))
        sum_x_log_xm = float(wdot(w, x * (np.log(m) + np.log(x))))
        sum_log_m = float(wdot(w, np.log(m)))

        def value_and_gradient(lp: FloatArray) -> tuple[float, FloatArray]:
            p, q, v = np.exp(lp)
            pux = p * ux
            log_xmv = np.log(xm + v)
            ll = (
                float(wdot(wx, special.gammaln(pux + q) - special.gammaln(pux)))
                - total * (special.gammaln(q) - q * np.log(v))
                + p * sum_x_log_xm
                - sum_log_m
                - float(wdot(w, (p * x + q) * log_xmv))
            )
            dig = special.digamma(pux + q)
            g_p = (
                float(wdot(wx * ux, dig - special.digamma(pux)))
                + sum_x_log_xm
                - float(wdot(w * x, log_xmv))
            )
            g_q = (
                float(wdot(wx, dig))
                - total * (special.digamma(q) - np.log(v))
                - float(wdot(w, log_xmv))
            )
            g_v = total * q / v - float(wdot(w, (p * x + q) / (xm + v)))
            grad = np.array([g_p * p, g_q * q, g_v * v], dtype=np.float64)
            return -ll / total, -grad / total

        def objective(lp: FloatArray) -> float:
            return value_and_gradient(lp)[0]

        mean = float(wdot(w, m)) / total
        x0 = np.log(np.array([1.0, 2.0, mean]))
        self._store(
            fit_log_params(objective, x0, total, len(x), value_and_gradient=value_and_gradient)
        )
        return self

    def mean_spend(self) -> float:
        """Population mean spend per transaction, ``p v / (q - 1)`` (infinite when q <= 1)."""
        p, q, v = self._values()
        return float(p * v / (q - 1)) if q > 1 else float("inf")

    def conditional_expected_average_spend(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """Expected average spend per transaction given each customer's history.

        A weighted mean of the population mean and the customer's own average,
        the weight on the latter growing with their number of transactions.
        Customers with no repeat purchase get the population mean.
        """
        p, q, v = self._values()
        x, m = _read_spend(frequency, monetary_value, fitting=False)
        px = p * x
        return np.asarray((p * (v + x * m)) / (px + q - 1), dtype=np.float64)
