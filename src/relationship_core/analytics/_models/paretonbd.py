"""Pareto/NBD (Schmittlein, Morrison and Colombo 1987), in a numerically stable form.

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
their lifetime is exponential with rate ``mu ~ Gamma(s, beta)``.

The likelihood is usually written with Gauss hypergeometric functions of huge
powers such as ``(alpha + t)^(r + s + x)``, whose difference cancels to 0/0 when
recency equals T. Here it is written as

    L = G * [ (alpha+T)^-(r+x) (beta+T)^-s + s * I ],
    I = integral from t_x to T of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) d tau,

and ``I`` is computed in log space from *normalised* hypergeometric functions,
each between 1 and a modest bound after an Euler or Pfaff transformation:

    I = (alpha+t_x)^-(k-1) / (k-1) * [F(rho) - w^(k-1) F(rho w)],
    F(z) = 2F1(s+1, k-1; k; z),  k = r+s+x+1,
    rho = (alpha-beta)/(alpha+t_x),  w = (alpha+t_x)/(alpha+T).

So ``I`` is exactly 0 when recency == T, and every quantity stays finite for
frequencies and ages in the tens of thousands.
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
    fit_log_params,
    read_rfm,
    read_summary,
    wdot,
)

__all__ = ["ParetoNBDModel"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def _log_f(s: float, k: FloatArray, z: FloatArray) -> FloatArray:
    """log 2F1(s+1, k-1; k; z) for z < 1, via transformations with positive series.

    After the transformation the series has positive terms with ratio below the
    argument, so its value lies in ``[1, 1 / (1 - argument)]``; scipy results
    outside that range (it has wrong corners) are recomputed by quadrature.
    """
    negative = z < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = np.where(negative, z / (z - 1), z)
        hyp = np.where(
            negative,
            special.hyp2f1(s + 1, 1.0, k, np.where(negative, arg, 0.0)),
            special.hyp2f1(k - s - 1, 1.0, k, np.where(negative, 0.0, arg)),
        )
        out = np.where(negative, -(s + 1) * np.log1p(-z), -s * np.log1p(-z)) + np.log(hyp)
    bad = ~np.isfinite(out) | (hyp < 1 - 1e-12) | (hyp * (1 - arg) > 1 + 1e-9)
    if np.any(bad):
        out[bad] = _log_f_quadrature(s, k[bad], z[bad])
    return np.asarray(out, dtype=np.float64)


def _log_f_quadrature(s: float, k: FloatArray, z: FloatArray) -> FloatArray:
    """Fallback: log of (k-1) * integral_0^1 v^(k-2) (1 - z v)^-(s+1) dv by Gauss-Legendre.

    The substitution ``v = y^(1/(k-1))`` makes the weight uniform in ``y``.
    """
    y = (_NODES[:, None] + 1) / 2
    v = np.exp(np.log(y) / (k[None, :] - 1))
    log_terms = -(s + 1) * np.log1p(-z[None, :] * v) + np.log(_WEIGHTS[:, None] / 2)
    return np.asarray(special.logsumexp(log_terms, axis=0), dtype=np.float64)


def _log_parts(
    params: FloatArray, x: FloatArray, t: FloatArray, big_t: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-row log of the 'alive at T' term and of ``s * I`` (the 'died in (t_x, T]' term)."""
    r, alpha, s, beta = params
    log_alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    k = r + s + x + 1
    rho = (alpha - beta) / (alpha + t)
    rho_t = (alpha - beta) / (alpha + big_t)
    log_w = np.log(alpha + t) - np.log(alpha + big_t)
    log_f1 = _log_f(s, k, rho)
    log_f2 = _log_f(s, k, rho_t)
    ratio = (k - 1) * log_w + log_f2 - log_f1  # <= 0 in exact arithmetic
    with np.errstate(divide="ignore"):
        log_diff = log_f1 + np.log(-np.expm1(np.minimum(ratio, 0.0)))
    log_dead = np.log(s) - (k - 1) * np.log(alpha + t) - np.log(k - 1) + log_diff
    return log_alive, log_dead


class ParetoNBDModel(FittedModel):
    """The Pareto/NBD model for non-contractual customers in continuous time.

    Same inputs and outputs as `BetaGeoModel`; predictions return numpy arrays.

    Attributes:
        params_: ``r``, ``alpha``, ``s``, ``beta`` (Series).
        standard_errors_: Standard errors, same index.
        log_likelihood_: Log-likelihood at the estimate.
        diagnostics_: `FitDiagnostics` of the fit.

    Example:
        >>> model = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> model.probability_alive([0, 5, 10_000], [0, 30.0, 500.0], [39, 39, 500]).round(3).tolist()
        [0.294, 0.811, 1.0]
    """

    _param_names = ("r", "alpha", "s", "beta")

    @classmethod
    def from_params(cls, *, r: float, alpha: float, s: float, beta: float) -> ParetoNBDModel:
        """A model with the given parameters, without fitting (no standard errors)."""
        model: ParetoNBDModel = cls._from_values(r=r, alpha=alpha, s=s, beta=beta)
        return model

    def fit(self, summary: pd.DataFrame, weights: ArrayLike | None = None) -> ParetoNBDModel:
        """Estimate the parameters by maximum likelihood (see `BetaGeoModel.fit`)."""
        x, t, big_t, w = read_summary(summary, weights)
        total = float(w.sum())
        ux, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv.reshape(-1), weights=w, minlength=len(ux))

        def objective(lp: FloatArray) -> float:
            params = np.exp(lp)
            r, alpha, s, beta = params
            head = float(wdot(wx, special.gammaln(r + ux) - special.gammaln(r))) + total * (
                r * np.log(alpha) + s * np.log(beta)
            )
            log_alive, log_dead = _log_parts(params, x, t, big_t)
            tail = float(wdot(w, np.logaddexp(log_alive, log_dead)))
            return -(float(head) + tail) / total

        rate = float(wdot(w, x) + 1.0) / float(wdot(w, big_t))
        mean_t = float(wdot(w, big_t)) / total
        x0 = np.log(np.array([1.0, 1.0 / rate, 1.0, mean_t]))
        self._store(fit_log_params(objective, x0, total, len(x)))
        return self

    def probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Probability that each customer is still alive at their age T (in [0, 1])."""
        params = self._values()
        x, t, big_t = read_rfm(frequency, recency, T)
        log_alive, log_dead = _log_parts(params, x, t, big_t)
        return np.asarray(np.exp(log_alive - np.logaddexp(log_alive, log_dead)), dtype=np.float64)

    def expected_purchases_new(self, t: ArrayLike) -> FloatArray:
        """Expected purchases in ``(0, t]`` of a customer who has just made their first."""
        r, alpha, s, beta = self._values()
        tt = as_float_array(t, "t")
        return np.asarray(
            r * beta / alpha * _decay(s, np.log(beta / (beta + tt))), dtype=np.float64
        )

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
        r, alpha, s, beta = self._values()
        decay = _decay(s, np.log(beta + big_t) - np.log(beta + big_t + t))
        return np.asarray((r + x) * (beta + big_t) / (alpha + big_t) * decay, dtype=np.float64)

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> FloatArray:
        """P(X(t) = n) for a new customer, by Gauss-Legendre quadrature over the death time."""
        r, alpha, s, beta = self._values()
        nn, tt = np.broadcast_arrays(as_float_array(n, "n"), as_float_array(t, "t"))

        def log_nb(count: FloatArray, horizon: FloatArray) -> FloatArray:
            return np.asarray(
                special.gammaln(r + count)
                - special.gammaln(r)
                - special.gammaln(count + 1)
                + r * (np.log(alpha) - np.log(alpha + horizon))
                + special.xlogy(count, horizon / (alpha + horizon)),
                dtype=np.float64,
            )

        alive = np.exp(log_nb(nn, tt) + s * (np.log(beta) - np.log(beta + tt)))
        u = (_NODES[:, None] + 1) / 2
        tau = tt[None, :] * u**2  # cluster nodes near 0 where the death density is largest
        jac = 2 * tt[None, :] * u * _WEIGHTS[:, None] / 2
        log_density = np.log(s) + s * np.log(beta) - (s + 1) * np.log(beta + tau)
        dead = np.sum(np.exp(log_nb(nn[None, :], tau) + log_density) * jac, axis=0)
        return np.asarray(alive + dead, dtype=np.float64)


def _decay(s: float, log_ratio: FloatArray) -> FloatArray:
    """``(1 - exp((s-1) * log_ratio)) / (s - 1)``, with its limit ``-log_ratio`` at s = 1."""
    if abs(s - 1) < 1e-9:
        return np.asarray(-log_ratio, dtype=np.float64)
    return np.asarray(-np.expm1((s - 1) * log_ratio) / (s - 1), dtype=np.float64)
