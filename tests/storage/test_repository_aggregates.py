"""Repository aggregates: count, aggregate, and money totals per currency."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import attrs
import pytest

from relationship_core._app.facade import CRM, open_store
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.money import Money
from relationship_core.exceptions import ValidationError


@attrs.define
class Order:
    id: str
    customer: str
    total: Money
    lines: int


ORDERS = KindMapping(
    "order",
    Order,
    indexed={
        "customer": ("str", lambda o: o.customer),
        "total": ("money", lambda o: o.total),
        "lines": ("int", lambda o: o.lines),
    },
    unstructure=lambda o: {
        "id": o.id,
        "customer": o.customer,
        "total": [str(o.total.amount), o.total.currency.code],
        "lines": o.lines,
    },
    structure=lambda d, cls: cls(d["id"], d["customer"], Money(*d["total"]), d["lines"]),
)


@pytest.fixture
def crm(any_url: str) -> Iterator[CRM]:
    url = any_url
    with open_store(url, registry=MappingRegistry([ORDERS])) as store:
        orders = store.repository(Order)
        for n, (customer, amount, currency) in enumerate(
            [
                ("ada", "19.99", "EUR"),
                ("ada", "0.01", "EUR"),
                ("bob", "5", "USD"),
                ("ada", "7", "USD"),
            ]
        ):
            orders.add(Order(f"o{n}", customer, Money(amount, currency), n + 1))
        yield store


def test_count_takes_the_conditions_of_query(crm: CRM) -> None:
    orders = crm.repository(Order)
    assert orders.count() == 4
    assert orders.count(customer="ada") == 3
    assert orders.count(("lines", "ge", 3), customer="ada") == 1


def test_total_is_per_currency(crm: CRM) -> None:
    orders = crm.repository(Order)
    assert orders.total("total") == {"EUR": Money("20.00", "EUR"), "USD": Money("12", "USD")}
    assert orders.total("total", customer="bob") == {"USD": Money("5", "USD")}
    assert orders.total("total", customer="nobody") == {}
    with pytest.raises(ValidationError, match="money fields: \\['total'\\]"):
        orders.total("lines")


def test_aggregate_groups(crm: CRM) -> None:
    groups = crm.repository(Order).aggregate(
        measures=["count", ("sum", "lines"), ("max", "total_amount")], group_by="customer"
    )
    assert [(g.key, g.values) for g in groups] == [
        (("ada",), {"count": 3, "sum(lines)": 7, "max(total_amount)": Decimal("19.99")}),
        (("bob",), {"count": 1, "sum(lines)": 3, "max(total_amount)": Decimal("5")}),
    ]
    with pytest.raises(ValidationError, match="never added"):
        crm.repository(Order).aggregate(measures=[("sum", "total_amount")])
