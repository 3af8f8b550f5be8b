"""Transactions to per-customer summaries: the literature's numbers and properties."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import Money
from relationship_core.analytics import (
    TimeUnit,
    calibration_holdout_summary,
    customer_summary,
    load_cdnow_sample,
    transactions_from_invoices,
    transactions_from_orders,
)
from relationship_core.exceptions import CurrencyMismatchError, ValidationError

CAL_END = date(1997, 9, 30)
OBS_END = date(1998, 6, 30)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_sample()


@pytest.fixture(scope="module")
def cdnow_split(cdnow: pd.DataFrame) -> pd.DataFrame:
    return calibration_holdout_summary(
        cdnow, time_unit="week", calibration_end=CAL_END, observation_end=OBS_END
    )


# -- the published CDNOW figures ---------------------------------------------------------


def test_cdnow_calibration_matches_the_published_totals(cdnow_split: pd.DataFrame) -> None:
    # Fader, Hardie and Lee (2005): 2,357 customers, 946 repeat buyers,
    # 2,457 repeat transactions in weeks 1-39 and 1,882 in weeks 40-78.
    assert len(cdnow_split) == 2357
    assert int((cdnow_split["frequency"] > 0).sum()) == 946
    assert int(cdnow_split["frequency"].sum()) == 2457
    assert int(cdnow_split["frequency_holdout"].sum()) == 1882
    assert (cdnow_split["duration_holdout"] == 39.0).all()


def test_cdnow_first_customer_is_hardies_first_row(cdnow_split: pd.DataFrame) -> None:
    # Customer 1 bought on 1997-01-01, 01-18 and 08-02 (then 12-12, in the holdout).
    row = cdnow_split.loc[1]
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(213 / 7)  # 30.43 weeks in Hardie's spreadsheet
    assert row["T"] == pytest.approx(272 / 7)  # 38.86 weeks
    assert row["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)
    assert row["frequency_holdout"] == 1
    assert row["monetary_value_holdout"] == pytest.approx(26.48)


def test_cdnow_summary_equals_the_calibration_columns(
    cdnow: pd.DataFrame, cdnow_split: pd.DataFrame
) -> None:
    summary = customer_summary(cdnow, time_unit=TimeUnit.WEEK, observation_end=CAL_END)
    pd.testing.assert_frame_equal(summary, cdnow_split[list(summary.columns)])
    assert list(summary.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert summary.index.name == "customer_id"
    assert summary["frequency"].dtype == np.int64


def test_customers_without_repeat_purchases_have_zero_spend(cdnow_split: pd.DataFrame) -> None:
    # 0.0, as in lifetimes, so the frame feeds Gamma-Gamma and CLV without NaN
    assert cdnow_split.notna().all().all()
    once = cdnow_split[cdnow_split["frequency"] == 0]
    assert (once["monetary_value"] == 0).all()
    assert (once["recency"] == 0).all()
    repeat = cdnow_split[cdnow_split["frequency"] > 0]
    assert repeat["monetary_value"].mean() == pytest.approx(35.078, abs=1e-3)
    no_holdout = cdnow_split[cdnow_split["frequency_holdout"] == 0]
    assert (no_holdout["monetary_value_holdout"] == 0).all()


# -- conventions --------------------------------------------------------------------------


def _tx(rows: list[tuple[object, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "amount": [r[2] for r in rows],
        }
    )


def test_same_day_purchases_are_one_transaction_and_first_spend_is_excluded() -> None:
    tx = _tx(
        [
            ("a", "2024-01-01", 100.0),  # first purchase: excluded from spend
            ("a", "2024-01-03", 5.0),
            ("a", "2024-01-03 18:00", 7.0),  # same day: one transaction of 12
            ("a", "2024-01-05", 30.0),
        ]
    )
    summary = customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 10))
    assert summary.loc["a"].to_dict() == {
        "frequency": 2,
        "recency": 4.0,
        "T": 9.0,
        "monetary_value": 21.0,
    }


@pytest.mark.parametrize(
    ("unit", "days"),
    [("day", 1.0), ("week", 7.0), ("month", 365.25 / 12), (TimeUnit.MONTH, 30.4375)],
)
def test_time_unit_scales_recency_and_age(unit: Any, days: float) -> None:
    tx = _tx([("a", "2024-01-01", 1.0), ("a", "2024-03-01", 2.0)])
    summary = customer_summary(tx, time_unit=unit, observation_end=date(2024, 4, 1))
    assert summary.loc["a", "recency"] == pytest.approx(60 / days)
    assert summary.loc["a", "T"] == pytest.approx(91 / days)


def test_time_unit_has_no_default_and_unknown_units_are_refused() -> None:
    tx = _tx([("a", "2024-01-01", 1.0)])
    with pytest.raises(TypeError, match="time_unit"):
        customer_summary(tx, observation_end=date(2024, 1, 2))  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="'day', 'week', 'month'") as info:
        customer_summary(tx, time_unit="fortnight", observation_end=date(2024, 1, 2))  # type: ignore[arg-type]
    assert info.value.field == "time_unit"


def test_later_transactions_and_later_customers_are_ignored() -> None:
    tx = _tx([("a", "2024-01-01", 1.0), ("a", "2024-02-01", 2.0), ("b", "2024-02-01", 3.0)])
    summary = customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 31))
    assert list(summary.index) == ["a"]
    assert summary.loc["a", "frequency"] == 0


def test_without_monetary_column() -> None:
    tx = _tx([("a", "2024-01-01", 1.0)]).drop(columns="amount")
    summary = customer_summary(
        tx, time_unit="day", observation_end=date(2024, 1, 2), monetary_value_col=None
    )
    assert list(summary.columns) == ["frequency", "recency", "T"]
    with pytest.raises(ValidationError, match="no such column") as info:
        customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 2))
    assert info.value.field == "monetary_value_col"


def test_observation_end_must_be_a_date_or_an_aware_datetime() -> None:
    tx = _tx([("a", "2024-01-01", 1.0)])
    with pytest.raises(ValidationError, match="naive"):
        customer_summary(tx, time_unit="day", observation_end=datetime(2024, 1, 2))  # noqa: DTZ001
    with pytest.raises(ValidationError, match="naive, so an aware end is ambiguous"):
        customer_summary(tx, time_unit="day", observation_end=datetime(2024, 1, 2, tzinfo=UTC))
    with pytest.raises(ValidationError, match="calendar date"):
        customer_summary(tx, time_unit="day", observation_end="2024-01-02")  # type: ignore[arg-type]


def test_aware_data_are_counted_in_the_observation_ends_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            # 23:30 UTC on Jan 1 is 00:30 on Jan 2 in Paris: a different day from 08:00 UTC.
            "date": pd.to_datetime(
                ["2024-01-01 08:00", "2024-01-01 23:30", "2024-01-09 22:00"], utc=True
            ),
            "amount": [1.0, 2.0, 4.0],
        }
    )
    in_utc = customer_summary(
        tx, time_unit="day", observation_end=datetime(2024, 1, 10, tzinfo=UTC)
    )
    in_paris = customer_summary(
        tx, time_unit="day", observation_end=datetime(2024, 1, 9, 22, 59, tzinfo=paris)
    )
    assert in_utc.loc["a", "frequency"] == 1  # Jan 1 (twice) and Jan 9
    assert in_paris.loc["a", "frequency"] == 1  # Jan 1, Jan 2; Jan 9 23:00 Paris is after the end
    assert in_paris.loc["a", "recency"] == 1.0
    assert in_paris.loc["a", "T"] == 8.0
    assert in_paris.loc["a", "monetary_value"] == 2.0
    by_date = customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 10))
    assert by_date.loc["a"].to_dict() == in_utc.loc["a"].to_dict()


def test_object_columns_of_dates_and_refused_strings() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1], "date": [date(2024, 1, 1), date(2024, 1, 8)], "amount": [1, 2]}
    )
    summary = customer_summary(tx, time_unit="week", observation_end=date(2024, 1, 15))
    assert summary.loc[1, "recency"] == 1.0
    strings = tx.assign(date=["2024-01-01", "2024-01-08"])
    with pytest.raises(ValidationError, match=r"pd\.to_datetime"):
        customer_summary(strings, time_unit="week", observation_end=date(2024, 1, 15))
    mixed = tx.assign(
        date=[datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2)]  # noqa: DTZ001
    ).astype({"date": object})
    with pytest.raises(ValidationError, match="mixes naive and aware"):
        customer_summary(mixed, time_unit="week", observation_end=date(2024, 1, 15))


def test_missing_values_are_refused_with_their_row() -> None:
    tx = _tx([("a", "2024-01-01", 1.0), (None, "2024-01-02", 1.0)])
    with pytest.raises(ValidationError, match="missing value") as info:
        customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 3))
    assert info.value.field == "customer_id[1]"


def test_customer_ids_that_cannot_be_ordered_are_refused() -> None:
    tx = _tx([("a", "2024-01-01", 1.0), (7, "2024-01-02", 1.0), ((1, 2), "2024-01-02", 1.0)])
    with pytest.raises(ValidationError, match="convert them to one type"):
        customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 3))


def test_split_refuses_inconsistent_ends() -> None:
    tx = _tx([("a", "2024-01-01", 1.0)])
    with pytest.raises(ValidationError, match="before observation_end"):
        calibration_holdout_summary(
            tx, time_unit="day", calibration_end=date(2024, 2, 1), observation_end=date(2024, 2, 1)
        )
    with pytest.raises(ValidationError, match="same kind"):
        calibration_holdout_summary(
            tx,
            time_unit="day",
            calibration_end=date(2024, 2, 1),
            observation_end=datetime(2024, 3, 1, tzinfo=UTC),
        )


def test_empty_input_gives_an_empty_summary() -> None:
    tx = _tx([("a", "2024-05-01", 1.0)])
    summary = customer_summary(tx, time_unit="day", observation_end=date(2024, 1, 1))
    assert summary.empty
    assert list(summary.columns) == ["frequency", "recency", "T", "monetary_value"]


# -- properties against a plain-Python reference --------------------------------------

START = date(2024, 1, 1)

transactions_strategy = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.integers(min_value=0, max_value=120),  # day offset
        st.integers(min_value=0, max_value=23),  # hour
        st.integers(min_value=0, max_value=10_000),  # cents
    ),
    min_size=1,
    max_size=40,
)


def _frame(rows: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime(
                [datetime(2024, 1, 1, r[2]) + timedelta(days=r[1]) for r in rows]  # noqa: DTZ001
            ),
            "amount": [r[3] / 100 for r in rows],
        }
    )


def _reference(
    rows: list[tuple[str, int, int, int]], end: int, unit_days: float
) -> dict[str, tuple[int, float, float, float]]:
    per_day: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for customer, day, _hour, cents in rows:
        if day <= end:
            per_day[customer][day] += cents / 100
    out = {}
    for customer, days in per_day.items():
        ordered = sorted(days)
        repeat = [days[d] for d in ordered[1:]]
        out[customer] = (
            len(ordered) - 1,
            (ordered[-1] - ordered[0]) / unit_days,
            (end - ordered[0]) / unit_days,
            sum(repeat) / len(repeat) if repeat else 0.0,
        )
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=transactions_strategy,
    end=st.integers(min_value=0, max_value=130),
    unit=st.sampled_from(list(TimeUnit)),
    seed=st.integers(0, 2**32 - 1),
)
def test_summary_matches_reference_and_ignores_row_order(
    rows: list[tuple[str, int, int, int]], end: int, unit: TimeUnit, seed: int
) -> None:
    tx = _frame(rows)
    observation_end = START + timedelta(days=end)
    summary = customer_summary(tx, time_unit=unit, observation_end=observation_end)
    expected = _reference(rows, end, unit.days)
    assert sorted(summary.index) == sorted(expected)
    for customer, (frequency, recency, age, spend) in expected.items():
        row = summary.loc[customer]
        assert row["frequency"] == frequency
        assert row["recency"] == pytest.approx(recency)
        assert row["T"] == pytest.approx(age)
        assert row["monetary_value"] == pytest.approx(spend)
    # invariants
    assert (summary["recency"] >= 0).all()
    assert (summary["recency"] <= summary["T"]).all()
    assert (summary["frequency"] >= 0).all()
    assert summary["frequency"].dtype == np.int64
    zero = summary["frequency"] == 0
    assert (summary.loc[zero, "recency"] == 0).all()
    assert (summary.loc[zero, "monetary_value"] == 0).all()
    # row order does not matter
    shuffled = tx.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
    again = customer_summary(shuffled, time_unit=unit, observation_end=observation_end)
    pd.testing.assert_frame_equal(summary, again, check_exact=False, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    rows=transactions_strategy,
    cal=st.integers(min_value=0, max_value=60),
    extra=st.integers(min_value=1, max_value=70),
)
def test_split_partitions_each_customers_purchase_days(
    rows: list[tuple[str, int, int, int]], cal: int, extra: int
) -> None:
    tx = _frame(rows)
    split = calibration_holdout_summary(
        tx,
        time_unit="week",
        calibration_end=START + timedelta(days=cal),
        observation_end=START + timedelta(days=cal + extra),
    )
    whole = _reference(rows, cal + extra, 7.0)
    calibration = _reference(rows, cal, 7.0)
    assert sorted(split.index) == sorted(calibration)
    for customer in calibration:
        # first purchase + calibration repeats + holdout purchases = all purchase days
        assert (
            split.loc[customer, "frequency"] + split.loc[customer, "frequency_holdout"]
            == whole[customer][0]
        )
    assert (split["duration_holdout"] == extra / 7).all()
    assert (split["frequency_holdout"] >= 0).all()


# -- from the library's own orders and invoices -----------------------------------------


@attrs.frozen
class Order:
    party_id: str
    placed_at: datetime
    total: Money


@attrs.frozen
class Invoice:
    party_id: str
    issued_on: date
    total: Money
    status: str


def test_transactions_from_orders() -> None:
    orders = [
        Order("p1", datetime(2024, 1, 1, 9, tzinfo=UTC), Money("10.50", "EUR")),
        Order("p1", datetime(2024, 1, 8, 9, tzinfo=ZoneInfo("Europe/Paris")), Money("4", "EUR")),
        Order("p2", datetime(2024, 1, 3, 9, tzinfo=UTC), Money("1.25", "EUR")),
    ]
    tx = transactions_from_orders(orders)
    assert list(tx.columns) == ["customer_id", "date", "amount"]
    assert tx["amount"].tolist() == [10.5, 4.0, 1.25]
    assert tx["date"].iloc[1] == pd.Timestamp("2024-01-08 08:00", tz="UTC")
    assert tx.attrs["currency"] == "EUR"
    summary = customer_summary(
        tx, time_unit="week", observation_end=datetime(2024, 1, 15, tzinfo=UTC)
    )
    assert summary.loc["p1"].to_dict() == {
        "frequency": 1,
        "recency": 1.0,
        "T": 2.0,
        "monetary_value": 4.0,
    }


def test_orders_in_two_currencies_are_refused() -> None:
    orders = [
        Order("p1", datetime(2024, 1, 1, tzinfo=UTC), Money("1", "EUR")),
        Order("p2", datetime(2024, 1, 2, tzinfo=UTC), Money("1", "USD")),
    ]
    with pytest.raises(CurrencyMismatchError, match="EUR and USD") as info:
        transactions_from_orders(orders)
    assert info.value.field == "orders[1].total.currency"


def test_orders_need_aware_datetimes_and_money() -> None:
    naive = [Order("p1", datetime(2024, 1, 1), Money("1", "EUR"))]  # noqa: DTZ001
    with pytest.raises(ValidationError, match="naive") as info:
        transactions_from_orders(naive)
    assert info.value.field == "orders[0].placed_at"
    floats = [Order("p1", datetime(2024, 1, 1, tzinfo=UTC), Decimal("1"))]  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Money"):
        transactions_from_orders(floats)
    empty = transactions_from_orders([])
    assert empty.empty
    assert list(empty.columns) == ["customer_id", "date", "amount"]


def test_transactions_from_invoices_skips_void_ones() -> None:
    invoices = [
        Invoice("c1", date(2024, 1, 31), Money("1000", "USD"), "paid"),
        Invoice("c1", date(2024, 2, 29), Money("999", "USD"), "void"),
        Invoice("c1", date(2024, 3, 31), Money("1000", "USD"), "issued"),
        Invoice("c2", date(2024, 3, 31), Money("500", "GBP"), "VOID"),
    ]
    tx = transactions_from_invoices(invoices)
    assert tx["amount"].tolist() == [1000.0, 1000.0]
    assert tx["date"].tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-31")]
    assert tx.attrs["currency"] == "USD"  # the void GBP invoice is not a mix
    summary = customer_summary(tx, time_unit="month", observation_end=date(2024, 3, 31))
    assert summary.loc["c1", "frequency"] == 1
    assert summary.loc["c1", "recency"] == pytest.approx(60 / 30.4375)
    with pytest.raises(ValidationError, match="calendar date"):
        transactions_from_invoices(
            [Invoice("c1", datetime(2024, 1, 1, tzinfo=UTC), Money("1", "USD"), "paid")]
        )


def test_library_orders_and_invoices() -> None:
    orders_module = pytest.importorskip("relationship_core._billing.orders")
    lines_module = pytest.importorskip("relationship_core._billing.lines")
    invoices_module = pytest.importorskip("relationship_core._billing.invoices")
    line = lines_module.LineItem(
        description="bread", quantity=Decimal(2), unit_price=Money("3.50", "EUR"), kind="product"
    )
    at = datetime(2024, 3, 1, 8, tzinfo=ZoneInfo("Europe/Paris"))
    placed = [
        orders_module.Order.place(
            id=f"o{k}", party_id="p1", lines=[line], at=at + timedelta(days=k)
        )
        for k in range(3)
    ]
    cancelled = attrs.evolve(placed[2], status=orders_module.OrderStatus.CANCELLED)
    tx = transactions_from_orders([placed[0], placed[1], cancelled])
    assert tx["amount"].tolist() == [7.0, 7.0]
    assert tx["customer_id"].tolist() == ["p1", "p1"]

    draft = invoices_module.Invoice(id="i1", party_id="p1", currency="EUR", lines=(line,))
    assert transactions_from_invoices([draft]).empty  # never issued, never billed


@settings(max_examples=30, deadline=None)
@given(
    rows=transactions_strategy,
    end=st.integers(min_value=0, max_value=130),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata"]),
)
def test_aware_end_equals_counting_local_dates(
    rows: list[tuple[str, int, int, int]], end: int, zone: str
) -> None:
    # Aware UTC data with an aware end at local midnight ending day `end` is the same as
    # naive local wall times with a date end.
    tz = ZoneInfo(zone)
    aware = _frame(rows).assign(date=lambda f: f["date"].dt.tz_localize("UTC"))
    local = aware.assign(date=lambda f: f["date"].dt.tz_convert(tz).dt.tz_localize(None))
    last_day = START + timedelta(days=end)
    last_moment = datetime.combine(last_day, datetime.max.time(), tzinfo=tz)
    by_instant = customer_summary(aware, time_unit="day", observation_end=last_moment)
    by_date = customer_summary(local, time_unit="day", observation_end=last_day)
    pd.testing.assert_frame_equal(by_instant, by_date)
