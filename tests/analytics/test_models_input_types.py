"""Text where numbers belong gets the library's ValidationError naming the column and value."""

from __future__ import annotations

import pandas as pd
import pytest

from relationship_core.analytics import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
)
from relationship_core.exceptions import ValidationError


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": [1.0, 2.0, 0.0],
            "recency": [3.0, 5.0, 0.0],
            "T": [8.0, 9.0, 7.0],
            "monetary_value": [10.0, 12.0, 0.0],
            "count": [4, 5, 6],
        }
    )


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
def test_a_weights_column_name_is_refused_with_a_hint(model: type[BetaGeoModel]) -> None:
    with pytest.raises(ValidationError) as caught:
        model().fit(_summary(), weights="count")
    assert caught.value.field == "weights"
    assert caught.value.value == "count"
    assert "summary['count']" in str(caught.value)


def test_a_string_among_frequencies_is_named() -> None:
    data = _summary().astype({"frequency": object})
    data.loc[1, "frequency"] = "two"
    with pytest.raises(ValidationError) as caught:
        BetaGeoModel().fit(data)
    assert (caught.value.field, caught.value.value) == ("frequency", "two")


def test_text_in_spend_and_discrete_panels_is_named() -> None:
    data = _summary().astype({"monetary_value": object})
    data.loc[0, "monetary_value"] = "$10"
    with pytest.raises(ValidationError) as caught:
        GammaGammaModel().fit(data[data["frequency"] > 0])
    assert (caught.value.field, caught.value.value) == ("monetary_value", "$10")
    panel = pd.DataFrame({"frequency": [1, 2], "recency": [1, "x"], "n_periods": [6, 6]})
    with pytest.raises(ValidationError) as caught:
        BetaGeoBetaBinomModel().fit(panel)
    assert (caught.value.field, caught.value.value) == ("recency", "x")


def test_predictions_refuse_text_too() -> None:
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ValidationError) as caught:
        model.probability_alive([1, 2], [3.0, 4.0], ["8", None])  # type: ignore[arg-type]
    assert caught.value.field == "T"
