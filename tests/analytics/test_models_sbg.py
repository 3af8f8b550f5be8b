"""sBG retention model: Fader and Hardie (2007) reproduction, renewals, cohorts, DERL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core.analytics._clv import retainer_residual_value
from relationship_core.analytics._models.sbg import ShiftedBetaGeometricModel
from relationship_core.exceptions import ValidationError

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("table", "alpha", "beta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)]
)
def test_reproduces_fader_hardie_2007(table: list[int], alpha: float, beta: float) -> None:
    model = ShiftedBetaGeometricModel().fit_survival(table)
    assert model.params_ is not None
    assert abs(model.params_["alpha"] - alpha) < 5e-4
    assert abs(model.params_["beta"] - beta) < 5e-4
    assert model.diagnostics_ is not None
    assert model.diagnostics_.converged
    se = model.standard_errors_.to_numpy()
    assert np.all(np.isfinite(se))
    assert np.all(se > 0)


def test_renewal_records_give_the_same_fit_as_the_table() -> None:
    alive = np.array(REGULAR, dtype=float)
    lost = -np.diff(alive)
    periods = np.concatenate([np.repeat(np.arange(1, 8), lost.astype(int)), np.full(241, 7)])
    churned = np.concatenate([np.ones(int(lost.sum()), dtype=bool), np.zeros(241, dtype=bool)])
    by_records = ShiftedBetaGeometricModel().fit_renewals(periods, churned)
    by_table = ShiftedBetaGeometricModel().fit_survival(REGULAR)
    np.testing.assert_allclose(by_records.params_, by_table.params_, rtol=1e-8)
    assert by_records.log_likelihood_ == pytest.approx(by_table.log_likelihood_)


def test_several_cohorts_share_parameters() -> None:
    twins = pd.DataFrame({"2019": REGULAR, "2020": REGULAR})
    pooled = ShiftedBetaGeometricModel().fit_survival(twins)
    single = ShiftedBetaGeometricModel().fit_survival(REGULAR)
    np.testing.assert_allclose(pooled.params_, single.params_, rtol=1e-6)
    assert pooled.log_likelihood_ == pytest.approx(2 * single.log_likelihood_)
    # younger cohorts (NaN where not yet observed) follow the same curve: the estimate barely moves
    staggered = pd.DataFrame(
        {"2019": REGULAR, "2020": REGULAR[:5] + [np.nan] * 3, "2021": REGULAR[:3] + [np.nan] * 5}
    )
    mixed = ShiftedBetaGeometricModel().fit_survival(staggered)
    np.testing.assert_allclose(mixed.params_, single.params_, rtol=0.1)


def test_curves_are_consistent() -> None:
    model = ShiftedBetaGeometricModel.from_params(alpha=0.704, beta=1.182)
    t = np.arange(1, 30)
    survival = model.survival(np.arange(0, 30))
    assert survival[0] == 1
    np.testing.assert_allclose(survival[1:] / survival[:-1], model.retention_rate(t))
    np.testing.assert_allclose(survival[:-1] - survival[1:], model.churn_probability(t))
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # heterogeneity: retention rises


@settings(max_examples=40, deadline=None)
@given(
    alpha=st.floats(0.05, 20),
    beta=st.floats(0.05, 20),
    rate=st.floats(0.01, 1.0),
    renewals=st.integers(0, 50),
)
def test_derl_is_the_discounted_sum_of_survival(
    alpha: float, beta: float, rate: float, renewals: int
) -> None:
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    n = renewals + 1
    j = np.arange(0, 20_000)
    discount = np.exp(-j * np.log1p(rate))
    brute = np.sum(model.survival(n + j) / model.survival(n - 1) * discount)
    assert model.derl(rate, renewals)[0] == pytest.approx(brute, rel=1e-6)
    assert model.del_(rate) == pytest.approx(np.sum(model.survival(j) * discount), rel=1e-6)


def test_residual_value_is_payment_times_derl() -> None:
    model = ShiftedBetaGeometricModel.from_params(alpha=0.668, beta=3.806)
    value = retainer_residual_value(model, payment_per_period=100.0, discount_rate=0.1, renewals=4)
    assert value[0] == pytest.approx(100 * model.derl(0.1, 4)[0])
    with pytest.raises(ValidationError):
        model.derl(0.0)


def test_bad_tables_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        ShiftedBetaGeometricModel().fit_survival([1000, 1200])
    assert info.value.field == "table"
    with pytest.raises(ValidationError):
        ShiftedBetaGeometricModel().fit_renewals([0, 1], [True, False])


def test_gaps_in_a_survival_table_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        ShiftedBetaGeometricModel().fit_survival([1000, np.nan, 468, 382])
    assert info.value.field == "table"
    with pytest.raises(ValidationError):
        ShiftedBetaGeometricModel().fit_survival(pd.DataFrame({"a": [1000, 600, np.nan, 400]}))


def test_each_cohort_gets_its_own_parameters() -> None:
    table = pd.DataFrame({"regular": REGULAR, "high end": HIGH_END})
    models = ShiftedBetaGeometricModel.fit_each_cohort(table)
    assert set(models) == {"regular", "high end"}
    np.testing.assert_allclose(models["regular"].params_, [0.704, 1.182], atol=5e-4)
    np.testing.assert_allclose(models["high end"].params_, [0.668, 3.806], atol=5e-4)
