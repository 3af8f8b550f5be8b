"""Summaries carry their time unit; CLV reads it and refuses a contradiction or a loss."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from relationship_core.analytics import (
    GammaGammaModel,
    Horizon,
    ParetoNBDModel,
    calibration_holdout_summary,
    customer_lifetime_value,
    customer_summary,
    gamma_gamma_input,
)
from relationship_core.analytics._summary_info import SUMMARY_ATTR
from relationship_core.exceptions import ValidationError

MODEL = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
SPEND = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
YEAR = Horizon(12, "month", discount_rate=0.01)


def transactions() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c", "d"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-15", "2024-02-20", "2024-01-08",
                 "2024-01-03", "2024-02-01", "2024-03-01"]
            ),
            "amount": [10.0, 20.0, 30.0, 7.0, 15.0, 0.0, 9.0],
        }
    )  # fmt: skip
    frame.attrs["currency"] = "EUR"
    return frame


def weekly() -> pd.DataFrame:
    return customer_summary(transactions(), time_unit="week", observation_end=date(2024, 3, 31))


def test_summaries_record_unit_ends_and_currency() -> None:
    info = weekly().attrs[SUMMARY_ATTR]
    assert info == {
        "unit": "week",
        "calibration_end": "2024-03-31",
        "observation_end": "2024-03-31",
        "currency": "EUR",
    }
    split = calibration_holdout_summary(
        transactions(),
        time_unit="day",
        calibration_end=date(2024, 2, 1),
        observation_end=date(2024, 3, 31),
    )
    assert split.attrs[SUMMARY_ATTR]["unit"] == "day"
    assert split.attrs[SUMMARY_ATTR]["calibration_end"] == "2024-02-01"


def test_clv_reads_the_unit_and_refuses_a_contradiction() -> None:
    summary = weekly()
    implicit = customer_lifetime_value(MODEL, SPEND, summary, YEAR)
    explicit = customer_lifetime_value(MODEL, SPEND, summary, YEAR, data_unit="week")
    pd.testing.assert_series_equal(implicit, explicit)
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(MODEL, SPEND, summary, YEAR, data_unit="day")
    assert info.value.field == "data_unit"
    assert "week" in str(info.value)
    # the mistake this prevents: a weekly summary valued as daily is several times too high
    days = summary.copy()
    days.attrs = {}
    wrong = customer_lifetime_value(MODEL, SPEND, days, YEAR, data_unit="day")
    assert wrong.sum() > 3 * implicit.sum()


def test_a_summary_that_lost_its_unit_needs_it_explicitly() -> None:
    summary = weekly()
    segments = pd.DataFrame({"segment": ["x", "y", "x", "y"]}, index=summary.index)
    merged = summary.merge(segments, left_index=True, right_index=True)
    assert SUMMARY_ATTR not in merged.attrs  # pandas drops attrs on merge (2.x and 3.x)
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(MODEL, SPEND, merged, YEAR)
    assert info.value.field == "data_unit"
    assert "merge" in str(info.value)
    given = customer_lifetime_value(MODEL, SPEND, merged, YEAR, data_unit="week")
    np.testing.assert_allclose(given, customer_lifetime_value(MODEL, SPEND, summary, YEAR))
    merged.attrs = summary.attrs  # the documented repair
    assert customer_lifetime_value(MODEL, SPEND, merged, YEAR).equals(given)
    with pytest.raises(ValidationError):
        customer_lifetime_value(MODEL, SPEND, merged, YEAR, data_unit="fortnight")


def test_what_pandas_keeps_and_drops() -> None:
    """The behaviour docs/analytics.md describes, checked on the installed pandas."""
    summary = weekly()
    kept = {
        "mask": summary[summary.frequency > 0],
        "loc": summary.loc[["a", "b"]],
        "iloc": summary.iloc[:2],
        "assign": summary.assign(extra=1),
        "concat of like frames": pd.concat([summary, summary]),
    }
    for name, frame in kept.items():
        assert frame.attrs.get(SUMMARY_ATTR, {}).get("unit") == "week", name
    other = customer_summary(transactions(), time_unit="week", observation_end=date(2024, 4, 30))
    dropped = {
        "merge": summary.merge(other, left_index=True, right_index=True),
        "join": summary.join(other[["T"]].rename(columns={"T": "T_later"})),
        "concat of unlike frames": pd.concat([summary, other]),
    }
    for name, frame in dropped.items():
        assert SUMMARY_ATTR not in frame.attrs, name


def test_clv_as_frame_puts_the_inputs_beside_the_value() -> None:
    summary = weekly()
    frame = customer_lifetime_value(MODEL, SPEND, summary, YEAR, as_frame=True)
    assert list(frame.columns) == [
        "frequency", "recency", "T", "monetary_value",
        "expected_purchases", "expected_spend", "clv",
    ]  # fmt: skip
    pd.testing.assert_series_equal(
        frame["clv"], customer_lifetime_value(MODEL, SPEND, summary, YEAR)
    )
    undiscounted = customer_lifetime_value(
        MODEL, SPEND, summary, Horizon(12, "month"), as_frame=True
    )
    np.testing.assert_allclose(
        undiscounted["clv"], undiscounted["expected_purchases"] * undiscounted["expected_spend"]
    )
    assert frame.attrs[SUMMARY_ATTR]["unit"] == "week"


def test_gamma_gamma_recipe_survives_a_zero_dollar_repeat_order() -> None:
    summary = weekly()  # customer c's only repeat order is $0.00
    assert summary.loc["c", "frequency"] == 1
    assert summary.loc["c", "monetary_value"] == 0.0
    with pytest.raises(ValidationError, match="gamma_gamma_input"):
        GammaGammaModel().fit(summary[summary.frequency > 0])
    buyers, left_out = gamma_gamma_input(summary)
    assert list(buyers.index) == ["a"]
    assert left_out == {"no_repeat_purchase": 2, "no_positive_spend": 1}
    assert buyers.attrs[SUMMARY_ATTR]["unit"] == "week"


def test_gamma_gamma_input_fits_on_real_data_with_a_free_order() -> None:
    rng = np.random.default_rng(3)
    n = 300
    summary = pd.DataFrame(
        {
            "frequency": rng.integers(0, 6, n).astype(float),
            "recency": np.zeros(n),
            "T": np.full(n, 30.0),
            "monetary_value": rng.gamma(6.0, 5.0, n),
        }
    )
    summary.loc[summary.frequency == 0, "monetary_value"] = 0.0
    summary.loc[summary.index[summary.frequency > 0][0], "monetary_value"] = 0.0  # $0.00 repeat
    buyers, left_out = gamma_gamma_input(summary)
    assert left_out["no_positive_spend"] == 1
    model = GammaGammaModel().fit(buyers)
    assert model.diagnostics_.converged
    with pytest.raises(ValidationError):
        gamma_gamma_input(summary.drop(columns="monetary_value"))


def test_clv_refuses_a_summary_in_another_unit_than_the_model() -> None:
    rng = np.random.default_rng(11)
    n = 400
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    rows = [
        (i, first + pd.Timedelta(days=int(k * rng.integers(5, 40))), 10.0 + k)
        for i, first in enumerate(start)
        for k in range(int(rng.integers(1, 5)))
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    end = date(2024, 6, 30)
    weeks = customer_summary(tx, time_unit="week", observation_end=end)
    days = customer_summary(tx, time_unit="day", observation_end=end)
    model = ParetoNBDModel().fit(weeks)
    assert model.time_unit_ == "week"
    assert ParetoNBDModel.from_params(r=1, alpha=1, s=1, beta=1).time_unit_ is None
    customer_lifetime_value(model, SPEND, weeks, YEAR)
    with pytest.raises(ValidationError) as info:
        customer_lifetime_value(model, SPEND, days, YEAR)
    assert "fitted on a summary in weeks" in str(info.value)
