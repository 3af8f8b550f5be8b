"""The in-database customer summary: SQL on SQLite and PostgreSQL, Python elsewhere.

Every backend must give what `customer_summary` gives for the same purchases
taken as local dates in each party's zone (built independently here with
`zoneinfo`), including across daylight-saving changes and half-hour zones.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core import Invoice, LineItem, Money, Order, Person, Refund
from relationship_core import open as open_store
from relationship_core._app.facade import CRM
from relationship_core.analytics import (
    TimeUnit,
    calibration_holdout_summary,
    customer_summary,
    store_customer_summary,
)
from relationship_core.analytics._store_sql import zone_offsets
from relationship_core.exceptions import CurrencyMismatchError, SchemaError, ValidationError

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
START = datetime(2025, 3, 1, tzinfo=UTC)
_counter = itertools.count()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ltv.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
    return make()


Purchase = tuple[str, datetime, str, str, str]  # party, at, amount, currency, status


def _order(i: int, party: str, at: datetime, amount: str, currency: str) -> Order:
    line = LineItem(description="kit", quantity=Decimal(1), unit_price=Money(amount, currency))
    return Order.place(id=f"o{i}", party_id=party, lines=[line], at=at)


def _fill(crm: CRM, zones: dict[str, str], purchases: list[Purchase]) -> None:
    for party, zone in zones.items():
        crm.parties.add(Person(id=party, name=party.title(), time_zone=zone))
    with crm.unit_of_work() as uow:
        for i, (party, at, amount, currency, status) in enumerate(purchases):
            order = _order(i, party, at, amount, currency)
            if status == "cancelled":
                order.cancel("changed mind", at)
            elif status == "refund":  # a partial refund of a paid order
                order.assign("shop", at)
                order.start_work(at)
                order.fulfil(at)
                uow.add(Invoice(id=f"inv{i}", party_id=party, currency=currency))
                order.mark_invoiced(f"inv{i}", at)
                order.mark_paid(at)
                order.refund(Refund(f"r{i}", Money("1.00", currency), at))
            uow.add(order)


def _reference(
    zones: dict[str, str], purchases: list[Purchase], currency: str = "EUR"
) -> pd.DataFrame:
    """The purchases as local naive datetimes with net amounts, for `customer_summary`."""
    rows = [
        (
            party,
            at.astimezone(ZoneInfo(zones[party])).replace(tzinfo=None),
            float(Decimal(amount) - (Decimal(1) if status == "refund" else 0)),
        )
        for party, at, amount, code, status in purchases
        if status != "cancelled" and code == currency
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _dataset(seed: int, n: int = 120) -> tuple[dict[str, str], list[Purchase]]:
    rng = random.Random(seed)
    zones = {f"p{k}": ZONES[k % len(ZONES)] for k in range(12)}
    purchases: list[Purchase] = []
    for _ in range(n):
        party = rng.choice(sorted(zones))
        at = START + timedelta(minutes=rng.randrange(0, 400 * 24 * 60, 17))  # DST both ways
        amount = f"{rng.randrange(200, 20000) / 100:.2f}"  # above the 1.00 refund: partial
        status = rng.choice(["placed"] * 6 + ["cancelled", "refund"])
        purchases.append((party, at, amount, "EUR", status))
    return zones, purchases


def _assert_same(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(ours.index) == list(reference.index)
    for name in reference.columns:
        if name.startswith("monetary"):
            assert ours[name].to_numpy() == pytest.approx(reference[name].to_numpy(), rel=1e-12)
        else:
            assert (ours[name].to_numpy() == reference[name].to_numpy()).all(), name


def test_every_backend_matches_customer_summary_on_local_dates(store_url: str) -> None:
    zones, purchases = _dataset(7)
    end = date(2026, 4, 1)
    with open_store(store_url) as crm:
        _fill(crm, zones, purchases)
        ours = store_customer_summary(crm, source="orders", time_unit="week", observation_end=end)
        split = store_customer_summary(
            crm,
            source="orders",
            time_unit="day",
            observation_end=end,
            calibration_end=date(2025, 11, 2),
        )
    reference = customer_summary(
        _reference(zones, purchases), time_unit="week", observation_end=end
    )
    _assert_same(ours, reference)
    assert ours.attrs["relationship_core.summary"]["currency"] == "EUR"
    holdout = calibration_holdout_summary(
        _reference(zones, purchases),
        time_unit="day",
        calibration_end=date(2025, 11, 2),
        observation_end=end,
    )
    _assert_same(split, holdout)


def test_paid_invoices_only(store_url: str) -> None:
    line = LineItem(description="month", quantity=Decimal(1), unit_price=Money("100.00", "EUR"))
    with open_store(store_url) as crm:
        crm.parties.add(Person(id="ada", name="Ada"))
        with crm.unit_of_work() as uow:
            for i, (day, status) in enumerate(
                [
                    (date(2026, 1, 31), "paid"),
                    (date(2026, 2, 28), "paid"),
                    (date(2026, 3, 31), "issued"),
                ]
            ):
                uow.add(
                    Invoice(
                        id=f"i{i}",
                        party_id="ada",
                        currency="EUR",
                        lines=(line,),
                        status=status,
                        issued_on=day,
                    )
                )
        summary = store_customer_summary(
            crm, source="invoices", time_unit="day", observation_end=date(2026, 4, 30)
        )
    assert summary.loc["ada"].tolist() == [1, 28.0, 89.0, 100.0]


def test_mixed_currencies_are_refused_unless_one_is_chosen(store_url: str) -> None:
    zones = {"ada": "UTC", "bob": "UTC"}
    purchases: list[Purchase] = [
        ("ada", START, "10.00", "EUR", "placed"),
        ("ada", START + timedelta(days=3), "20.00", "EUR", "placed"),
        ("bob", START, "5.00", "USD", "placed"),
    ]
    with open_store(store_url) as crm:
        _fill(crm, zones, purchases)
        with pytest.raises(CurrencyMismatchError) as info:
            store_customer_summary(
                crm, source="orders", time_unit="day", observation_end=date(2025, 6, 1)
            )
        assert "EUR, USD" in str(info.value)
        usd = store_customer_summary(
            crm, source="orders", time_unit="day", observation_end=date(2025, 6, 1), currency="USD"
        )
    assert list(usd.index) == ["bob"]
    assert usd.attrs["relationship_core.summary"]["currency"] == "USD"


def test_bad_arguments_name_the_field() -> None:
    with open_store("memory://") as crm:
        cases: list[tuple[dict[str, object], str]] = [
            ({"source": "payments"}, "source"),
            ({"observation_end": datetime(2026, 1, 1, tzinfo=UTC)}, "observation_end"),
            ({"calibration_end": date(2026, 2, 1)}, "calibration_end"),
            ({"currency": "euro"}, "currency"),
        ]
        for kwargs, field in cases:
            args: dict[str, object] = {
                "source": "orders",
                "time_unit": "day",
                "observation_end": date(2026, 1, 1),
                **kwargs,
            }
            with pytest.raises(ValidationError) as info:
                store_customer_summary(crm, **args)  # type: ignore[arg-type]
            assert info.value.field == field


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 40),
    unit=st.sampled_from([TimeUnit.DAY, TimeUnit.WEEK, TimeUnit.MONTH]),
)
def test_sqlite_and_python_paths_agree(tmp_path: Path, seed: int, n: int, unit: TimeUnit) -> None:
    zones, purchases = _dataset(seed, n)
    end = date(2026, 1, 15)
    results = []
    for url in ("memory://", f"sqlite:///{tmp_path / f'p{next(_counter)}.db'}"):
        with open_store(url) as crm:
            _fill(crm, zones, purchases)
            results.append(
                store_customer_summary(crm, source="orders", time_unit=unit, observation_end=end)
            )
    _assert_same(results[1], results[0])
    if len(results[0]):
        reference = customer_summary(
            _reference(zones, purchases), time_unit=unit, observation_end=end
        )
        _assert_same(results[0], reference)


@given(
    zone=st.sampled_from(ZONES[1:]),
    seconds=st.integers(int(START.timestamp()), int(START.timestamp()) + 400 * 86_400),
)
def test_zone_offsets_cover_every_second_exactly(zone: str, seconds: int) -> None:
    rows = zone_offsets(zone, START, START + timedelta(days=401))
    (offset,) = [o for _, lo, hi, o in rows if lo <= seconds < hi]
    at = datetime.fromtimestamp(seconds, UTC)
    expected = at.astimezone(ZoneInfo(zone)).utcoffset()
    assert expected is not None
    assert offset == expected.total_seconds()


def test_orders_stored_before_their_totals_were_indexed_need_migrate(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'old.db'}"
    purchases: list[Purchase] = [("ada", START, "10.00", "EUR", "placed")]
    with open_store(url) as crm:
        _fill(crm, {"ada": "UTC"}, purchases)
    with sqlite3.connect(tmp_path / "old.db") as raw:  # as a store from before the fields
        raw.execute("UPDATE rc_rec_order SET f_total = NULL, f_currency = NULL")
    with open_store(url) as crm:
        with pytest.raises(SchemaError, match="migrate"):
            store_customer_summary(
                crm, source="orders", time_unit="day", observation_end=date(2026, 1, 1)
            )
        crm.migrate()
        summary = store_customer_summary(
            crm, source="orders", time_unit="day", observation_end=date(2026, 1, 1)
        )
    assert summary.loc["ada", "frequency"] == 0


def _later_writes(crm: CRM, zones: dict[str, str], purchases: list[Purchase], moved: str) -> None:
    """After a summary: *moved* changes zone, one order is cancelled, orders are added.

    The days kept for the summary must follow every one of these writes.
    """
    person = crm.parties.get(moved)
    person.time_zone = ZoneInfo(zones[moved])
    crm.parties.update(person)
    order = crm.repository("order").get("o0")
    if order.status.value == "placed":
        order.cancel("changed mind", order.placed_at)
        crm.repository("order").update(order)
    with crm.unit_of_work() as uow:
        for i, (party, at, amount, currency, _) in enumerate(purchases):
            uow.add(_order(1000 + i, party, at, amount, currency))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    moved=st.sampled_from([f"p{k}" for k in range(12)]),
    zone=st.sampled_from(ZONES),
    extra=st.integers(0, 15),
)
def test_kept_days_follow_zone_changes_and_new_orders(
    tmp_path: Path, seed: int, moved: str, zone: str, extra: int
) -> None:
    zones, purchases = _dataset(seed, 40)
    more = [(*p[:4], "placed") for p in _dataset(seed + 1, extra)[1]]
    end = date(2026, 4, 1)
    results = []
    for url in ("memory://", f"sqlite:///{tmp_path / f'k{next(_counter)}.db'}"):
        with open_store(url) as crm:
            _fill(crm, zones, purchases)
            store_customer_summary(crm, source="orders", time_unit="day", observation_end=end)
            _later_writes(crm, {**zones, moved: zone}, more, moved)
            results.append(
                store_customer_summary(crm, source="orders", time_unit="day", observation_end=end)
            )
    _assert_same(results[1], results[0])
    after = list(purchases)
    if after and after[0][4] == "placed":
        after[0] = (*after[0][:4], "cancelled")
    if len(results[0]):
        reference = customer_summary(
            _reference({**zones, moved: zone}, after + more), time_unit="day", observation_end=end
        )
        _assert_same(results[0], reference)


def test_kept_days_follow_writes_on_every_backend(store_url: str) -> None:
    zones, purchases = _dataset(11, 60)
    more = [(*p[:4], "placed") for p in _dataset(12, 20)[1]]
    end = date(2026, 4, 1)
    moved = {**zones, "p1": "Asia/Kolkata"}
    with open_store(store_url) as crm:
        _fill(crm, zones, purchases)
        store_customer_summary(crm, source="orders", time_unit="day", observation_end=end)
        _later_writes(crm, moved, more, "p1")
        ours = store_customer_summary(crm, source="orders", time_unit="day", observation_end=end)
    after = list(purchases)
    if after[0][4] == "placed":
        after[0] = (*after[0][:4], "cancelled")
    reference = customer_summary(
        _reference(moved, after + more), time_unit="day", observation_end=end
    )
    _assert_same(ours, reference)


def test_a_zone_change_moves_the_partys_orders_days(store_url: str) -> None:
    # 23:30 and 00:30 UTC: two days in UTC, one (the 2nd, 05:00 and 06:00) in Kolkata
    end = date(2025, 4, 1)
    first, second = START + timedelta(hours=23, minutes=30), START + timedelta(hours=24.5)

    def frequency(crm: CRM) -> int:
        summary = store_customer_summary(crm, source="orders", time_unit="day", observation_end=end)
        return int(summary.loc["z", "frequency"])

    with open_store(store_url) as crm:
        crm.parties.add(Person(id="z", name="Zed", time_zone="UTC"))
        with crm.unit_of_work() as uow:
            uow.add(_order(1, "z", first, "10.00", "EUR"))
            uow.add(_order(2, "z", second, "10.00", "EUR"))
        assert frequency(crm) == 1
        person = crm.parties.get("z")
        person.time_zone = ZoneInfo("Asia/Kolkata")
        crm.parties.update(person)
        assert frequency(crm) == 0
        person = crm.parties.get("z")
        person.time_zone = ZoneInfo("UTC")
        crm.parties.update(person)
        assert frequency(crm) == 1
