"""BG/NBD: beta-geometric / negative binomial distribution (Fader, Hardie and Lee 2005).

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
after each repeat purchase they drop out with probability ``p ~ Beta(a, b)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from relationship_core.analytics._models._base import (
    FittedModel,
    FloatArray,
    MLEResult,
    as_float_array,
    expected_given_alive,
    fit_log_params,
    read_rfm,
    read_summary,
    wdot,
)

__all__ = ["BetaGeoModel", "fit_arrays"]


def _by_frequency(x: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Unique frequencies and the index of each row into them (terms in x only)."""
    ux, inverse = np.unique(x, return_inverse=True)
    return ux, np.asarray(inverse.reshape(-1), dtype=np.intp)


_WARM_START_ROWS = 100_000


def fit_arrays(
    x: FloatArray, t: FloatArray, big_t: FloatArray, w: FloatArray, *, modified: bool = False
) -> MLEResult:
    """Maximum likelihood on collapsed rows (see `BetaGeoModel.fit`).

    With *modified*, the MBG/NBD likelihood (Batislam et al. 2007): a customer may
    also drop out at their first purchase, which shifts ``b + x - 1`` to ``b + x``
    and gives customers without repeat purchases the "dropped out" term too.
    """
    total = float(w.sum())
    shift = 1.0 if modified else 0.0
    ux, inv = _by_frequency(x)
    wx = np.bincount(inv, weights=w, minlength=len(ux))
    # BG/NBD customers without repeat purchases only contribute -r log(alpha + T):
    # keep them apart (the modified model has no such shortcut).
    zero = np.zeros(len(x), dtype=bool) if modified else x == 0
    t0, w0 = big_t[zero], w[zero]
    xp, tp, big_tp, wp = x[~zero], t[~zero], big_t[~zero], w[~zero]
    xp1 = xp - 1 + shift

    def value_and_gradient(lp: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(lp)
        # Terms that depend on the frequency only: evaluated once per distinct frequency.
        # log B(a, b + x + shift) - log B(a, b) (+ the gamma terms of r)
        per_x = (
            special.gammaln(r + ux)
            - special.gammaln(r)
            + special.gammaln(a + b)
            + special.gammaln(b + ux + shift)
            - special.gammaln(b)
            - special.gammaln(a + b + ux + shift)
        )
        ll = float(wdot(wx, per_x)) + total * r * np.log(alpha)
        dig_ab = special.digamma(a + b)
        dig_abx = special.digamma(a + b + ux + shift)
        g_r = float(wdot(wx, special.digamma(r + ux))) + total * (
            np.log(alpha) - special.digamma(r)
        )
        g_alpha = total * r / alpha
        g_a = float(wdot(wx, dig_ab - dig_abx))
        g_b = float(
            wdot(wx, dig_ab + special.digamma(b + ux + shift) - special.digamma(b) - dig_abx)
        )
        # BG/NBD x == 0: log-likelihood tail is -r log(alpha + T)
        log_at0 = np.log(alpha + t0)
        ll -= r * float(wdot(w0, log_at0))
        g_r -= float(wdot(w0, log_at0))
        g_alpha -= r * float(wdot(w0, 1.0 / (alpha + t0)))
        # the rest: -(r+x) log(alpha+T) + log(1 + exp(d)), d = log(a/(b+x-1+shift)) + (r+x) log ratio
        log_at = np.log(alpha + big_tp)
        log_ax = np.log(alpha + tp)
        rx = r + xp
        bx1 = b + xp1
        d = np.log(a) - np.log(bx1) + rx * (log_at - log_ax)
        ll += float(wdot(wp, np.logaddexp(0.0, d) - rx * log_at))
        w2 = special.expit(d)  # share of the likelihood from "dropped out at t_x"
        w1 = 1.0 - w2
        ww2 = wp * w2
        g_r -= float(wdot(wp, w1 * log_at + w2 * log_ax))
        g_alpha -= float(wdot(wp * rx, w1 / (alpha + big_tp) + w2 / (alpha + tp)))
        g_a += float(ww2.sum()) / a
        g_b -= float(wdot(ww2, 1.0 / bx1))
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -ll / total, -grad / total

    def objective(lp: FloatArray) -> float:
        return value_and_gradient(lp)[0]

    rate = float(wdot(w, x) + 1.0) / float(wdot(w, big_t))
    x0 = np.log(np.array([1.0, 1.0 / rate, 1.0, 1.0]))
    hessian0 = None
    if len(x) > _WARM_START_ROWS:
        # Start from a fit on a random subsample: its estimate and (per-customer)
        # Hessian are close enough that a few Newton steps on the full data finish.
        rng = np.random.default_rng(0)
        keep = rng.choice(len(x), _WARM_START_ROWS // 5, replace=False)
        warm = fit_arrays(x[keep], t[keep], big_t[keep], w[keep], modified=modified)
        if warm.diagnostics.hessian_positive_definite:
            x0, hessian0 = warm.log_params, warm.hessian
    return fit_log_params(
        objective, x0, total, len(x), value_and_gradient=value_and_gradient, hessian0=hessian0
    )


class BetaGeoModel(FittedModel):
    """The BG/NBD model for non-contractual customers in continuous time.

    Fit it on a per-customer summary (``frequency`` = repeat purchases, ``recency``
    = time of the last purchase since the first, ``T`` = age since the first),
    all in the data's own time unit. Predictions take arrays or Series and
    return numpy arrays in the same order.

    Attributes:
        params_: ``r``, ``alpha``, ``a``, ``b`` (Series).
        standard_errors_: Standard errors, same index.
        log_likelihood_: Log-likelihood at the estimate.
        diagnostics_: `FitDiagnostics` of the fit.

    Example:
        >>> import pandas as pd
        >>> data = pd.DataFrame({"frequency": [0, 2, 5, 1], "recency": [0, 10.0, 30, 3],
        ...                      "T": [40.0, 38, 35, 20]})
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_alive(data.frequency, data.recency, data["T"]).round(3).tolist()
        [1.0, 0.277, 0.799, 0.41]
    """

    _param_names = ("r", "alpha", "a", "b")

    @classmethod
    def from_params(cls, *, r: float, alpha: float, a: float, b: float) -> BetaGeoModel:
        """A model with the given parameters, without fitting (no standard errors)."""
        model: BetaGeoModel = cls._from_values(r=r, alpha=alpha, a=a, b=b)
        return model

    def fit(self, summary: pd.DataFrame, weights: ArrayLike | None = None) -> BetaGeoModel:
        """Estimate the parameters by maximum likelihood.

        Args:
            summary: One row per customer with ``frequency``, ``recency`` and ``T``.
            weights: Optional number of customers each row stands for. Identical
                rows are collapsed into weights automatically either way.

        Returns:
            The model itself, fitted.
        """
        x, t, big_t, w = read_summary(summary, weights)
        self._store(fit_arrays(x, t, big_t, w))
        self._record_unit(summary)
        return self

    def expected_purchases_new(self, t: ArrayLike) -> FloatArray:
        """Expected purchases in ``(0, t]`` of a customer who has just made their first."""
        r, alpha, a, b = self._values()
        tt = as_float_array(t, "t")
        return expected_given_alive(r, alpha, a, b, tt)

    def probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Probability that each customer is still alive at their age T."""
        r, alpha, a, b = self._values()
        x, t, big_t = read_rfm(frequency, recency, T)
        positive = x > 0
        bx1 = np.where(positive, b + x - 1, 1.0)
        log_odds = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t))
        return np.where(positive, special.expit(-log_odds), 1.0)

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected purchases in ``(T, T + t]`` given each customer's history.

        P(alive) times the expected purchases of a live customer with the
        posterior parameters, computed stably for very large frequencies.
        """
        x, rec, big_t = read_rfm(frequency, recency, T)
        tt = as_float_array(t, "t")
        alive = self.probability_alive(x, rec, big_t)
        return self._expected_if_alive(tt, x, big_t) * alive

    def _expected_if_alive(self, t: FloatArray, x: FloatArray, big_t: FloatArray) -> FloatArray:
        """Expected purchases in ``(T, T + t]`` of a customer known to be alive at T."""
        r, alpha, a, b = self._values()
        return expected_given_alive(r + x, alpha + big_t, a, b + x, t)

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> FloatArray:
        """P(X(t) = n): probability a new customer makes n repeat purchases in ``(0, t]``."""
        r, alpha, a, b = self._values()
        nn = as_float_array(n, "n")
        tt = as_float_array(t, "t")
        nn, tt = np.broadcast_arrays(nn, tt)
        log_beta_ab = special.betaln(a, b)
        log_nb = (
            special.gammaln(r + nn)
            - special.gammaln(r)
            - special.gammaln(nn + 1)
            + r * np.log(alpha / (alpha + tt))
            + special.xlogy(nn, tt / (alpha + tt))
        )
        first = np.exp(special.betaln(a, b + nn) - log_beta_ab + log_nb)
        positive = nn > 0
        safe_n = np.where(positive, nn, 1.0)
        tail = special.betainc(safe_n, r, tt / (alpha + tt))  # P(NB >= n) = 1 - cdf(n - 1)
        second = np.exp(special.betaln(a + 1, b + safe_n - 1) - log_beta_ab) * tail
        return np.asarray(first + np.where(positive, second, 0.0), dtype=np.float64)
