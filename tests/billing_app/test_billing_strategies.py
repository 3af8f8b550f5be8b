"""The billing strategies draw valid objects that round-trip through JSON and the store."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import LineKind, Money, Order, Retainer, RetainerTerms
from relationship_core._app.billing_kinds import BILLING_MAPPINGS
from relationship_core._app.facade import open_store
from relationship_core._app.mapping import MappingRegistry
from relationship_core._billing.lines import sum_lines
from relationship_core._serialize import structure, unstructure
from relationship_core.testing import strategies as rs

SETTINGS = settings(max_examples=60, deadline=None)


def json_roundtrip(obj: Any) -> Any:
    return structure(json.loads(json.dumps(unstructure(obj))), type(obj))


def store_roundtrip(kind: str, obj: Any) -> Any:
    """Add *obj* to a fresh memory store; the stored record and the kind's mapping."""
    # The billing kinds without their references: random objects name random
    # parties, engagements and invoices, and this checks the mapping alone.
    # The objects' pending events are not this test's business: no handler issues invoices.
    off = {"billing": {"invoice_on_fulfilment": False}}
    with open_store("memory://", registry=MappingRegistry(BILLING_MAPPINGS), config=off) as crm:
        repo = crm.repository(kind)
        repo.add(obj)
        return crm.backend.get_many(kind, [obj.id])[obj.id], repo.mapping


@SETTINGS
@given(rs.retainer_terms())
def test_retainer_terms_round_trip(terms: RetainerTerms) -> None:
    assert terms.fee.amount > 0
    assert json_roundtrip(terms) == terms


@SETTINGS
@given(retainer=rs.retainers())
def test_retainers_round_trip_through_json_and_the_store(retainer: Retainer) -> None:
    assert retainer.starts_on >= (retainer.terms.anchor or retainer.starts_on)
    assert json_roundtrip(retainer) == retainer
    record, mapping = store_roundtrip("retainer", retainer)
    assert mapping.from_record(record) == retainer
    assert (
        record.indexed["next_billing_date"] == mapping.index_values(retainer)["next_billing_date"]
    )


@SETTINGS
@given(rs.line_items())
def test_line_items_add_up_and_round_trip(line: Any) -> None:
    assert line.kind in (LineKind.PRODUCT, LineKind.SERVICE)
    assert line.net + line.tax == line.total
    assert line.net.amount >= 0
    assert json_roundtrip(line) == line


@SETTINGS
@given(order=rs.orders())
def test_orders_round_trip_through_json_and_the_store(order: Order) -> None:
    subtotal, tax, total = sum_lines(order.lines, order.currency)
    assert (order.subtotal, order.tax, order.total) == (subtotal, tax, total)
    assert order.refunded <= order.total
    assert json_roundtrip(order) == order
    record, mapping = store_roundtrip("order", order)
    assert mapping.from_record(record) == order
    assert record.indexed["status"] == order.status.value


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_currency_is_respected(data: st.DataObject) -> None:
    line = data.draw(rs.line_items("JPY"))
    assert line.unit_price.currency.code == "JPY"
    order = data.draw(rs.orders("EUR"))
    assert order.total.currency.code == "EUR"
    terms = data.draw(rs.retainer_terms("GBP"))
    assert terms.fee.currency.code == "GBP"
    assert isinstance(terms.fee, Money)
