"""Horizon, CLV plumbing and the large-data warm start."""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core.analytics._clv import Horizon, customer_lifetime_value
from relationship_core.analytics._models import bgnbd
from relationship_core.analytics._models.bgnbd import BetaGeoModel
from relationship_core.analytics._models.gammagamma import GammaGammaModel
from relationship_core.analytics._models.paretonbd import ParetoNBDModel
from relationship_core.exceptions import ValidationError


class Unit(enum.Enum):
    WEEK = "week"


def test_horizon_refuses_bad_fields() -> None:
    with pytest.raises(TypeError):
        Horizon(length=12)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Horizon(12, "month", 0.01)  # type: ignore[call-arg]
    with pytest.raises(ValidationError) as info:
        Horizon(length=12, unit="fortnight", discount_rate=0.0, discounting="per_period")
    assert info.value.field == "unit"
    with pytest.raises(ValidationError):
        Horizon(length=0, unit="week", discount_rate=0.0, discounting="per_period")
    with pytest.raises(ValidationError):
        Horizon(length=1, unit="week", discount_rate=-0.1, discounting="per_period")
    with pytest.raises(ValidationError):
        Horizon(length=1, unit="week", discount_rate=0.1, discounting="yearly")  # type: ignore[arg-type]


def test_horizon_units_and_discounting() -> None:
    year = Horizon(length=1, unit="year", discount_rate=0.1, discounting="per_period")
    assert year.in_units("month") == pytest.approx(12)
    assert year.in_units(Unit.WEEK) == pytest.approx(365.25 / 7)
    assert float(year.discount_factor(1)) == pytest.approx(1 / 1.1)
    continuous = Horizon(length=1, unit="year", discount_rate=0.1, discounting="continuous")
    assert float(continuous.discount_factor(1)) == pytest.approx(np.exp(-0.1))
    assert (
        Horizon(length=2.5, unit=Unit.WEEK, discount_rate=0, discounting="per_period").unit
        == "week"
    )
    np.testing.assert_array_equal(
        Horizon(length=2.5, unit="week", discount_rate=0, discounting="per_period").steps(),
        [1, 2, 2.5],
    )


@settings(max_examples=25, deadline=None)
@given(
    length=st.floats(0.2, 30),
    rate=st.floats(0, 0.2),
    unit=st.sampled_from(["day", "week", "month", "year"]),
)
def test_clv_grows_with_the_horizon_and_falls_with_the_rate(
    length: float, rate: float, unit: str
) -> None:
    summary = pd.DataFrame(
        {"frequency": [0.0, 3, 10], "recency": [0.0, 20, 30], "T": [39.0, 39, 35],
         "monetary_value": [0.0, 25, 40]},
        index=["a", "b", "c"],
    )  # fmt: skip
    transactions = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    spend = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)

    def clv(length: float, rate: float) -> np.ndarray:
        horizon = Horizon(length=length, unit=unit, discount_rate=rate, discounting="per_period")
        value = customer_lifetime_value(transactions, spend, summary, horizon, data_unit="week")
        assert list(value.index) == ["a", "b", "c"]
        return np.asarray(value.to_numpy(), dtype=np.float64)

    base = clv(length, rate)
    assert np.all(np.isfinite(base))
    assert np.all(base >= 0)
    assert np.all(clv(length * 1.5, rate) >= base - 1e-12)
    assert np.all(clv(length, rate + 0.05) <= base + 1e-12)


def test_clv_needs_monetary_value_and_a_unit() -> None:
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    horizon = Horizon(length=1, unit="year", discount_rate=0.1, discounting="per_period")
    summary = pd.DataFrame({"frequency": [1.0], "recency": [2.0], "T": [5.0]})
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(model, spend, summary, horizon, data_unit="week")
    assert info.value.field == "monetary_value"
    with pytest.raises(ValidationError):
        customer_lifetime_value(
            model, spend, summary.assign(monetary_value=10.0), horizon, data_unit="weeks"
        )


def test_warm_start_on_large_data_lands_on_the_same_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(7)
    n = 6_000
    rate = rng.gamma(0.3, 1 / 4.0, n)
    dropout = rng.beta(0.8, 2.4, n)
    big_t = rng.uniform(1, 78, n)
    events = rng.poisson(rate * big_t)
    frequency = np.minimum(events, rng.geometric(dropout)).astype(float)
    last = big_t * rng.beta(np.maximum(frequency, 1), np.maximum(events - frequency + 1, 1))
    data = pd.DataFrame(
        {"frequency": frequency, "recency": np.where(frequency > 0, last, 0.0), "T": big_t}
    )
    cold = BetaGeoModel().fit(data)
    monkeypatch.setattr(bgnbd, "_WARM_START_ROWS", 2_000)
    warm = BetaGeoModel().fit(data)
    assert warm.diagnostics_.message == "Newton steps from a warm start"
    assert warm.diagnostics_.converged
    np.testing.assert_allclose(warm.params_, cold.params_, rtol=1e-6)
    np.testing.assert_allclose(warm.standard_errors_, cold.standard_errors_, rtol=1e-4)


def test_horizon_takes_length_and_unit_positionally() -> None:
    from relationship_core.analytics import Horizon

    positional = Horizon(12, "month", discount_rate=0.01, discounting="per_period")
    assert positional == Horizon(
        length=12, unit="month", discount_rate=0.01, discounting="per_period"
    )
    undiscounted = Horizon(12, "month")
    assert (undiscounted.discount_rate, undiscounted.discounting) == (0.0, "per_period")
    assert float(undiscounted.discount_factor(12)) == 1.0
    assert Horizon(12, "month", discount_rate=0.01) == positional  # per period by default
