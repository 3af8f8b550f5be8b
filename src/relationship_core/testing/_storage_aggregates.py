"""Conformance tests of exact aggregates and decimal fields (every backend).

A backend declaring ``aggregates`` computes `Aggregate` queries itself (the
SQL backends push them down); one without it gets them computed in Python
over its plain queries. Either way the answer must equal `run_aggregate`'s
over the same records, which Hypothesis checks on random data here.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core._storage.aggregate import aggregate
from relationship_core._storage.contract import Aggregate, Measure, Query, Write
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import FieldSpec, KindSpec, Schema
from relationship_core.exceptions import BackendRefusedError, ValidationError

__all__ = ["SALE", "AggregateTests", "sale"]

#: A kind with a money amount (decimal + currency), an int and a nullable text field.
SALE = KindSpec(
    "sale",
    [
        FieldSpec("batch", "str"),
        FieldSpec("amount", "decimal", currency="currency"),
        FieldSpec("currency", "str"),
        FieldSpec("qty", "int"),
        FieldSpec("region", "str", nullable=True),
        FieldSpec("price", "decimal", nullable=True),
    ],
)
_SCHEMA = Schema([SALE])
_batches = itertools.count()

_amounts = st.decimals(
    min_value=Decimal("-99999.999999"), max_value=Decimal("99999.999999"), places=6
)
_sales = st.lists(
    st.fixed_dictionaries(
        {
            "amount": _amounts,
            "currency": st.sampled_from(["EUR", "USD", "JPY"]),
            "qty": st.integers(-1000, 1000),
            "region": st.none() | st.sampled_from(["north", "south", "é"]),
            "price": st.none() | _amounts,
        }
    ),
    max_size=25,
)
_groupings = st.sampled_from(
    [["currency"], ["currency", "region"], ["region", "currency"], ["currency", "qty"]]
)
_measures = st.lists(
    st.sampled_from(
        [
            Measure("count"),
            Measure("sum", "amount"),
            Measure("sum", "qty"),
            Measure("sum", "price"),
            Measure("min", "price"),
            Measure("max", "amount"),
            Measure("min", "region"),
            Measure("max", "qty"),
        ]
    ),
    min_size=1,
    max_size=4,
    unique=True,
)


def sale(batch: str, n: int, **values: Any) -> Write:
    """A write of one ``sale`` record (test helper)."""
    indexed = {
        "batch": batch,
        "amount": Decimal(0),
        "currency": "EUR",
        "qty": 0,
        "region": None,
        "price": None,
    }
    indexed.update(values)
    return Write("sale", f"{batch}-{n}", {}, indexed)


def _store(backend: StorageBackend, batch: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    with backend.transaction() as tx:
        tx.put_many([sale(batch, n, **row) for n, row in enumerate(rows)])


class AggregateTests:
    """Exact aggregates: SQL (or whatever the backend does) equals Python, on random data."""

    aggregate_settings = settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )

    @pytest.fixture
    def sales(self, make_backend: Any) -> Any:
        store = make_backend(_SCHEMA, "sales")
        try:
            yield store
        finally:
            store.close()

    def test_aggregates_equal_python_on_random_data(self, sales: StorageBackend) -> None:
        @self.aggregate_settings
        @given(
            rows=_sales,
            group_by=_groupings,
            measures=_measures,
            low=st.none() | st.integers(-1000, 1000),
        )
        def check(
            rows: list[dict[str, Any]],
            group_by: list[str],
            measures: list[Measure],
            low: int | None,
        ) -> None:
            batch = f"b{next(_batches)}"
            _store(sales, batch, rows)
            where: list[tuple[str, str, object]] = [("batch", "eq", batch)]
            if low is not None:
                where.append(("qty", "ge", low))
            for grouping in (group_by, []):
                wanted = [m for m in measures if grouping or m != Measure("sum", "amount")]
                agg = Aggregate("sale", where, wanted or ["count"], grouping)
                assert aggregate(_SCHEMA, sales, agg) == aggregate(
                    _SCHEMA, sales, agg, pushdown=False
                )

        check()

    def test_decimal_sums_are_exact(self, sales: StorageBackend) -> None:
        _store(sales, "exact", [{"amount": Decimal("0.1"), "qty": 1}] * 10)
        [group] = aggregate(
            _SCHEMA,
            sales,
            Aggregate("sale", [("batch", "eq", "exact")], ["count", ("sum", "amount")], "currency"),
        )
        assert group.key == ("EUR",)
        assert group.values == {"count": 10, "sum(amount)": Decimal("1.000000")}
        [rec] = sales.get_many("sale", ["exact-0"]).values()
        assert rec.indexed["amount"] == Decimal("0.1")
        assert str(rec.indexed["amount"]) == "0.100000"

    def test_empty_and_null_aggregates(self, sales: StorageBackend) -> None:
        agg = Aggregate(
            "sale", [("batch", "eq", "none")], ["count", ("sum", "qty"), ("min", "price")]
        )
        [group] = aggregate(_SCHEMA, sales, agg)
        assert group.values == {"count": 0, "sum(qty)": None, "min(price)": None}
        assert (
            aggregate(
                _SCHEMA, sales, Aggregate("sale", [("batch", "eq", "none")], group_by="region")
            )
            == []
        )

    def test_money_is_never_added_across_currencies(self, sales: StorageBackend) -> None:
        with pytest.raises(ValidationError, match="group by 'currency'") as err:
            aggregate(_SCHEMA, sales, Aggregate("sale", measures=[("sum", "amount")]))
        assert err.value.field == "measures[0].field"

    @pytest.mark.parametrize(
        ("measures", "group_by", "field"),
        [
            ([("sum", "region")], (), "measures[0].field"),
            ([("avg", "qty")], (), "measures[0].op"),
            ([("max", "nope")], (), "measures[0].field"),
            (["count", "count"], (), "measures[1]"),
            (["count"], ("nope",), "group_by[0]"),
            ([("count", "qty")], (), "measures[0].field"),
        ],
    )
    def test_bad_aggregates_are_refused(
        self, sales: StorageBackend, measures: list[Any], group_by: tuple[str, ...], field: str
    ) -> None:
        with pytest.raises(ValidationError) as err:
            aggregate(_SCHEMA, sales, Aggregate("sale", measures=measures, group_by=group_by))
        assert err.value.field == field

    @pytest.mark.parametrize(
        "value",
        [Decimal("0.0000001"), 0.5, Decimal("NaN"), Decimal(10) ** 12, True],
    )
    def test_bad_decimals_are_refused(self, sales: StorageBackend, value: object) -> None:
        with pytest.raises(ValidationError) as err, sales.transaction() as tx:
            tx.put_many([sale("bad", 0, amount=value)])
        assert err.value.field == "indexed.amount"
        assert sales.get_many("sale", ["bad-0"]) == {}

    def test_sum_overflow_is_refused_alike(self, sales: StorageBackend) -> None:
        _store(sales, "big", [{"qty": 2**62}, {"qty": 2**62}])
        agg = Aggregate("sale", [("batch", "eq", "big")], [("sum", "qty")])
        with pytest.raises(BackendRefusedError, match="overflows 64 bits"):
            aggregate(_SCHEMA, sales, agg)
        with pytest.raises(BackendRefusedError, match="overflows 64 bits"):
            aggregate(_SCHEMA, sales, agg, pushdown=False)

    def test_decimal_fields_order_and_page(self, sales: StorageBackend) -> None:
        amounts: list[Decimal | int] = [
            Decimal("2.5"),
            Decimal("-1.000001"),
            Decimal(10),
            Decimal("0.000001"),
            3,
        ]
        _store(sales, "order", [{"amount": a} for a in amounts])
        seen: list[Decimal] = []
        after = None
        while True:
            page = sales.query(
                Query("sale", [("batch", "eq", "order")], "amount", limit=2, after=after)
            )
            seen.extend(r.indexed["amount"] for r in page.records)  # type: ignore[misc]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == sorted(Decimal(a) for a in amounts)
        hits = sales.query(Query("sale", [("amount", "ge", Decimal("2.5"))]))
        assert {r.id for r in hits.records} >= {"order-0", "order-2", "order-4"}
