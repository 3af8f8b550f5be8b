"""The holdout report: its numbers against direct computations, and against the papers."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln

from relationship_core.analytics import (
    HoldoutReport,
    TransactionModel,
    calibration_holdout_summary,
    holdout_report,
    load_cdnow_sample,
)
from relationship_core.exceptions import ValidationError

Array = npt.NDArray[np.float64]

# A tiny closed-form model implementing the TransactionModel protocol: the NBD model
# (gamma-mixed Poisson purchasing, nobody leaves) with a made-up bounded P(alive).


class NBDModel:
    """E[X(t)] = r t / alpha; posterior rate (r + x) / (alpha + T)."""

    def __init__(self, r: float = 0.5, alpha: float = 10.0) -> None:
        self.r = r
        self.alpha = alpha
        self.largest_call = 0
        self.calls = 0

    def _seen(self, *arrays: object) -> None:
        self.calls += 1
        size = max(int(np.size(np.asarray(a))) for a in arrays)
        self.largest_call = max(self.largest_call, size)

    def expected_purchases(
        self,
        t: object,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803
    ) -> Array:
        self._seen(t, frequency, recency, T)
        x = np.asarray(frequency, dtype=np.float64)
        age = np.asarray(T, dtype=np.float64)
        return np.asarray((self.r + x) / (self.alpha + age) * np.asarray(t, dtype=np.float64))

    def expected_purchases_new(self, t: object) -> Array:
        self._seen(t)
        return np.asarray(self.r * np.asarray(t, dtype=np.float64) / self.alpha)

    def probability_alive(
        self,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803
    ) -> Array:
        self._seen(frequency, recency, T)
        x = np.asarray(frequency, dtype=np.float64)
        gap = np.asarray(T, dtype=np.float64) - np.asarray(recency, dtype=np.float64)
        return np.asarray(np.exp(-gap / (1.0 + x)))

    def probability_of_purchases(self, n: object, t: object) -> Array:
        self._seen(n, t)
        k = np.asarray(n, dtype=np.float64)
        time = np.asarray(t, dtype=np.float64)
        log_p = (
            gammaln(self.r + k)
            - gammaln(self.r)
            - gammaln(k + 1)
            + self.r * np.log(self.alpha / (self.alpha + time))
            + k * np.log(time / (self.alpha + time))
        )
        return np.asarray(np.exp(log_p))


@pytest.fixture(scope="module")
def cdnow_split() -> pd.DataFrame:
    return calibration_holdout_summary(
        load_cdnow_sample(),
        time_unit="week",
        calibration_end=date(1997, 9, 30),
        observation_end=date(1998, 6, 30),
    )


def test_fake_model_satisfies_the_protocol() -> None:
    assert isinstance(NBDModel(), TransactionModel)


def test_report_numbers_match_direct_computation(cdnow_split: pd.DataFrame) -> None:
    model = NBDModel(r=0.4, alpha=12.0)
    report = holdout_report(model, cdnow_split)
    x = cdnow_split["frequency"].to_numpy(dtype=float)
    predicted = (0.4 + x) / (12.0 + cdnow_split["T"].to_numpy()) * 39.0
    actual = cdnow_split["frequency_holdout"].to_numpy(dtype=float)
    assert report.total_actual == 1882
    assert report.total_predicted == pytest.approx(predicted.sum())
    assert report.total_error == pytest.approx(predicted.sum() - 1882)
    assert report.relative_error == pytest.approx((predicted.sum() - 1882) / 1882)
    assert report.mae == pytest.approx(np.abs(predicted - actual).mean())
    assert report.rmse == pytest.approx(math.sqrt(((predicted - actual) ** 2).mean()))
    assert report.correlation == pytest.approx(np.corrcoef(predicted, actual)[0, 1])
    np.testing.assert_allclose(report.customers["predicted"].to_numpy(), predicted)
    assert report.customers.index.equals(cdnow_split.index)

    table = report.to_frame()
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert list(table.columns) == ["customers", "actual", "predicted"]
    assert table["customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    heavy = x >= 7
    assert table.loc["7+", "actual"] == pytest.approx(actual[heavy].mean())
    assert table.loc["7+", "predicted"] == pytest.approx(predicted[heavy].mean())
    assert table.loc["0", "actual"] == pytest.approx(actual[x == 0].mean())
    # to_frame() is a copy: editing it leaves the report alone
    table.loc["0", "actual"] = -1.0
    assert report.conditional_expectations.loc["0", "actual"] > 0

    metrics = report.metrics()
    assert metrics["customers"] == 2357
    assert metrics["correlation"] == report.correlation


def test_repr_is_readable(cdnow_split: pd.DataFrame) -> None:
    text = repr(holdout_report(NBDModel(), cdnow_split, max_frequency=3))
    assert text.startswith("HoldoutReport (2,357 customers)")
    assert "total actual     1,882" in text
    assert "correlation" in text
    assert "MAE" in text
    assert "RMSE" in text
    assert "3+" in text
    assert "7+" not in text


def test_bad_input_is_refused(cdnow_split: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="calibration_holdout_summary"):
        holdout_report(NBDModel(), cdnow_split.drop(columns="frequency_holdout"))
    with pytest.raises(ValidationError, match="integer >= 1"):
        holdout_report(NBDModel(), cdnow_split, max_frequency=0)

    class Broken(NBDModel):
        def expected_purchases(
            self,
            t: object,
            frequency: object,
            recency: object,
            T: object,  # noqa: N803
        ) -> Array:
            out = np.array(super().expected_purchases(t, frequency, recency, T))
            out[5] = np.nan
            return out

    with pytest.raises(ValidationError, match="non-finite holdout purchases for 1 customers"):
        holdout_report(Broken(), cdnow_split)


@settings(max_examples=30, deadline=None)
@given(
    frequency=st.lists(st.integers(0, 30), min_size=1, max_size=30),
    cap=st.integers(1, 10),
)
def test_table_counts_add_up_and_constant_correlation_is_nan(
    frequency: list[int], cap: int
) -> None:
    n = len(frequency)
    split = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": [float(f) for f in frequency],
            "T": [40.0] * n,
            "frequency_holdout": [1] * n,  # constant actuals: correlation undefined
            "duration_holdout": [10.0] * n,
        }
    )
    report = holdout_report(NBDModel(), split, max_frequency=cap)
    table = report.to_frame()
    assert len(table) == cap + 1
    assert table["customers"].sum() == n
    assert table.loc[f"{cap}+", "customers"] == sum(f >= cap for f in frequency)
    assert math.isnan(report.correlation)
    assert isinstance(report, HoldoutReport)


def test_real_models_reproduce_the_published_holdout_correlations(
    cdnow_split: pd.DataFrame,
) -> None:
    models = pytest.importorskip("relationship_core.analytics._models.bgnbd")
    pareto = pytest.importorskip("relationship_core.analytics._models.paretonbd")
    bgnbd = models.BetaGeoModel().fit(cdnow_split)
    # Fader, Hardie and Lee (2005): 0.626 (BG/NBD) and 0.630 (Pareto/NBD), weeks 40-78.
    assert holdout_report(bgnbd, cdnow_split).correlation == pytest.approx(0.626, abs=0.005)
    pnbd = pareto.ParetoNBDModel().fit(cdnow_split)
    assert holdout_report(pnbd, cdnow_split).correlation == pytest.approx(0.630, abs=0.005)
    report = holdout_report(bgnbd, cdnow_split)
    # the conditional expectations of the BG/NBD paper (figure 4): zero-repeaters
    # bought 0.237 times on average in the holdout; the model says about 0.23
    assert report.to_frame().loc["0", "actual"] == pytest.approx(0.237, abs=5e-4)
    assert report.to_frame().loc["0", "predicted"] == pytest.approx(0.225, abs=0.01)
