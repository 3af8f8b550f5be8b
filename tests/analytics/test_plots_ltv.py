"""Plots render (Agg) and show the numbers they claim to show."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from relationship_core.analytics import (
    TimeUnit,
    calibration_holdout_summary,
    cohort_retention_table,
    frequency_recency_matrix,
    holdout_report,
    load_cdnow_sample,
    period_transactions,
    plot_calibration_vs_holdout,
    plot_cohort_retention,
    plot_cumulative_transactions,
    plot_frequency_recency_matrix,
    plot_incremental_transactions,
    plot_period_transactions,
    plot_probability_alive_matrix,
    probability_alive_matrix,
    repeat_transactions_tracking,
)
from relationship_core.analytics._models.bgnbd import BetaGeoModel
from relationship_core.exceptions import ValidationError

Array = npt.NDArray[np.float64]
CAL_END = date(1997, 9, 30)
OBS_END = date(1998, 6, 30)


@pytest.fixture(autouse=True)
def _agg() -> Iterator[None]:
    mpl.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_sample()


@pytest.fixture(scope="module")
def split(cdnow: pd.DataFrame) -> pd.DataFrame:
    return calibration_holdout_summary(
        cdnow, time_unit="week", calibration_end=CAL_END, observation_end=OBS_END
    )


@pytest.fixture(scope="module")
def model() -> BetaGeoModel:
    # The published BG/NBD estimates for CDNOW (Fader, Hardie and Lee 2005).
    return BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _axes() -> Axes:
    return Figure().subplots()


def _save(ax: Axes, path: Path) -> None:
    figure = ax.figure
    assert isinstance(figure, Figure)
    figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _data(values: object) -> Array:
    return np.asarray(values, dtype=np.float64)


class Counting:
    """Wraps a model and records the largest array any method was asked for."""

    def __init__(self, inner: BetaGeoModel) -> None:
        self.inner = inner
        self.largest = 0

    def _seen(self, *arrays: object) -> None:
        self.largest = max(self.largest, *(int(np.size(np.asarray(a))) for a in arrays))

    def expected_purchases(
        self,
        t: object,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803
    ) -> Array:
        self._seen(t, frequency, recency, T)
        return self.inner.expected_purchases(t, frequency, recency, T)  # type: ignore[arg-type]

    def expected_purchases_new(self, t: object) -> Array:
        self._seen(t)
        return self.inner.expected_purchases_new(t)  # type: ignore[arg-type]

    def probability_alive(
        self,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803
    ) -> Array:
        self._seen(frequency, recency, T)
        return self.inner.probability_alive(frequency, recency, T)  # type: ignore[arg-type]

    def probability_of_purchases(self, n: object, t: object) -> Array:
        self._seen(n, t)
        return self.inner.probability_of_purchases(n, t)  # type: ignore[arg-type]


# -- period transactions and conditional expectations ----------------------------------


def test_period_transactions_bars(model: BetaGeoModel, split: pd.DataFrame, tmp_path: Path) -> None:
    ax = _axes()
    assert plot_period_transactions(model, split, ax=ax) is ax
    _save(ax, tmp_path / "period.png")
    actual, expected = (c for c in ax.containers if isinstance(c, BarContainer))
    heights = [p.get_height() for p in actual.patches]
    assert heights == [1411, 439, 214, 100, 62, 38, 29, 64]
    # the model's bars: sum over every customer of P(X(T_i) = n), customer by customer
    ages = split["T"].to_numpy()
    direct = [float(model.probability_of_purchases(n, ages).sum()) for n in range(7)]
    direct.append(len(split) - sum(direct))
    np.testing.assert_allclose([p.get_height() for p in expected.patches], direct, rtol=1e-10)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"
    table = period_transactions(model, split, max_frequency=3)
    assert list(table.index) == ["0", "1", "2", "3+"]
    assert table["actual"].sum() == table["model"].sum() == pytest.approx(2357)


def test_calibration_vs_holdout_lines(
    model: BetaGeoModel, split: pd.DataFrame, tmp_path: Path
) -> None:
    report = holdout_report(model, split)
    ax = plot_calibration_vs_holdout(report)
    _save(ax, tmp_path / "conditional.png")
    actual, predicted = ax.get_lines()
    np.testing.assert_allclose(_data(actual.get_ydata()), report.to_frame()["actual"].to_numpy())
    np.testing.assert_allclose(
        _data(predicted.get_ydata()), report.to_frame()["predicted"].to_numpy()
    )


# -- tracking -----------------------------------------------------------------------------


def test_tracking_table_on_cdnow(
    model: BetaGeoModel, cdnow: pd.DataFrame, split: pd.DataFrame
) -> None:
    tracking = repeat_transactions_tracking(model, cdnow, time_unit="week", observation_end=OBS_END)
    assert list(tracking.index) == list(range(1, 79))  # 78 weeks
    # the published repeat-transaction totals: 2,457 in weeks 1-39, 1,882 in 40-78
    assert tracking.loc[39, "actual_cumulative"] == 2457
    assert tracking.loc[78, "actual_cumulative"] == 2457 + 1882
    np.testing.assert_allclose(tracking["actual"].cumsum(), tracking["actual_cumulative"])
    np.testing.assert_allclose(tracking["predicted"].cumsum(), tracking["predicted_cumulative"])
    # at the end of calibration the model's count is sum_i E[X(T_i)], customer by customer
    expected_39 = float(model.expected_purchases_new(split["T"].to_numpy()).sum())
    assert tracking.loc[39, "predicted_cumulative"] == pytest.approx(expected_39, rel=1e-10)
    # and at any week k, with each customer's age at the last day of the week
    first = cdnow.groupby("customer_id")["date"].min()
    start = first.min()
    for week in (1, 10, 52, 78):
        last_day = start + pd.Timedelta(days=7 * week - 1)
        age = ((last_day - first).dt.days.clip(lower=0) / 7).to_numpy(dtype=float)
        direct = float(model.expected_purchases_new(age).sum())
        assert tracking.loc[week, "predicted_cumulative"] == pytest.approx(direct, rel=1e-10)


def test_tracking_plots(model: BetaGeoModel, cdnow: pd.DataFrame, tmp_path: Path) -> None:
    tracking = repeat_transactions_tracking(model, cdnow, time_unit="week", observation_end=OBS_END)
    ax = plot_cumulative_transactions(tracking, calibration_period=39, ax=_axes())
    _save(ax, tmp_path / "cumulative.png")
    actual, predicted, line = ax.get_lines()
    np.testing.assert_allclose(_data(actual.get_ydata()), tracking["actual_cumulative"].to_numpy())
    np.testing.assert_allclose(
        _data(predicted.get_ydata()), tracking["predicted_cumulative"].to_numpy()
    )
    assert list(_data(line.get_xdata())) == [39, 39]
    ax = plot_incremental_transactions(tracking, ax=_axes())
    _save(ax, tmp_path / "incremental.png")
    actual, predicted = ax.get_lines()
    np.testing.assert_allclose(_data(actual.get_ydata()), tracking["actual"].to_numpy())
    np.testing.assert_allclose(_data(predicted.get_ydata()), tracking["predicted"].to_numpy())
    np.testing.assert_allclose(_data(actual.get_xdata()), np.arange(1, 79))


def test_tracking_refuses_an_empty_period(model: BetaGeoModel, cdnow: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="no transactions"):
        repeat_transactions_tracking(
            model, cdnow, time_unit="week", observation_end=date(1996, 1, 1)
        )


# -- matrices -----------------------------------------------------------------------------


def test_probability_alive_matrix_values_and_image(model: BetaGeoModel, tmp_path: Path) -> None:
    matrix = probability_alive_matrix(model, max_frequency=20, T=39.0, grid_size=11)
    assert list(matrix.index) == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    np.testing.assert_allclose(matrix.columns.to_numpy(), np.linspace(0, 39, 11))
    f, r = np.meshgrid(matrix.index.to_numpy(float), matrix.columns.to_numpy(), indexing="ij")
    direct = model.probability_alive(f.ravel(), r.ravel(), np.full(f.size, 39.0)).reshape(f.shape)
    values = matrix.to_numpy()
    possible = (f > 0) | (r == 0)
    np.testing.assert_allclose(values[possible], direct[possible])
    assert np.isnan(values[~possible]).all()  # no repeat purchase means recency 0
    assert ((values[possible] >= 0) & (values[possible] <= 1)).all()

    ax = plot_probability_alive_matrix(model, max_frequency=20, T=39.0, grid_size=11, ax=_axes())
    _save(ax, tmp_path / "alive.png")
    image = ax.get_images()[0].get_array()
    assert image is not None
    np.testing.assert_allclose(np.ma.filled(image, np.nan), values)
    # cells are centred on their grid values: recency 0..39 in 11 cells of 3.9
    assert ax.get_images()[0].get_extent() == pytest.approx([-1.95, 40.95, -1.0, 21.0])


def test_frequency_recency_matrix_values_and_image(model: BetaGeoModel, tmp_path: Path) -> None:
    matrix = frequency_recency_matrix(model, t=10, max_frequency=5, T=30.0, grid_size=4)
    assert list(matrix.index) == [0, 2, 3, 5]
    cell = model.expected_purchases(10.0, [3.0], [20.0], [30.0])
    assert matrix.loc[3, 20.0] == pytest.approx(float(cell[0]))
    assert matrix.loc[0, 0.0] == pytest.approx(float(model.expected_purchases(10.0, 0, 0, 30)[0]))
    ax = plot_frequency_recency_matrix(model, t=10, max_frequency=5, T=30.0, grid_size=4)
    _save(ax, tmp_path / "frequency_recency.png")
    image = ax.get_images()[0].get_array()
    assert image is not None
    np.testing.assert_allclose(np.ma.filled(image, np.nan), matrix.to_numpy())


def test_matrices_stay_small_for_huge_frequencies(model: BetaGeoModel) -> None:
    counting = Counting(model)
    tracemalloc.start()
    try:
        matrix = probability_alive_matrix(
            counting, max_frequency=10_000, T=10_000.0, grid_size=1000
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert matrix.shape == (1000, 1000)
    assert counting.largest <= 1 << 18  # evaluated in chunks
    assert peak < 100 * 2**20  # well under 100 MB
    finite = matrix.to_numpy()[np.isfinite(matrix.to_numpy())]
    assert ((finite >= 0) & (finite <= 1)).all()


def test_matrix_arguments_are_checked(model: BetaGeoModel) -> None:
    with pytest.raises(ValidationError, match="at most 1000"):
        probability_alive_matrix(model, max_frequency=10, T=10.0, grid_size=5000)
    with pytest.raises(ValidationError, match="positive age"):
        probability_alive_matrix(model, max_frequency=10, T=0.0)
    with pytest.raises(ValidationError, match="positive window"):
        frequency_recency_matrix(model, t=0, max_frequency=10, T=10.0)


# -- cohorts ------------------------------------------------------------------------------


def _tx(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "date": pd.to_datetime([r[1] for r in rows])}
    )


def test_monthly_cohort_retention_table() -> None:
    tx = _tx(
        [
            ("a", "2024-01-05"),
            ("a", "2024-02-10"),
            ("a", "2024-04-01"),  # after the end: ignored
            ("b", "2024-01-20"),
            ("c", "2024-02-03"),
            ("c", "2024-02-20"),
            ("c", "2024-03-15"),
        ]
    )
    table = cohort_retention_table(tx, time_unit="month", observation_end=date(2024, 3, 31))
    assert list(table.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert list(table.columns) == [0, 1, 2]
    np.testing.assert_array_equal(table.to_numpy(), [[1.0, 0.5, 0.0], [1.0, 1.0, np.nan]])
    counts = cohort_retention_table(
        tx, time_unit="month", observation_end=date(2024, 3, 31), normalize=False
    )
    np.testing.assert_array_equal(counts.to_numpy(), [[2.0, 1.0, 0.0], [1.0, 1.0, np.nan]])


def test_weekly_cohorts_start_on_monday() -> None:
    tx = _tx([("a", "2024-01-07"), ("a", "2024-01-08"), ("b", "2024-01-08")])  # Sun, Mon
    table = cohort_retention_table(tx, time_unit="week", observation_end=date(2024, 1, 9))
    assert list(table.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    np.testing.assert_array_equal(table.to_numpy(), [[1.0, 1.0], [1.0, np.nan]])
    daily = cohort_retention_table(tx, time_unit="day", observation_end=date(2024, 1, 9))
    assert daily.shape == (2, 3)


def test_cohort_heatmap(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    table = cohort_retention_table(cdnow, time_unit="month", observation_end=OBS_END)
    assert list(table.index) == [pd.Timestamp(f"1997-0{m}-01") for m in (1, 2, 3)]
    assert table.shape == (3, 18)
    assert (table[0] == 1.0).all()
    ax = plot_cohort_retention(table)
    _save(ax, tmp_path / "cohorts.png")
    image = ax.get_images()[0].get_array()
    assert image is not None
    np.testing.assert_allclose(np.ma.filled(image, np.nan), table.to_numpy())
    labelled = [t.get_text() for t in ax.texts]
    assert len(labelled) == int(np.isfinite(table.to_numpy()).sum())
    assert labelled[0] == "100%"


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from("abcdefg"), st.integers(min_value=0, max_value=200)),
        min_size=1,
        max_size=40,
    ),
    end=st.integers(min_value=0, max_value=220),
    unit=st.sampled_from(list(TimeUnit)),
)
def test_cohort_table_properties(rows: list[tuple[str, int]], end: int, unit: TimeUnit) -> None:
    start = date(2024, 1, 1)
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([start + timedelta(days=r[1]) for r in rows]),
        }
    )
    end_day = start + timedelta(days=end)
    if min(r[1] for r in rows) > end:
        with pytest.raises(ValidationError, match="no transactions"):
            cohort_retention_table(tx, time_unit=unit, observation_end=end_day)
        return
    shares = cohort_retention_table(tx, time_unit=unit, observation_end=end_day)
    counts = cohort_retention_table(tx, time_unit=unit, observation_end=end_day, normalize=False)
    values = shares.to_numpy()
    assert (shares[0] == 1.0).all()
    observed = np.isfinite(values)
    assert ((values[observed] >= 0) & (values[observed] <= 1)).all()
    # the unobservable cells form a staircase: later cohorts see fewer periods
    seen = observed.sum(axis=1)
    assert list(seen) == sorted(seen, reverse=True)
    assert seen[0] == values.shape[1]
    # every customer seen by the end is in exactly one cohort
    active = {r[0] for r in rows if r[1] <= end}
    assert counts[0].sum() == len(active)
    assert shares.index.is_monotonic_increasing
