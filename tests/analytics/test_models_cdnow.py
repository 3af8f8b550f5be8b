"""The models reproduce the published CDNOW numbers (Fader, Hardie and Lee 2005 and notes)."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest

from relationship_core.analytics._clv import Horizon, customer_lifetime_value
from relationship_core.analytics._models.bgnbd import BetaGeoModel
from relationship_core.analytics._models.gammagamma import GammaGammaModel
from relationship_core.analytics._models.mbgnbd import ModifiedBetaGeoModel
from relationship_core.analytics._models.paretonbd import ParetoNBDModel

# The sample ships inside the package, so these reproduction tests never skip.
CDNOW = resources.files("relationship_core.analytics") / "data" / "CDNOW_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """Hardie's calibration summary in weeks (same-day purchases are one transaction)."""
    with resources.as_file(CDNOW) as path:
        raw = pd.read_csv(
            path,
            sep=r"\s+",
            header=None,
            names=["master", "id", "date", "cds", "value"],
            dtype={"date": str},
        )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    daily = raw.groupby(["id", "date"], as_index=False).agg(value=("value", "sum"))
    first = daily.groupby("id")["date"].min()
    calibration = daily[daily["date"] <= CALIBRATION_END]
    grouped = calibration.groupby("id")
    summary = pd.DataFrame(
        {
            "frequency": (grouped.size() - 1).astype(float),
            "recency": (grouped["date"].max() - first).dt.days / 7,
            "T": (CALIBRATION_END - first).dt.days / 7,
        }
    )
    repeat = calibration[calibration["date"] > calibration["id"].map(first)]
    summary["monetary_value"] = (
        repeat.groupby("id")["value"].mean().reindex(summary.index).fillna(0.0)
    )
    holdout = daily[(daily["date"] > CALIBRATION_END) & (daily["date"] <= HOLDOUT_END)]
    summary["holdout"] = holdout.groupby("id").size().reindex(summary.index).fillna(0.0)
    return summary


@pytest.fixture(scope="module")
def bgnbd(cdnow: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow)


@pytest.fixture(scope="module")
def pnbd(cdnow: pd.DataFrame) -> ParetoNBDModel:
    return ParetoNBDModel().fit(cdnow)


def test_summary_matches_hardie(cdnow: pd.DataFrame) -> None:
    assert len(cdnow) == 2357
    assert int((cdnow["frequency"] > 0).sum()) == 946
    assert cdnow["T"].max() == pytest.approx(272 / 7)


def test_bgnbd_reproduces_the_paper(bgnbd: BetaGeoModel) -> None:
    expected = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert bgnbd.params_ is not None
    for name, value in expected.items():
        assert abs(bgnbd.params_[name] - value) < 5e-4, name
    assert abs(bgnbd.log_likelihood_ - -9582.4) < 0.1
    assert bgnbd.diagnostics_ is not None
    assert bgnbd.diagnostics_.converged
    assert bgnbd.diagnostics_.hessian_positive_definite


def test_pareto_nbd_reproduces_the_paper(pnbd: ParetoNBDModel) -> None:
    expected = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert pnbd.params_ is not None
    for name, value in expected.items():
        assert abs(pnbd.params_[name] - value) < 5e-3, name
    assert abs(pnbd.log_likelihood_ - -9595.0) < 0.1
    assert pnbd.diagnostics_ is not None
    assert pnbd.diagnostics_.converged


@pytest.mark.parametrize("model_name", ["bgnbd", "pnbd"])
def test_standard_errors_are_positive_and_finite(
    model_name: str, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue(model_name)
    se = model.standard_errors_.to_numpy()
    assert np.all(np.isfinite(se))
    assert np.all(se > 0)
    table = model.summary()
    assert list(table.columns) == ["estimate", "std error", "lower 95%", "upper 95%"]
    assert np.all(table["lower 95%"] < table["estimate"])
    assert np.all(table["estimate"] < table["upper 95%"])
    assert "std error" in repr(table)


def test_bgnbd_standard_errors_match_lifetimes_order(bgnbd: BetaGeoModel) -> None:
    # lifetimes 0.11.3 reports se(r) 0.0126, se(alpha) 0.378 on the same data.
    assert bgnbd.standard_errors_ is not None
    assert bgnbd.standard_errors_["r"] == pytest.approx(0.0126, abs=5e-4)
    assert bgnbd.standard_errors_["alpha"] == pytest.approx(0.378, abs=5e-3)


@pytest.mark.parametrize(("model_name", "published"), [("bgnbd", 0.626), ("pnbd", 0.630)])
def test_holdout_correlation(
    model_name: str, published: float, cdnow: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    model = request.getfixturevalue(model_name)
    predicted = model.expected_purchases(39, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    correlation = np.corrcoef(predicted, cdnow["holdout"])[0, 1]
    assert abs(correlation - published) < 0.005


def test_gamma_gamma_reproduces_the_note(cdnow: pd.DataFrame) -> None:
    repeat = cdnow[cdnow["frequency"] > 0]
    assert len(repeat) == 946
    model = GammaGammaModel().fit(repeat)
    assert model.params_ is not None
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert abs(model.params_[name] - value) < 5e-3, name
    assert abs(model.mean_spend() - 35.17) < 0.005  # published to the cent
    assert np.all(np.isfinite(model.standard_errors_.to_numpy()))
    spend = model.conditional_expected_average_spend(repeat["frequency"], repeat["monetary_value"])
    # shrinkage: every conditional mean lies between the customer's own and the population's
    low = np.minimum(repeat["monetary_value"], model.mean_spend())
    high = np.maximum(repeat["monetary_value"], model.mean_spend())
    assert np.all((spend >= low - 1e-9) & (spend <= high + 1e-9))


def test_clv_is_the_discounted_sum_of_expected_spend(
    bgnbd: BetaGeoModel, cdnow: pd.DataFrame
) -> None:
    spend_model = GammaGammaModel().fit(cdnow[cdnow["frequency"] > 0])
    undiscounted = Horizon(length=39, unit="week", discount_rate=0.0, discounting="per_period")
    clv = customer_lifetime_value(bgnbd, spend_model, cdnow, undiscounted, data_unit="week")
    expected = bgnbd.expected_purchases(
        39, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    ) * spend_model.conditional_expected_average_spend(cdnow["frequency"], cdnow["monetary_value"])
    np.testing.assert_allclose(clv.to_numpy(), expected, rtol=1e-10)
    assert clv.index.equals(cdnow.index)
    discounted = customer_lifetime_value(
        bgnbd,
        spend_model,
        cdnow,
        Horizon(length=9, unit="month", discount_rate=0.01, discounting="continuous"),
        data_unit="week",
    )
    assert np.all(discounted.to_numpy() < clv.to_numpy())
    assert np.all(discounted.to_numpy() > 0)


def test_modified_bgnbd_matches_lifetimes(cdnow: pd.DataFrame) -> None:
    model = ModifiedBetaGeoModel().fit(cdnow)
    # lifetimes 0.11.3 ModifiedBetaGeoFitter on the same summary
    expected = {"r": 0.524843, "alpha": 6.183082, "a": 0.891360, "b": 1.614003}
    for name, value in expected.items():
        assert model.params_[name] == pytest.approx(value, rel=1e-4), name
    assert model.diagnostics_.converged
    predicted = model.expected_purchases(
        39, np.array([0, 2, 5.0]), np.array([0, 10, 30.0]), np.array([39, 39, 39.0])
    )
    np.testing.assert_allclose(predicted, [0.15338125, 0.41520713, 2.58167067], rtol=1e-4)
    p = model.probability_of_purchases(np.arange(400), 39)
    assert p.sum() == pytest.approx(1.0)
    assert float(np.arange(400) @ p) == pytest.approx(float(model.expected_purchases_new(39)[0]))
