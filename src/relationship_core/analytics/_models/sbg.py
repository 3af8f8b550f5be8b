"""Shifted-beta-geometric (sBG) retention model for retainers (Fader and Hardie 2007).

At each renewal a client churns with their own probability ``theta ~ Beta(alpha, beta)``.
Heterogeneity makes the aggregate retention rate rise over time even though
each client's is constant.

Several cohorts at once: `ShiftedBetaGeometricModel.fit_survival` with a
DataFrame (one column per cohort) fits one set of parameters shared by every
cohort (the cohorts are assumed to come from one population);
`ShiftedBetaGeometricModel.fit_each_cohort` fits one model per cohort instead.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from relationship_core.analytics._models._base import (
    FittedModel,
    FloatArray,
    as_float_array,
    collapse_rows,
    first_non_numeric,
    fit_log_params,
    read_weights,
    wdot,
)
from relationship_core.exceptions import ValidationError

__all__ = ["ShiftedBetaGeometricModel"]


def _survival_to_records(
    column: FloatArray, field: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Turn counts alive at the start of periods 0..k into (periods, churned, weight) rows."""
    observed = np.isfinite(column)
    if not observed.any() or np.any(~observed[: int(np.flatnonzero(observed)[-1]) + 1]):
        raise ValidationError(
            field, column.tolist(), "counts must start at period 0; use NaN only after the last"
        )
    alive = column[observed]
    if len(alive) < 2:
        raise ValidationError(field, len(alive), "give counts for at least periods 0 and 1")
    if np.any(alive < 0) or np.any(np.diff(alive) > 0):
        raise ValidationError(field, alive.tolist(), "counts alive must be >= 0 and never increase")
    lost = -np.diff(alive)
    periods = np.arange(1, len(alive), dtype=np.float64)
    survivors_periods = np.array([len(alive) - 1], dtype=np.float64)
    return (
        np.concatenate([periods, survivors_periods]),
        np.concatenate([np.ones(len(lost)), np.zeros(1)]),
        np.concatenate([lost, alive[-1:]]),
    )


class ShiftedBetaGeometricModel(FittedModel):
    """sBG model: survival and retention of clients who renew period by period.

    Periods are the contract's own (months, years): period ``t`` means "the
    t-th renewal decision". A client "survived t periods" if they are still
    a client at the start of period t.

    Attributes:
        params_: ``alpha``, ``beta`` (Series).
        standard_errors_: Standard errors, same index.
        log_likelihood_: Log-likelihood at the estimate.
        diagnostics_: `FitDiagnostics` of the fit.

    Example:
        >>> model = ShiftedBetaGeometricModel().fit_survival(
        ...     [1000, 631, 468, 382, 326, 289, 262, 241])
        >>> model.params_.round(3).tolist()
        [0.704, 1.182]
        >>> model.retention_rate([1, 2, 3]).round(3).tolist()
        [0.627, 0.756, 0.819]
    """

    _param_names = ("alpha", "beta")

    @classmethod
    def from_params(cls, *, alpha: float, beta: float) -> ShiftedBetaGeometricModel:
        """A model with the given parameters, without fitting (no standard errors)."""
        model: ShiftedBetaGeometricModel = cls._from_values(alpha=alpha, beta=beta)
        return model

    def fit_survival(
        self, table: ArrayLike | pd.Series | pd.DataFrame
    ) -> ShiftedBetaGeometricModel:
        """Fit from counts still active at the start of periods 0, 1, ..., k.

        Args:
            table: A sequence or Series for one cohort; or a DataFrame with one
                column per cohort and one row per period (NaN where a younger
                cohort has not reached that period). All cohorts share the
                parameters.

        Returns:
            The model itself, fitted.
        """
        try:  # NaN is allowed (a younger cohort's missing periods); text is not
            if isinstance(table, pd.DataFrame):
                columns = [
                    (f"table[{name!r}]", table[name].to_numpy(np.float64)) for name in table.columns
                ]
            else:
                columns = [("table", np.asarray(table, dtype=np.float64).reshape(-1))]
        except (TypeError, ValueError):
            raise ValidationError(
                "table", first_non_numeric(table), "survival counts must be numbers"
            ) from None
        parts = [_survival_to_records(values, field) for field, values in columns]
        periods = np.concatenate([p[0] for p in parts])
        churned = np.concatenate([p[1] for p in parts])
        weights = np.concatenate([p[2] for p in parts])
        return self._fit(periods, churned, weights)

    @classmethod
    def fit_each_cohort(cls, table: pd.DataFrame) -> dict[Hashable, ShiftedBetaGeometricModel]:
        """Fit one model per cohort (column) of a survival table, for per-cohort parameters.

        Args:
            table: One column per cohort, as for `fit_survival`.

        Returns:
            A fitted model per column name.
        """
        return {name: cls().fit_survival(table[name]) for name in table.columns}

    def fit_renewals(
        self,
        periods: ArrayLike,
        churned: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> ShiftedBetaGeometricModel:
        """Fit from one record per client.

        Args:
            periods: For a churned client, the period in which they left (1 = did
                not renew after their first period); for an active client, the
                number of periods they have completed so far (>= 1).
            churned: True for clients who left, False for those still active.
            weights: Optional number of clients each record stands for.

        Returns:
            The model itself, fitted.
        """
        t = as_float_array(periods, "periods")
        c = as_float_array(churned, "churned")
        if len(c) != len(t):
            raise ValidationError("churned", len(c), f"pass one flag per record ({len(t)})")
        if np.any(t < 1) or np.any(t != np.round(t)):
            raise ValidationError(
                "periods", float(t[(t < 1) | (t != np.round(t))][0]), "periods are integers >= 1"
            )
        return self._fit(t, c, read_weights(weights, len(t)))

    def _fit(
        self, periods: FloatArray, churned: FloatArray, weights: FloatArray
    ) -> ShiftedBetaGeometricModel:
        (periods, churned), weights = collapse_rows([periods, churned], weights)
        keep = weights > 0
        periods, weights = periods[keep], weights[keep]
        left = churned[keep] > 0
        total = float(weights.sum())
        if total <= 0:
            raise ValidationError("weights", total, "need at least one client")

        def objective(lp: FloatArray) -> float:
            alpha, beta = np.exp(lp)
            base = special.betaln(alpha, beta)
            ll = np.where(
                left,
                special.betaln(alpha + 1, beta + periods - 1) - base,
                special.betaln(alpha, beta + periods) - base,
            )
            return -float(wdot(weights, ll)) / total

        def gradient(lp: FloatArray) -> FloatArray:
            alpha, beta = np.exp(lp)
            d_ab = special.digamma(alpha + beta)
            d_a = special.digamma(alpha)
            d_b = special.digamma(beta)
            # d/dx betaln(x, y) = digamma(x) - digamma(x + y)
            g_a = np.where(
                left,
                special.digamma(alpha + 1) - special.digamma(alpha + beta + periods),
                d_a - special.digamma(alpha + beta + periods),
            ) - (d_a - d_ab)
            g_b = np.where(
                left,
                special.digamma(beta + periods - 1) - special.digamma(alpha + beta + periods),
                special.digamma(beta + periods) - special.digamma(alpha + beta + periods),
            ) - (d_b - d_ab)
            grad = np.array([wdot(weights, g_a) * alpha, wdot(weights, g_b) * beta])
            return -grad / total

        x0 = np.zeros(2)
        self._store(fit_log_params(objective, x0, total, len(periods), gradient=gradient))
        return self

    def survival(self, t: ArrayLike) -> FloatArray:
        """Share of a new cohort still active at the start of period t (S(0) = 1)."""
        alpha, beta = self._values()
        tt = as_float_array(t, "t")
        return np.asarray(
            np.exp(special.betaln(alpha, beta + tt) - special.betaln(alpha, beta)),
            dtype=np.float64,
        )

    def churn_probability(self, t: ArrayLike) -> FloatArray:
        """P(T = t): share of a new cohort that churns at the t-th renewal (t >= 1)."""
        alpha, beta = self._values()
        tt = as_float_array(t, "t")
        return np.asarray(
            np.exp(special.betaln(alpha + 1, beta + tt - 1) - special.betaln(alpha, beta)),
            dtype=np.float64,
        )

    def retention_rate(self, t: ArrayLike) -> FloatArray:
        """Aggregate retention rate ``S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``."""
        alpha, beta = self._values()
        tt = as_float_array(t, "t")
        return np.asarray((beta + tt - 1) / (alpha + beta + tt - 1), dtype=np.float64)

    def derl(self, discount_rate: float, renewals: ArrayLike = 0) -> FloatArray:
        """Discounted expected residual lifetime (Fader and Hardie 2010).

        For a client who has made *renewals* renewals and is about to decide on
        the next one: the expected number of payments still to come, the next
        renewal's counted in full and each later one discounted by
        ``(1 + discount_rate)`` per period. Multiply by the payment per period
        for the residual value. ``renewals=0`` is a client at the end of their
        first period, deciding on their first renewal.

        Args:
            discount_rate: Discount rate per contract period, > 0.
            renewals: Renewals made so far (n - 1 in the paper), >= 0.

        Returns:
            DERL for each value of *renewals*.
        """
        alpha, beta = self._values()
        if not (np.isfinite(discount_rate) and discount_rate > 0):
            raise ValidationError(
                "discount_rate",
                discount_rate,
                "use a rate > 0 per period (without discounting the expected lifetime can be "
                "infinite)",
            )
        k = as_float_array(renewals, "renewals")
        if np.any(k < 0):
            raise ValidationError("renewals", float(k[k < 0][0]), "renewals must be >= 0")
        n = k + 1
        lead = (beta + n - 1) / (alpha + beta + n - 1)
        hyp = special.hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + discount_rate))
        return np.asarray(lead * hyp, dtype=np.float64)

    def del_(self, discount_rate: float) -> float:
        """Discounted expected lifetime of a new client, counting the first payment."""
        alpha, beta = self._values()
        if not (np.isfinite(discount_rate) and discount_rate > 0):
            raise ValidationError("discount_rate", discount_rate, "use a rate > 0 per period")
        return float(special.hyp2f1(1.0, beta, alpha + beta, 1.0 / (1.0 + discount_rate)))
