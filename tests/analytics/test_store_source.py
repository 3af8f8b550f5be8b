"""A store's own orders and invoices feed the analytics with no export code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from relationship_core import LineItem, Money, Order, Person
from relationship_core import open as open_store
from relationship_core.analytics import TimeUnit, customer_summary, transactions_from_store
from relationship_core.exceptions import ValidationError

START = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _order(order_id: str, party: str, at: datetime, price: str) -> Order:
    line = LineItem(description="kit", quantity=Decimal(1), unit_price=Money(price, "EUR"))
    return Order.place(id=order_id, party_id=party, lines=[line], at=at)


def test_orders_in_a_store_become_a_summary() -> None:
    with open_store("memory://") as crm:
        for name in ("ada", "bob"):  # references are checked: the parties first
            crm.parties.add(Person(id=name, name=name.title()))
        with crm.unit_of_work() as uow:
            uow.add(_order("o1", "ada", START, "10.00"))
            uow.add(_order("o2", "ada", START + timedelta(weeks=2), "30.00"))
            uow.add(_order("o3", "bob", START + timedelta(weeks=1), "5.00"))
        transactions = transactions_from_store(crm, source="orders")
        assert transactions.attrs["currency"] == "EUR"
        assert sorted(transactions["amount"]) == [5.0, 10.0, 30.0]
        summary = customer_summary(
            transactions,
            time_unit=TimeUnit.WEEK,
            observation_end=date(2026, 3, 1),
        )
        assert summary.loc["ada", "frequency"] == 1
        assert summary.loc["ada", "recency"] == pytest.approx(2.0)
        assert summary.loc["ada", "monetary_value"] == pytest.approx(30.0)
        assert summary.loc["bob", "frequency"] == 0


def test_unknown_source_is_refused() -> None:
    with open_store("memory://") as crm:
        with pytest.raises(ValidationError) as info:
            transactions_from_store(crm, source="payments")  # type: ignore[arg-type]
        assert (info.value.field, info.value.value) == ("source", "payments")
