"""Datasets shipped with relationship_core for examples, docs and tests.

The CDNOW sample is the data set of the customer-base analysis literature:
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers
the easy way: An alternative to the Pareto/NBD model", *Marketing Science*
24(2), 275-284. The data come from Bruce Hardie's website
(https://www.brucehardie.com/datasets/), where it is offered for this use.
"""

from __future__ import annotations

import io
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["load_cdnow_sample"]


def load_cdnow_sample() -> pd.DataFrame:
    """Load the CDNOW sample: 2,357 customers' purchases, January 1997 to June 1998.

    The customers made their first purchase at CDNOW in the first quarter of
    1997 (Fader, Hardie and Lee 2005; data from Bruce Hardie's website). The
    literature's 39-week calibration period ends on 1997-09-30 and its
    holdout on 1998-06-30, in weeks.

    Returns:
        One row per purchase record (6,919 rows): ``customer_id`` (int, the
        sample's 1-2357 id), ``date`` (datetime64, naive calendar dates),
        ``quantity`` (number of CDs) and ``amount`` (US dollars, float).
        Several records can share a customer and a day;
        `customer_summary` counts them as
        one transaction, as the literature does.

    Examples:
        >>> cdnow = load_cdnow_sample()
        >>> cdnow.shape, cdnow["customer_id"].nunique()
        ((6919, 4), 2357)
    """
    text = (resources.files("relationship_core.analytics") / "data" / "CDNOW_sample.txt").read_text(
        encoding="ascii"
    )
    raw = pd.read_csv(
        io.StringIO(text),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={
            "master_id": np.int64,
            "customer_id": np.int64,
            "date": np.int64,
            "quantity": np.int64,
            "amount": np.float64,
        },
        engine="c",
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].to_numpy(),
            "date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
            "quantity": raw["quantity"].to_numpy(),
            "amount": raw["amount"].to_numpy(),
        }
    )
