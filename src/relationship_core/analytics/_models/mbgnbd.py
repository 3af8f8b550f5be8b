"""Modified BG/NBD (Batislam, Denizel and Filiztekin 2007).

As BG/NBD, but a customer may also drop out right after their *first* purchase,
so customers with no repeat purchase are not assumed alive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from relationship_core.analytics._models._base import (
    FittedModel,
    FloatArray,
    as_float_array,
    expected_given_alive,
    read_rfm,
    read_summary,
)
from relationship_core.analytics._models.bgnbd import fit_arrays

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(FittedModel):
    """The modified BG/NBD model (same inputs and outputs as `BetaGeoModel`).

    Attributes:
        params_: ``r``, ``alpha``, ``a``, ``b`` (Series).
        standard_errors_: Standard errors, same index.
        log_likelihood_: Log-likelihood at the estimate.
        diagnostics_: `FitDiagnostics` of the fit.

    Example:
        >>> model = ModifiedBetaGeoModel.from_params(r=0.25, alpha=4.4, a=0.8, b=2.4)
        >>> model.probability_alive([0, 2], [0, 10.0], [39, 39]).round(3).tolist()
        [0.629, 0.315]
    """

    _param_names = ("r", "alpha", "a", "b")

    @classmethod
    def from_params(cls, *, r: float, alpha: float, a: float, b: float) -> ModifiedBetaGeoModel:
        """A model with the given parameters, without fitting (no standard errors)."""
        model: ModifiedBetaGeoModel = cls._from_values(r=r, alpha=alpha, a=a, b=b)
        return model

    def fit(self, summary: pd.DataFrame, weights: ArrayLike | None = None) -> ModifiedBetaGeoModel:
        """Estimate the parameters by maximum likelihood (see `BetaGeoModel.fit`)."""
        x, t, big_t, w = read_summary(summary, weights)
        self._store(fit_arrays(x, t, big_t, w, modified=True))
        self._record_unit(summary)
        return self

    def probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Probability that each customer is still alive at their age T."""
        r, alpha, a, b = self._values()
        x, t, big_t = read_rfm(frequency, recency, T)
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t))
        return np.asarray(special.expit(-log_odds), dtype=np.float64)

    def expected_purchases_new(self, t: ArrayLike) -> FloatArray:
        """Expected purchases in ``(0, t]`` of a customer who has just made their first."""
        r, alpha, a, b = self._values()
        tt = as_float_array(t, "t")
        share_alive = float(b / (a + b))  # did not drop out at the first purchase
        return expected_given_alive(r, alpha, a, b + 1, tt) * share_alive

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected purchases in ``(T, T + t]`` given each customer's history."""
        x, rec, big_t = read_rfm(frequency, recency, T)
        tt = as_float_array(t, "t")
        alive = self.probability_alive(x, rec, big_t)
        return self._expected_if_alive(tt, x, big_t) * alive

    def _expected_if_alive(self, t: FloatArray, x: FloatArray, big_t: FloatArray) -> FloatArray:
        """Expected purchases in ``(T, T + t]`` of a customer known to be alive at T."""
        r, alpha, a, b = self._values()
        return expected_given_alive(r + x, alpha + big_t, a, b + x + 1, t)

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> FloatArray:
        """P(X(t) = n) for a new customer (who may drop out at once)."""
        r, alpha, a, b = self._values()
        nn, tt = np.broadcast_arrays(as_float_array(n, "n"), as_float_array(t, "t"))
        log_beta_ab = special.betaln(a, b)
        log_nb = (
            special.gammaln(r + nn)
            - special.gammaln(r)
            - special.gammaln(nn + 1)
            + r * np.log(alpha / (alpha + tt))
            + special.xlogy(nn, tt / (alpha + tt))
        )
        first = np.exp(special.betaln(a, b + nn + 1) - log_beta_ab + log_nb)
        safe_n = np.where(nn > 0, nn, 1.0)
        tail = np.where(nn > 0, special.betainc(safe_n, r, tt / (alpha + tt)), 1.0)
        second = np.exp(special.betaln(a + 1, b + nn) - log_beta_ab) * tail
        return np.asarray(first + second, dtype=np.float64)
