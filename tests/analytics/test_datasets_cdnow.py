"""The CDNOW sample ships with the package and loads as the literature describes it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from relationship_core.analytics import datasets, load_cdnow_sample

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "cdnow" / "CDNOW_sample.txt"


def test_cdnow_sample_shape_and_types() -> None:
    cdnow = load_cdnow_sample()
    assert list(cdnow.columns) == ["customer_id", "date", "quantity", "amount"]
    assert len(cdnow) == 6919
    assert cdnow["customer_id"].nunique() == 2357
    assert cdnow["customer_id"].min() == 1
    assert cdnow["customer_id"].max() == 2357
    assert cdnow["customer_id"].dtype == np.int64
    assert cdnow["quantity"].dtype == np.int64
    assert cdnow["amount"].dtype == np.float64
    assert cdnow["date"].dtype.kind == "M"
    assert str(cdnow["date"].min().date()) == "1997-01-01"
    assert str(cdnow["date"].max().date()) == "1998-06-30"
    # every customer's first purchase is in the first quarter of 1997
    first = cdnow.groupby("customer_id")["date"].min()
    assert str(first.max().date()) <= "1997-03-31"


def test_cdnow_first_rows_match_the_file() -> None:
    cdnow = load_cdnow_sample()
    head = cdnow.head(3)
    assert head["customer_id"].tolist() == [1, 1, 1]
    assert [str(d.date()) for d in head["date"]] == ["1997-01-01", "1997-01-18", "1997-08-02"]
    assert head["quantity"].tolist() == [2, 2, 1]
    assert head["amount"].tolist() == [29.33, 29.73, 14.96]
    assert cdnow["amount"].sum() == pytest.approx(244_091.94, abs=0.01)


def test_cdnow_is_package_data_with_its_credit() -> None:
    packaged = resources.files("relationship_core.analytics") / "data" / "CDNOW_sample.txt"
    assert packaged.is_file()
    readme = (resources.files("relationship_core.analytics") / "data" / "README.md").read_text()
    for credit in ("Fader", "Hardie", "Lee", "Marketing Science", "brucehardie.com"):
        assert credit in readme
        assert credit in (datasets.__doc__ or "")
    if SHARED.exists():
        assert packaged.read_bytes() == SHARED.read_bytes()
