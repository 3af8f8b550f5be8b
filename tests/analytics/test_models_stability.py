"""Numerical stability at the extremes, and weights == replicated rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from relationship_core.analytics._models._base import collapse_rows
from relationship_core.analytics._models.bgbb import BetaGeoBetaBinomModel
from relationship_core.analytics._models.bgnbd import BetaGeoModel
from relationship_core.analytics._models.gammagamma import GammaGammaModel
from relationship_core.analytics._models.mbgnbd import ModifiedBetaGeoModel
from relationship_core.analytics._models.paretonbd import ParetoNBDModel
from relationship_core.exceptions import ValidationError

positive = st.floats(min_value=0.01, max_value=100.0)


@st.composite
def histories(draw: st.DrawFn) -> tuple[float, float, float]:
    """(frequency, recency, T) up to 10,000, often with recency == T or recency == 0."""
    big_t = draw(st.floats(min_value=0.01, max_value=10_000.0))
    frequency = float(draw(st.integers(min_value=0, max_value=10_000)))
    if frequency == 0:
        return 0.0, 0.0, big_t
    recency = draw(
        st.one_of(
            st.just(big_t),
            st.just(0.0),
            st.floats(min_value=0.0, max_value=big_t),
        )
    )
    return frequency, recency, big_t


@settings(max_examples=150, deadline=None)
@given(
    params=st.tuples(positive, positive, positive, positive),
    history=histories(),
    horizon=st.floats(min_value=0.01, max_value=10_000.0),
)
def test_pareto_nbd_is_finite_at_the_extremes(
    params: tuple[float, float, float, float],
    history: tuple[float, float, float],
    horizon: float,
) -> None:
    r, alpha, s, beta = params
    model = ParetoNBDModel.from_params(r=r, alpha=alpha, s=s, beta=beta)
    x, t, big_t = ([v] for v in history)
    alive = model.probability_alive(x, t, big_t)
    assert np.all(np.isfinite(alive))
    assert np.all((alive >= 0) & (alive <= 1))
    expected = model.expected_purchases(horizon, x, t, big_t)
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= 0)


@settings(max_examples=150, deadline=None)
@given(
    params=st.tuples(positive, positive, positive, positive),
    history=histories(),
    horizon=st.floats(min_value=0.01, max_value=10_000.0),
)
def test_bgnbd_is_finite_at_the_extremes(
    params: tuple[float, float, float, float],
    history: tuple[float, float, float],
    horizon: float,
) -> None:
    r, alpha, a, b = params
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    x, t, big_t = ([v] for v in history)
    alive = model.probability_alive(x, t, big_t)
    assert np.all(np.isfinite(alive))
    assert np.all((alive >= 0) & (alive <= 1))
    # a == 1 is a removable singularity of the closed form: quadrature takes over there
    expected = model.expected_purchases(horizon, x, t, big_t)
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= 0)


def test_bgnbd_expectations_are_continuous_through_a_equal_one() -> None:
    values = [
        BetaGeoModel.from_params(r=0.5, alpha=4.0, a=a, b=2.0).expected_purchases(
            39, [3, 0], [20.0, 0.0], [39.0, 39.0]
        )
        for a in (1 - 1e-5, 1.0, 1 + 1e-5)
    ]
    np.testing.assert_allclose(values[1], values[0], rtol=1e-4)
    np.testing.assert_allclose(values[1], values[2], rtol=1e-4)


def test_pareto_nbd_alive_when_recency_equals_t_where_lifetimes_gives_nan() -> None:
    model = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    alive = model.probability_alive([10_000, 500, 1], [10_000, 9_000, 10_000], [10_000] * 3)
    assert alive[0] == pytest.approx(1.0)
    assert alive[2] == pytest.approx(1.0)
    assert 0 < alive[1] < 1e-6  # 500 purchases, then silent for 1,000 periods: gone


@pytest.mark.parametrize(
    ("params", "history"),
    [
        ({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, (2, 30.43, 38.86)),
        ({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, (40, 10.0, 38.0)),
        ({"r": 2.0, "alpha": 50.0, "s": 0.3, "beta": 0.5}, (3, 5.0, 60.0)),
        ({"r": 0.4, "alpha": 0.5, "s": 3.0, "beta": 80.0}, (7, 12.0, 52.0)),
    ],
)
def test_pareto_nbd_alive_matches_direct_integration(
    params: dict[str, float], history: tuple[float, float, float]
) -> None:
    r, alpha, s, beta = params.values()
    x, t, big_t = history
    alive_term = (alpha + big_t) ** -(r + x) * (beta + big_t) ** -s
    dead_term = (
        s
        * integrate.quad(
            lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
            t,
            big_t,
            epsabs=0,
            epsrel=1e-12,
        )[0]
    )
    model = ParetoNBDModel.from_params(**params)
    assert model.probability_alive([x], [t], [big_t])[0] == pytest.approx(
        alive_term / (alive_term + dead_term), rel=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(n_max=st.integers(min_value=1, max_value=40), t=st.floats(min_value=0.5, max_value=100.0))
def test_probabilities_of_purchases_are_a_distribution(n_max: int, t: float) -> None:
    counts = np.arange(2_000)
    for model in (
        BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ):
        p = model.probability_of_purchases(counts, t)
        assert np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-6)
        assert float(counts @ p) == pytest.approx(
            float(model.expected_purchases_new(t)[0]), rel=1e-5
        )
        assert p[:n_max].sum() <= 1 + 1e-12


def _simulated(n: int, seed: int) -> pd.DataFrame:
    """Customers drawn from the BG/NBD process itself (so the likelihood has an interior optimum)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.5, 1 / 5.0, n)
    dropout = rng.beta(0.8, 2.5, n)
    big_t = rng.integers(10, 40, n).astype(float)
    events = rng.poisson(rate * big_t)
    frequency = np.minimum(events, rng.geometric(dropout))
    last = big_t * rng.beta(np.maximum(frequency, 1), np.maximum(events - frequency + 1, 1))
    recency = np.where(frequency > 0, np.round(last, 1), 0.0)
    return pd.DataFrame({"frequency": frequency.astype(float), "recency": recency, "T": big_t})


def _simulated_pareto(n: int, seed: int) -> pd.DataFrame:
    """Customers drawn from the Pareto/NBD process."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.6, 1 / 10.0, n)
    lifetime = rng.exponential(1 / rng.gamma(0.8, 1 / 10.0, n))
    big_t = rng.integers(10, 40, n).astype(float)
    active = np.minimum(lifetime, big_t)
    frequency = rng.poisson(rate * active).astype(float)
    recency = np.where(
        frequency > 0, np.round(active * rng.beta(np.maximum(frequency, 1), 1), 1), 0
    )
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": big_t})


@pytest.mark.parametrize(
    ("model_type", "simulate"),
    [(BetaGeoModel, _simulated), (ParetoNBDModel, _simulated_pareto)],
)
def test_replicated_rows_fit_like_weights(
    model_type: type[BetaGeoModel], simulate: Callable[[int, int], pd.DataFrame]
) -> None:
    data = simulate(400, 1)
    k = 7
    weights = np.random.default_rng(2).integers(1, 5, len(data)).astype(float)
    weighted = model_type().fit(data, weights=weights)
    replicated = model_type().fit(data.loc[data.index.repeat(weights.astype(int))])
    assert weighted.params_ is not None
    assert replicated.params_ is not None
    np.testing.assert_allclose(weighted.params_, replicated.params_, rtol=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(replicated.log_likelihood_, rel=1e-9)
    # k copies: same estimates, standard errors shrink by sqrt(k)
    copies = model_type().fit(pd.concat([data] * k))
    plain = model_type().fit(data)
    assert copies.params_ is not None
    assert plain.params_ is not None
    np.testing.assert_allclose(copies.params_, plain.params_, rtol=1e-6)
    np.testing.assert_allclose(
        copies.standard_errors_, plain.standard_errors_ / np.sqrt(k), rtol=1e-3
    )
    assert copies.diagnostics_ is not None
    assert copies.diagnostics_.n_rows == plain.diagnostics_.n_rows


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=60))
def test_collapse_rows_keeps_every_row_once(rows: list[tuple[int, int]]) -> None:
    a = np.array([r[0] for r in rows], dtype=float)
    b = np.array([r[1] for r in rows], dtype=float)
    (ua, ub), w = collapse_rows([a, b], np.ones(len(rows)))
    assert w.sum() == len(rows)
    assert len(set(zip(ua.tolist(), ub.tolist(), strict=True))) == len(ua)
    for x, y, count in zip(ua, ub, w, strict=True):
        assert count == sum(1 for r in rows if r == (x, y))


def test_bad_input_is_refused_with_the_field_named() -> None:
    bad = pd.DataFrame({"frequency": [1.0], "recency": [5.0], "T": [4.0]})
    with pytest.raises(ValidationError) as info:
        BetaGeoModel().fit(bad)
    assert info.value.field == "recency"
    with pytest.raises(ValidationError) as info:
        BetaGeoModel().fit(pd.DataFrame({"frequency": [1.0], "T": [4.0]}))
    assert info.value.field == "recency"
    with pytest.raises(ValidationError):
        BetaGeoModel().fit(bad.assign(recency=np.nan))
    with pytest.raises(ValidationError) as info:
        BetaGeoModel().probability_alive([1], [1], [1])
    assert info.value.field == "model"


def test_a_flat_likelihood_reports_instead_of_raising() -> None:
    # Everyone identical and nobody repeats: the optimum is at the boundary.
    data = pd.DataFrame({"frequency": [0.0] * 50, "recency": [0.0] * 50, "T": [10.0] * 50})
    model = ParetoNBDModel().fit(data)
    assert model.diagnostics_ is not None
    assert model.diagnostics_.n_rows == 1
    assert np.isfinite(model.log_likelihood_)
    assert isinstance(model.diagnostics_.message, str)


@settings(max_examples=100, deadline=None)
@given(
    params=st.tuples(positive, positive, positive, positive),
    history=histories(),
    horizon=st.floats(min_value=0.01, max_value=10_000.0),
)
def test_modified_bgnbd_is_finite_at_the_extremes(
    params: tuple[float, float, float, float],
    history: tuple[float, float, float],
    horizon: float,
) -> None:
    r, alpha, a, b = params
    model = ModifiedBetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    x, t, big_t = ([v] for v in history)
    alive = model.probability_alive(x, t, big_t)
    assert np.all((alive >= 0) & (alive <= 1))
    expected = model.expected_purchases(horizon, x, t, big_t)
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= 0)


@settings(max_examples=60, deadline=None)
@given(
    params=st.tuples(positive, positive, positive, positive),
    n=st.integers(min_value=1, max_value=10_000),
    data=st.data(),
)
def test_bgbb_is_finite_at_the_extremes(
    params: tuple[float, float, float, float], n: int, data: st.DataObject
) -> None:
    alpha, beta, gamma, delta = params
    model = BetaGeoBetaBinomModel.from_params(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    recency = data.draw(st.integers(min_value=0, max_value=n))
    frequency = 0 if recency == 0 else data.draw(st.integers(min_value=1, max_value=recency))
    alive = model.probability_alive([frequency], [recency], [n])
    assert np.all(np.isfinite(alive))
    assert np.all((alive >= 0) & (alive <= 1 + 1e-12))
    expected = model.expected_purchases(10, [frequency], [recency], [n])
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= 0)


def test_gamma_gamma_refuses_non_repeat_buyers() -> None:
    data = pd.DataFrame({"frequency": [0.0, 2.0], "monetary_value": [0.0, 10.0]})
    with pytest.raises(ValidationError) as info:
        GammaGammaModel().fit(data)
    assert info.value.field == "frequency"
    with pytest.raises(ValidationError):
        GammaGammaModel().fit(data.assign(frequency=[1.0, 2.0], monetary_value=[-1.0, 3.0]))


def test_weights_series_is_matched_by_customer_id() -> None:
    data = _simulated(200, 3)
    data.index = [f"c{i}" for i in range(len(data))]
    weights = pd.Series(np.random.default_rng(4).integers(1, 4, len(data)), index=data.index)
    in_order = BetaGeoModel().fit(data, weights=weights.to_numpy())
    shuffled = BetaGeoModel().fit(data, weights=weights.sample(frac=1.0, random_state=5))
    np.testing.assert_allclose(shuffled.params_, in_order.params_, rtol=1e-9)
    with pytest.raises(ValidationError) as info:
        BetaGeoModel().fit(data, weights=weights.iloc[1:])
    assert info.value.field == "weights"
