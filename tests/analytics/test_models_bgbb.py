"""BG/BB on the donations data of Fader, Hardie and Shang (2010)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relationship_core.analytics._models.bgbb import BetaGeoBetaBinomModel
from relationship_core.exceptions import ValidationError

# Repeat donations in 1996-2001 by the 11,104 first-time donors of 1995, as
# (frequency, recency, count) patterns over six opportunities (FHS 2010, table 1).
PATTERNS = [
    (0, 0, 3464), (1, 1, 1091), (1, 2, 277), (1, 3, 129), (1, 4, 78), (1, 5, 119),
    (1, 6, 129), (2, 2, 613), (2, 3, 255), (2, 4, 155), (2, 5, 173), (2, 6, 234),
    (3, 3, 322), (3, 4, 181), (3, 5, 225), (3, 6, 357), (4, 4, 240), (4, 5, 284),
    (4, 6, 512), (5, 5, 335), (5, 6, 728), (6, 6, 1203),
]  # fmt: skip


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    frame = pd.DataFrame(PATTERNS, columns=["frequency", "recency", "count"])
    frame["n_periods"] = 6
    return frame


@pytest.fixture(scope="module")
def model(donations: pd.DataFrame) -> BetaGeoBetaBinomModel:
    return BetaGeoBetaBinomModel().fit(donations, weights=donations["count"])


def test_reproduces_the_paper(donations: pd.DataFrame, model: BetaGeoBetaBinomModel) -> None:
    assert int(donations["count"].sum()) == 11_104
    expected = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    for name, value in expected.items():
        assert abs(model.params_[name] - value) < 5e-4, name
    assert model.log_likelihood_ == pytest.approx(-33225.58, abs=0.01)
    assert np.all(model.standard_errors_.to_numpy() > 0)


def test_unweighted_rows_fit_like_weights(
    donations: pd.DataFrame, model: BetaGeoBetaBinomModel
) -> None:
    expanded = donations.loc[donations.index.repeat(donations["count"])]
    assert len(expanded) == 11_104
    again = BetaGeoBetaBinomModel().fit(expanded)
    np.testing.assert_allclose(again.params_, model.params_, rtol=1e-6)
    assert again.diagnostics_.n_rows == 22


def test_predictions_are_consistent(donations: pd.DataFrame, model: BetaGeoBetaBinomModel) -> None:
    x, t, n = donations["frequency"], donations["recency"], donations["n_periods"]
    alive = model.probability_alive(x, t, n)
    assert np.all((alive > 0) & (alive <= 1))
    assert alive[-1] > 0.9  # donated every year: very likely still active
    assert alive[0] < 0.2  # never came back after the first gift
    # lifetimes 0.11.3 conditional expectations for the first patterns, 5 opportunities ahead
    np.testing.assert_allclose(
        model.expected_purchases(5, x, t, n)[:5],
        [0.072863, 0.085696, 0.314238, 0.593853, 0.839396],
        rtol=1e-4,
    )
    p = model.probability_of_purchases(np.arange(7), 6)
    assert p.sum() == pytest.approx(1.0)
    assert float(np.arange(7) @ p) == pytest.approx(float(model.expected_purchases_new(6)[0]))
    # the model reproduces the observed distribution of donation counts closely
    observed = donations.groupby("frequency")["count"].sum().to_numpy() / 11_104
    np.testing.assert_allclose(p, observed, atol=0.01)


def test_inconsistent_histories_are_refused() -> None:
    model = BetaGeoBetaBinomModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
    with pytest.raises(ValidationError):
        model.probability_alive([3], [2], [6])
    with pytest.raises(ValidationError):
        model.probability_alive([1], [7], [6])
