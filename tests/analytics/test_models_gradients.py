"""Analytic gradients against finite differences, and fitted optima against a tight reference."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from relationship_core.analytics._models import bgbb, bgnbd, gammagamma, paretonbd
from relationship_core.analytics._models._base import read_summary
from relationship_core.analytics._models._fit import FloatArray, numeric_gradient
from relationship_core.analytics.datasets import load_cdnow_sample

LOG_PARAM = st.floats(min_value=-3.0, max_value=3.0)


def _small_summary() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    x = rng.poisson(2, n).astype(float)
    big_t = rng.uniform(5, 40, n)
    t = np.where(x > 0, big_t * rng.uniform(0.1, 1.0, n), 0.0)
    t[:3] = big_t[:3]  # recency == T: no death term
    return pd.DataFrame({"frequency": x, "recency": t, "T": big_t})


SUMMARY = read_summary(_small_summary(), None)


def _captured(fit: Callable[[], object]) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """The value_and_gradient a model hands to the optimiser, caught on its way in."""
    from relationship_core.analytics._models import _fit

    caught: list[Callable[[FloatArray], tuple[float, FloatArray]]] = []
    original = _fit.fit_log_params

    def spy(*args: object, **kwargs: object) -> object:
        caught.append(kwargs["value_and_gradient"])  # type: ignore[arg-type]
        return original(*args, **kwargs)  # type: ignore[arg-type]

    for module in (bgnbd, paretonbd, bgbb, gammagamma):
        module.fit_log_params = spy  # type: ignore[attr-defined]
    try:
        fit()
    finally:
        for module in (bgnbd, paretonbd, bgbb, gammagamma):
            module.fit_log_params = original  # type: ignore[attr-defined]
    return caught[-1]


def _bgbb_data() -> pd.DataFrame:
    """A 30-period panel of (frequency, recency) patterns with counts."""
    rng = np.random.default_rng(4)
    recency = rng.integers(1, 31, 120)
    frequency = np.minimum(rng.integers(1, 31, 120), recency)
    frame = pd.DataFrame({"frequency": frequency, "recency": recency, "n_periods": 30})
    frame.loc[:9, ["frequency", "recency"]] = 0
    frame["count"] = rng.integers(1, 50, 120)
    return frame


def _spend_data() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 8, 50).astype(float)
    return pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(3.0, 10.0, 50)})


VALUE_AND_GRADIENT = {
    "BG/NBD": _captured(lambda: bgnbd.fit_arrays(*SUMMARY)),
    "MBG/NBD": _captured(lambda: bgnbd.fit_arrays(*SUMMARY, modified=True)),
    "Pareto/NBD": _captured(lambda: paretonbd._fit_arrays(*SUMMARY)),
    "BG/BB": _captured(
        lambda: bgbb.BetaGeoBetaBinomModel().fit(_bgbb_data(), weights=_bgbb_data()["count"])
    ),
    "Gamma-Gamma": _captured(lambda: gammagamma.GammaGammaModel().fit(_spend_data())),
}


@pytest.mark.parametrize("name", list(VALUE_AND_GRADIENT))
@settings(max_examples=25, deadline=None)
@given(point=st.lists(LOG_PARAM, min_size=4, max_size=4))
def test_analytic_gradient_matches_finite_differences(name: str, point: list[float]) -> None:
    both = VALUE_AND_GRADIENT[name]
    x = np.array(point[: 3 if name == "Gamma-Gamma" else 4])
    value, gradient = both(x)
    assert np.isfinite(value)
    numeric = numeric_gradient(lambda p: both(p)[0], x)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7 * max(1.0, abs(value)))


def _reference_optimum(both: Callable[[FloatArray], tuple[float, FloatArray]], k: int) -> float:
    """Best minimum from several starts with tight tolerances (scipy BFGS, exact gradient)."""
    best = np.inf
    for start in np.random.default_rng(3).uniform(-1.5, 1.5, (6, k)):
        result = optimize.minimize(both, start, jac=True, method="BFGS", options={"gtol": 1e-11})
        best = min(best, float(result.fun))
    return best


def _cdnow() -> pd.DataFrame:
    frame = load_cdnow_sample()
    daily = frame.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    end = pd.Timestamp("1997-09-30")
    daily = daily[daily["date"] <= end]
    grouped = daily.groupby("customer_id")["date"]
    first = grouped.min()
    return pd.DataFrame(
        {
            "frequency": (grouped.size() - 1).astype(float),
            "recency": (grouped.max() - first).dt.days / 7,
            "T": (end - first).dt.days / 7,
        }
    )


@pytest.mark.parametrize("name", ["BG/NBD", "MBG/NBD", "Pareto/NBD", "BG/BB", "Gamma-Gamma"])
def test_fit_is_at_least_as_good_as_a_tight_multistart_reference(name: str) -> None:
    cdnow = read_summary(_cdnow(), None)
    fits: dict[str, Callable[[], FloatArray]] = {
        "BG/NBD": lambda: bgnbd.fit_arrays(*cdnow).log_params,
        "MBG/NBD": lambda: bgnbd.fit_arrays(*cdnow, modified=True).log_params,
        "Pareto/NBD": lambda: paretonbd._fit_arrays(*cdnow).log_params,
        "BG/BB": lambda: np.log(
            bgbb.BetaGeoBetaBinomModel()
            .fit(_bgbb_data(), weights=_bgbb_data()["count"])
            .params_.to_numpy()
        ),
        "Gamma-Gamma": lambda: np.log(
            gammagamma.GammaGammaModel().fit(_spend_data()).params_.to_numpy()
        ),
    }
    estimate: list[FloatArray] = []
    both = _captured(lambda: estimate.append(fits[name]()))
    reference = _reference_optimum(both, len(estimate[0]))
    # minus the mean log-likelihood per customer: ours no worse than the reference
    assert both(estimate[0])[0] <= reference + 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("name", ["BG/NBD", "MBG/NBD", "Pareto/NBD", "BG/BB", "Gamma-Gamma"])
def test_fit_is_at_least_as_good_as_a_long_derivative_free_run(name: str) -> None:
    """A reference that never sees our gradients: Nelder-Mead on the value alone, run long.

    Restarted from its own result until it stops improving, with tolerances far below
    the 1e-3 the issue allows; our optimum must be no worse (to rounding).
    """
    cdnow = read_summary(_cdnow(), None)
    fits: dict[str, Callable[[], FloatArray]] = {
        "BG/NBD": lambda: bgnbd.fit_arrays(*cdnow).log_params,
        "MBG/NBD": lambda: bgnbd.fit_arrays(*cdnow, modified=True).log_params,
        "Pareto/NBD": lambda: paretonbd._fit_arrays(*cdnow).log_params,
        "BG/BB": lambda: np.log(
            bgbb.BetaGeoBetaBinomModel()
            .fit(_bgbb_data(), weights=_bgbb_data()["count"])
            .params_.to_numpy()
        ),
        "Gamma-Gamma": lambda: np.log(
            gammagamma.GammaGammaModel().fit(_spend_data()).params_.to_numpy()
        ),
    }
    estimate: list[FloatArray] = []
    both = _captured(lambda: estimate.append(fits[name]()))

    def value(x: FloatArray) -> float:
        return float(both(x)[0])

    k = len(estimate[0])
    best_x, best = np.zeros(k), value(np.zeros(k))
    for _ in range(20):
        result = optimize.minimize(
            value,
            best_x,
            method="Nelder-Mead",
            options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 20_000, "maxfev": 20_000},
        )
        if float(result.fun) >= best - 1e-15:
            break
        best_x, best = result.x, float(result.fun)
    # minus the mean log-likelihood per customer: ours no worse. (On the BG/BB panel the
    # optimum is a flat ridge, log gamma and log delta near 17 and 20, where Nelder-Mead
    # stops 3.5e-6 short of ours: so "no worse", not "equal".)
    assert value(estimate[0]) <= best + 1e-10
