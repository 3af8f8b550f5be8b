"""BG/BB: beta-geometric / beta-Bernoulli for discrete opportunities (Fader, Hardie and Shang 2010).

At each of ``n`` opportunities (a yearly event, a newsletter issue) a live customer
transacts with probability ``p ~ Beta(alpha, beta)``, and after each opportunity
becomes inactive with probability ``theta ~ Beta(gamma, delta)``.
Data: ``frequency`` (transactions in the n opportunities), ``recency`` (the
opportunity of the last one, 0 if none) and ``n_periods``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
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

__all__ = ["BetaGeoBetaBinomModel"]


def _read_discrete(
    frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, t, n = np.broadcast_arrays(
        as_float_array(frequency, "frequency"),
        as_float_array(recency, "recency"),
        as_float_array(n_periods, "n_periods"),
    )
    for field, values in (("frequency", x), ("recency", t), ("n_periods", n)):
        if np.any(values < 0) or np.any(values != np.round(values)):
            bad = values[(values < 0) | (values != np.round(values))][0]
            raise ValidationError(field, float(bad), "use whole numbers >= 0")
    if np.any(x > t) or np.any(t > n) or np.any((x == 0) & (t > 0)):
        raise ValidationError(
            "recency",
            t.tolist()[:5],
            "need frequency <= recency <= n_periods, and recency 0 when frequency is 0",
        )
    return (
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(t, dtype=np.float64),
        np.ascontiguousarray(n, dtype=np.float64),
    )


Terms = tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]


def _terms(x: FloatArray, t: FloatArray, n: FloatArray) -> Terms:
    """The arguments of every term of each row's likelihood (a row per customer).

    Column 0 is "still active after opportunity n"; column ``1 + i`` is "became
    inactive right after opportunity ``t_x + i``" (only ``i < n - t_x`` exist;
    the others are masked). Each term is
    ``B(alpha + x, beta + y) B(gamma + c, delta + z) / (B(alpha, beta) B(gamma, delta))``;
    returned are ``y``, ``c``, ``z`` and the mask, as (rows, columns) arrays.
    """
    gaps = n - t
    width = int(gaps.max()) if len(gaps) else 0
    i = np.arange(width, dtype=np.float64)[None, :]
    y = np.concatenate([(n - x)[:, None], t[:, None] - x[:, None] + i], axis=1)
    c = np.concatenate([np.zeros((len(x), 1)), np.ones((len(x), width))], axis=1)
    z = np.concatenate([n[:, None], t[:, None] + i], axis=1)
    mask = np.concatenate([np.ones((len(x), 1), dtype=bool), i < gaps[:, None]], axis=1)
    return y, c, z, mask


def _log_parts(params: FloatArray, x: FloatArray, t: FloatArray, n: FloatArray) -> FloatArray:
    """Per-row log-likelihood, summing the 'became inactive after t_x + i' terms in log space."""
    return _log_likelihood(params, x, _terms(x, t, n), gradient=False)[0]


def _log_likelihood(
    params: FloatArray,
    x: FloatArray,
    terms: Terms,
    *,
    gradient: bool,
) -> tuple[FloatArray, FloatArray]:
    """Per-row log-likelihood and, if asked, its gradient in the natural parameters.

    The gradient of a log-sum-exp is the softmax-weighted mean of the terms'
    gradients, and each term's is a difference of digammas.
    """
    alpha, beta, gamma, delta = params
    y, c, z, mask = terms
    xa = x[:, None] + alpha
    log_terms = (
        special.betaln(xa, beta + y)
        + special.betaln(gamma + c, delta + z)
        - special.betaln(alpha, beta)
        - special.betaln(gamma, delta)
    )
    log_terms = np.where(mask, log_terms, -np.inf)
    ll = special.logsumexp(log_terms, axis=1)
    if not gradient:
        return np.asarray(ll, dtype=np.float64), np.empty((0, 4))
    share = np.exp(log_terms - ll[:, None])  # 0 where masked
    dig_ab = special.digamma(xa + beta + y)
    dig_gd = special.digamma(gamma + delta + c + z)
    g_alpha = special.digamma(xa[:, 0]) - (share * dig_ab).sum(axis=1)
    g_beta = (share * (special.digamma(beta + y) - dig_ab)).sum(axis=1)
    g_gamma = (share * (special.digamma(gamma + c) - dig_gd)).sum(axis=1)
    g_delta = (share * (special.digamma(delta + z) - dig_gd)).sum(axis=1)
    base_ab = special.digamma(alpha + beta)
    base_gd = special.digamma(gamma + delta)
    grad = np.stack(
        [
            g_alpha - special.digamma(alpha) + base_ab,
            g_beta - special.digamma(beta) + base_ab,
            g_gamma - special.digamma(gamma) + base_gd,
            g_delta - special.digamma(delta) + base_gd,
        ],
        axis=1,
    )
    return np.asarray(ll, dtype=np.float64), np.asarray(grad, dtype=np.float64)


class BetaGeoBetaBinomModel(FittedModel):
    """The BG/BB model for customers with discrete transaction opportunities.

    Attributes:
        params_: ``alpha``, ``beta``, ``gamma``, ``delta`` (Series).
        standard_errors_: Standard errors, same index.
        log_likelihood_: Log-likelihood at the estimate.
        diagnostics_: `FitDiagnostics` of the fit.

    Example:
        >>> model = BetaGeoBetaBinomModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
        >>> model.probability_alive([6, 0], [6, 0], [6, 6]).round(3).tolist()
        [0.93, 0.108]
    """

    _param_names = ("alpha", "beta", "gamma", "delta")

    @classmethod
    def from_params(
        cls, *, alpha: float, beta: float, gamma: float, delta: float
    ) -> BetaGeoBetaBinomModel:
        """A model with the given parameters, without fitting (no standard errors)."""
        model: BetaGeoBetaBinomModel = cls._from_values(
            alpha=alpha, beta=beta, gamma=gamma, delta=delta
        )
        return model

    def fit(self, summary: pd.DataFrame, weights: ArrayLike | None = None) -> BetaGeoBetaBinomModel:
        """Estimate the parameters from ``frequency``, ``recency`` and ``n_periods`` columns.

        Args:
            summary: One row per customer (or per pattern, with *weights*).
            weights: Optional number of customers each row stands for.

        Returns:
            The model itself, fitted.
        """
        for column in ("frequency", "recency", "n_periods"):
            if column not in summary.columns:
                raise ValidationError(column, list(summary.columns), f"need a {column!r} column")
        x, t, n = _read_discrete(summary["frequency"], summary["recency"], summary["n_periods"])
        w = read_weights(align_weights(summary, weights), len(x))
        (x, t, n), w = collapse_rows([x, t, n], w)
        keep = w > 0
        x, t, n, w = x[keep], t[keep], n[keep], w[keep]
        total = float(w.sum())

        terms = _terms(x, t, n)

        def value_and_gradient(lp: FloatArray) -> tuple[float, FloatArray]:
            params = np.exp(lp)
            ll, grad = _log_likelihood(params, x, terms, gradient=True)
            g = np.einsum("i,ij->j", w, grad) * params
            return -float(wdot(w, ll)) / total, -g / total

        def objective(lp: FloatArray) -> float:
            return value_and_gradient(lp)[0]

        self._store(
            fit_log_params(
                objective, np.zeros(4), total, len(x), value_and_gradient=value_and_gradient
            )
        )
        return self

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
    ) -> FloatArray:
        """Probability of being active at opportunity ``n_periods + 1``."""
        params = self._values()
        alpha, beta, gamma, delta = params
        x, t, n = _read_discrete(frequency, recency, n_periods)
        log_alive = (
            special.betaln(alpha + x, beta + n - x)
            - special.betaln(alpha, beta)
            + special.betaln(gamma, delta + n + 1)
            - special.betaln(gamma, delta)
        )
        return np.asarray(np.exp(log_alive - _log_parts(params, x, t, n)), dtype=np.float64)

    def expected_purchases_new(self, t: ArrayLike) -> FloatArray:
        """Expected transactions in the first *t* opportunities of a new customer."""
        alpha, beta, gamma, delta = self._values()
        tt = as_float_array(t, "t")
        share = alpha / (alpha + beta)
        if abs(gamma - 1) < 1e-8:  # removable singularity: the limit as gamma -> 1
            limit = delta * (special.digamma(1 + delta + tt) - special.digamma(1 + delta))
            return np.asarray(share * limit, dtype=np.float64)
        log_ratio = (
            special.gammaln(gamma + delta)
            - special.gammaln(gamma + delta + tt)
            + special.gammaln(1 + delta + tt)
            - special.gammaln(1 + delta)
        )
        return np.asarray(share * delta / (gamma - 1) * -np.expm1(log_ratio), dtype=np.float64)

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> FloatArray:
        """Expected transactions in the next *t* opportunities given each history."""
        params = self._values()
        alpha, beta, gamma, delta = params
        x, rec, n = _read_discrete(frequency, recency, n_periods)
        tt = as_float_array(t, "t")
        log_lik = _log_parts(params, x, rec, n)
        lead = special.betaln(alpha + x + 1, beta + n - x) - special.betaln(alpha, beta)
        log_g = special.gammaln(gamma + delta) - special.gammaln(1 + delta)
        first = special.gammaln(1 + delta + n) - special.gammaln(gamma + delta + n)
        second = special.gammaln(1 + delta + n + tt) - special.gammaln(gamma + delta + n + tt)
        if abs(gamma - 1) < 1e-8:  # removable singularity: the limit as gamma -> 1
            factor = delta * (special.digamma(1 + delta + n + tt) - special.digamma(1 + delta + n))
        else:
            # delta/(gamma-1) * Gamma(gamma+delta)/Gamma(1+delta) * (e^first - e^second)
            diff = np.exp(first + log_g) * -np.expm1(second - first)
            factor = delta / (gamma - 1) * diff
        return np.asarray(np.exp(lead - log_lik) * factor, dtype=np.float64)

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> FloatArray:
        """P(X(t) = n): n transactions in the first t opportunities of a new customer."""
        alpha, beta, gamma, delta = self._values()
        nn, tt = np.broadcast_arrays(as_float_array(n, "n"), as_float_array(t, "t"))
        base = special.betaln(alpha, beta) + special.betaln(gamma, delta)
        out = np.empty(len(nn))
        for k, (count, opportunities) in enumerate(zip(nn, tt, strict=True)):
            if count > opportunities:
                out[k] = 0.0
                continue
            log_choose = (
                special.gammaln(opportunities + 1)
                - special.gammaln(count + 1)
                - special.gammaln(opportunities - count + 1)
            )
            alive = (
                log_choose
                + special.betaln(alpha + count, beta + opportunities - count)
                + special.betaln(gamma, delta + opportunities)
                - base
            )
            i = np.arange(count, opportunities, dtype=np.float64)
            dead = (
                special.gammaln(i + 1)
                - special.gammaln(count + 1)
                - special.gammaln(i - count + 1)
                + special.betaln(alpha + count, beta + i - count)
                + special.betaln(gamma + 1, delta + i)
                - base
            )
            out[k] = np.exp(special.logsumexp(np.concatenate([[alive], dead])))
        return out
