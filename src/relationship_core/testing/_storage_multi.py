"""Conformance tests of multi-valued fields (``str[]``, capability ``multi_valued``).

Mixed into ``StorageBackendTests``; each test skips on a backend that does not
declare the capability, except the ``prefix`` tests on plain ``str`` fields,
which every backend must pass.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core._storage.aggregate import aggregate
from relationship_core._storage.contract import Aggregate, Condition, Delete, Measure, Query, Write
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import KindSpec, Schema
from relationship_core.exceptions import CapabilityError, ValidationError

__all__ = ["TAGGED", "MultiValuedTests", "tagged"]

#: A kind with one multi-valued field.
TAGGED = KindSpec("tagged", {"name": "str", "tags": "str[]"})
_SCHEMA = Schema([TAGGED])
_NAMED = Schema([KindSpec("named", {"name": "str", "note": "str?"})])
_WORDS = ("a", "ab", "abc", "Ab", "b", "ä", "äb", "a\U0010ffff", "\U0010ffff", "a b")
_PRINTABLE = ("a", "ab", "abc", "Ab", "b", "ä", "äb", "a\U0001f600", "\U0001f600", "a b")
_names = itertools.count()
_TAGS = ("vip", "lead", "b2b", "Ärger", "x y")


def tagged(rid: str, *tags: str, version: int | None = None) -> Write:
    """A write of one ``tagged`` record holding *tags* (test helper)."""
    return Write("tagged", rid, {}, {"name": rid, "tags": list(tags)}, expected_version=version)


def _ids(store: StorageBackend, *where: Condition) -> list[str]:
    return [r.id for r in store.query(Query("tagged", where, limit=1000)).records]


class MultiValuedTests:
    """``str[]`` fields: normalised, queried with contains/in, kept with put and delete."""

    @pytest.fixture
    def tags_store(self, make_backend: Any) -> Any:
        try:
            store = make_backend(_SCHEMA, f"multi{next(_names)}")
        except CapabilityError:
            pytest.skip("backend does not declare the 'multi_valued' capability")
        try:
            if "multi_valued" not in store.capabilities:
                pytest.skip("backend does not declare the 'multi_valued' capability")
            yield store
        finally:
            store.close()

    def test_values_are_normalised_sorted_and_read_back(self, tags_store: StorageBackend) -> None:
        with tags_store.transaction() as tx:
            tx.put_many([tagged("t1", " VIP ", "lead", "vip"), tagged("t2")])
        got = tags_store.get_many("tagged", ["t1", "t2"])
        assert got["t1"].indexed["tags"] == ["lead", "vip"]
        assert got["t2"].indexed["tags"] == []

    def test_contains_and_in(self, tags_store: StorageBackend) -> None:
        with tags_store.transaction() as tx:
            tx.put_many([tagged("t1", "vip", "lead"), tagged("t2", "lead"), tagged("t3")])
        assert _ids(tags_store, Condition("tags", "contains", "VIP")) == ["t1"]
        assert _ids(tags_store, Condition("tags", "contains", "lead")) == ["t1", "t2"]
        assert _ids(tags_store, Condition("tags", "in", ["vip", "lead"])) == ["t1", "t2"]
        assert _ids(tags_store, Condition("tags", "in", [])) == []
        both = (Condition("tags", "contains", "vip"), Condition("tags", "contains", "lead"))
        assert _ids(tags_store, *both) == ["t1"]
        assert (
            _ids(tags_store, Condition("tags", "in", ["vip"]), Condition("name", "eq", "t2")) == []
        )

    def test_rewrite_and_delete_keep_the_index(self, tags_store: StorageBackend) -> None:
        with tags_store.transaction() as tx:
            tx.put_many([tagged("t1", "vip"), tagged("t2", "vip")])
        with tags_store.transaction() as tx:
            tx.put_many([tagged("t1", "lead", version=1)])
            tx.delete(Delete("tagged", "t2", 1))
        assert _ids(tags_store, Condition("tags", "contains", "vip")) == []
        assert _ids(tags_store, Condition("tags", "contains", "lead")) == ["t1"]

    def test_rolled_back_write_leaves_no_values(self, tags_store: StorageBackend) -> None:
        with pytest.raises(RuntimeError), tags_store.transaction() as tx:  # noqa: PT012 - the raise aborts the unit of work
            tx.put_many([tagged("t1", "vip")])
            raise RuntimeError("abort")
        assert _ids(tags_store, Condition("tags", "contains", "vip")) == []

    def test_count_with_a_contains_condition(self, tags_store: StorageBackend) -> None:
        with tags_store.transaction() as tx:
            tx.put_many([tagged("t1", "vip"), tagged("t2", "vip", "lead"), tagged("t3")])
        agg = Aggregate("tagged", (Condition("tags", "contains", "vip"),), (Measure("count"),))
        groups = aggregate(_SCHEMA, tags_store, agg)
        assert groups[0].values["count"] == 2

    @pytest.mark.parametrize(
        ("where", "order_by"),
        [
            ((Condition("tags", "eq", "vip"),), "id"),
            ((Condition("name", "contains", "vip"),), "id"),
            ((Condition("tags", "contains", ""),), "id"),
            ((Condition("tags", "contains", 3),), "id"),
            ((Condition("tags", "in", "vip"),), "id"),
            ((), "tags"),
        ],
    )
    def test_bad_conditions_are_refused(
        self, tags_store: StorageBackend, where: Any, order_by: str
    ) -> None:
        with pytest.raises(ValidationError):
            tags_store.query(Query("tagged", where, order_by=order_by))

    @pytest.mark.parametrize("tags", ["vip", [3], [""], ["a"] * 101, None])
    def test_bad_values_are_refused(self, tags_store: StorageBackend, tags: Any) -> None:
        with pytest.raises(ValidationError), tags_store.transaction() as tx:
            tx.put_many([Write("tagged", "t1", {}, {"name": "n", "tags": tags})])

    def test_matches_the_python_model(self, tags_store: StorageBackend) -> None:
        records = st.lists(st.sets(st.sampled_from(_TAGS), max_size=3), max_size=6)
        probe = st.lists(st.sampled_from(_TAGS), max_size=3)
        rounds = itertools.count()

        @settings(max_examples=15, deadline=None)
        @given(records, probe)
        def check(holdings: list[set[str]], wanted: list[str]) -> None:
            prefix = f"r{next(rounds)}-"
            with tags_store.transaction() as tx:
                tx.put_many([tagged(f"{prefix}{n}", *h) for n, h in enumerate(holdings)])
            want = {w.casefold() for w in wanted}
            expected = [
                f"{prefix}{n}" for n, h in enumerate(holdings) if want & {t.casefold() for t in h}
            ]
            got = _ids(tags_store, Condition("tags", "in", wanted))
            assert [i for i in got if i.startswith(prefix)] == sorted(expected)

        check()

    # -- prefix: a str field starting with, or a str[] field holding a value starting with --

    @pytest.fixture
    def named_store(self, make_backend: Any) -> Any:
        store = make_backend(_NAMED, f"named{next(_names)}")
        try:
            yield store
        finally:
            store.close()

    def test_prefix_on_a_str_field_is_exact_and_code_point_ordered(
        self, named_store: StorageBackend
    ) -> None:
        with named_store.transaction() as tx:
            tx.put_many(
                [
                    Write("named", f"n{i}", {}, {"name": w, "note": None if i % 2 else w})
                    for i, w in enumerate(_WORDS)
                ]
            )

        def names(*where: Condition) -> list[str]:
            page = named_store.query(Query("named", where, order_by="name", limit=100))
            return [str(r.indexed["name"]) for r in page.records]

        for probe in ("a", "ab", "A", "ä", "\U0010ffff", "a\U0010ffff", "zz"):
            want = sorted(w for w in _WORDS if w.startswith(probe))
            assert names(Condition("name", "prefix", probe)) == want, probe
        assert names(Condition("note", "prefix", "a")) == sorted(
            w for i, w in enumerate(_WORDS) if w.startswith("a") and not i % 2
        )
        for bad in ("", 3, None):
            with pytest.raises(ValidationError):
                names(Condition("name", "prefix", bad))

    def test_prefix_on_a_str_list_field(self, tags_store: StorageBackend) -> None:
        with tags_store.transaction() as tx:
            tx.put_many(
                [tagged("t1", "vip", "lead"), tagged("t2", "Vienna"), tagged("t3", "ärger")]
            )
        assert _ids(tags_store, Condition("tags", "prefix", "VI")) == ["t1", "t2"]
        assert _ids(tags_store, Condition("tags", "prefix", " l")) == ["t1"]
        assert _ids(tags_store, Condition("tags", "prefix", "Är")) == ["t3"]
        assert _ids(tags_store, Condition("tags", "prefix", "x")) == []
        both = (Condition("tags", "prefix", "v"), Condition("tags", "contains", "lead"))
        assert _ids(tags_store, *both) == ["t1"]
        agg = Aggregate("tagged", (Condition("tags", "prefix", "v"),), (Measure("count"),))
        assert aggregate(_SCHEMA, tags_store, agg)[0].values["count"] == 2
        with pytest.raises(ValidationError):
            _ids(tags_store, Condition("tags", "prefix", ""))

    def test_prefix_matches_the_python_model(self, tags_store: StorageBackend) -> None:
        rounds = itertools.count()

        @settings(max_examples=15, deadline=None)
        @given(
            st.lists(st.sets(st.sampled_from(_PRINTABLE), max_size=3), max_size=6),
            st.sampled_from(_PRINTABLE),
        )
        def check(holdings: list[set[str]], probe: str) -> None:
            prefix = f"p{next(rounds)}-"
            with tags_store.transaction() as tx:
                tx.put_many([tagged(f"{prefix}{n}", *h) for n, h in enumerate(holdings)])
            key = probe.strip().casefold()
            expected = [
                f"{prefix}{n}"
                for n, h in enumerate(holdings)
                if any(t.strip().casefold().startswith(key) for t in h)
            ]
            got = _ids(tags_store, Condition("tags", "prefix", probe))
            assert [i for i in got if i.startswith(prefix)] == sorted(expected)

        check()
