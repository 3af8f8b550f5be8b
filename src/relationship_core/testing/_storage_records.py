"""Conformance tests of records, queries and refusals.

Part of `relationship_core.testing.storage.StorageBackendTests`; kept in
its own module so each part of the kit stays small.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from relationship_core._storage.contract import (
    Delete,
    NewEvent,
    NewJob,
    Query,
    Write,
)
from relationship_core._storage.protocols import StorageBackend
from relationship_core.exceptions import ConflictError, ValidationError
from relationship_core.testing._kit_schema import T0, all_ids, item

__all__ = ["RecordTests"]


class RecordTests:
    """Conformance tests of records, queries and refusals."""

    # -- records -------------------------------------------------------------------

    def test_put_then_get(self, backend: StorageBackend) -> None:
        when = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone(timedelta(hours=2)))
        with backend.transaction() as tx:
            [rec] = tx.put_many(
                [
                    item(
                        "a",
                        name="Ada",
                        rank=3,
                        score=1.5,
                        seen_at=when,
                        data={"x": [1, "two", None]},
                    )
                ]
            )
        assert (rec.kind, rec.id, rec.version, rec.schema_version) == ("item", "a", 1, 1)
        got = backend.get_many("item", ["a"])["a"]
        assert got.data == {"x": [1, "two", None]}
        assert got.version == 1
        assert got.indexed["name"] == "Ada"
        assert got.indexed["rank"] == 3
        assert got.indexed["score"] == 1.5
        assert got.indexed["active"] is True
        assert got.indexed["seen_at"] == when
        assert got.indexed["seen_at"].utcoffset() == timedelta(0)  # type: ignore[union-attr]
        assert got.indexed["due"] == date(2026, 1, 1)
        assert got.indexed["note"] is None

    def test_versions_increase_and_schema_version_is_kept(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("a")])
        with backend.transaction() as tx:
            w = item("a", data={"v": 2}, expected=1)
            [rec] = tx.put_many([Write(w.kind, w.id, w.data, w.indexed, 1, schema_version=3)])
        assert rec.version == 2
        got = backend.get_many("item", ["a"])["a"]
        assert (got.version, got.schema_version, got.data) == (2, 3, {"v": 2})

    def test_stale_write_conflicts_and_changes_nothing(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("a", data={"v": 1})])
        with backend.transaction() as tx:
            tx.put_many([item("a", data={"v": 2}, expected=1)])
        with pytest.raises(ConflictError) as info, backend.transaction() as tx:
            tx.put_many([item("b"), item("a", data={"v": 3}, expected=1)])
        assert (info.value.kind, info.value.id) == ("item", "a")
        assert (info.value.expected, info.value.actual) == (1, 2)
        assert backend.get_many("item", ["a"])["a"].data == {"v": 2}
        assert backend.get_many("item", ["b"]) == {}

    def test_create_existing_conflicts(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("a")])
        with pytest.raises(ConflictError) as info, backend.transaction() as tx:
            tx.put_many([item("a", data={"other": True})])
        assert info.value.actual == 1
        assert backend.get_many("item", ["a"])["a"].data == {"id": "a"}

    def test_update_of_missing_conflicts(self, backend: StorageBackend) -> None:
        with pytest.raises(ConflictError) as info, backend.transaction() as tx:
            tx.put_many([item("ghost", expected=1)])
        assert info.value.actual is None
        assert backend.get_many("item", ["ghost"]) == {}

    def test_same_id_twice_in_one_batch(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            recs = tx.put_many([item("a", data={"v": 1}), item("a", data={"v": 2}, expected=1)])
        assert [r.version for r in recs] == [1, 2]
        assert backend.get_many("item", ["a"])["a"].data == {"v": 2}

    def test_delete(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("a"), item("b")])
        with pytest.raises(ConflictError), backend.transaction() as tx:
            tx.delete(Delete("item", "a", 7))
        with backend.transaction() as tx:
            tx.delete(Delete("item", "a", 1))
        assert set(backend.get_many("item", ["a", "b"])) == {"b"}
        with pytest.raises(ConflictError), backend.transaction() as tx:
            tx.delete(Delete("item", "a", 1))
        with backend.transaction() as tx:
            [rec] = tx.put_many([item("a")])
        assert rec.version == 1

    def test_exception_rolls_back_everything(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("keep")])
        with pytest.raises(RuntimeError), backend.transaction() as tx:  # noqa: PT012 - a whole transaction
            tx.put_many([item("a"), item("keep", data={"changed": 1}, expected=1)])
            tx.delete(Delete("item", "keep", 2))
            tx.append_events([NewEvent("thing.happened", "a", T0)])
            tx.enqueue([NewJob("q", {}, T0, idempotency_key="k")])
            raise RuntimeError("boom")
        assert set(backend.get_many("item", ["a", "keep"])) == {"keep"}
        assert backend.get_many("item", ["keep"])["keep"].version == 1
        assert backend.read_events() == []
        assert backend.claim_jobs(worker="w", now=T0, lease=timedelta(minutes=1)) == []
        with backend.transaction() as tx:
            [job_id] = tx.enqueue([NewJob("q", {}, T0, idempotency_key="k")])
        assert backend.get_job(job_id) is not None

    def test_transaction_reads_its_own_writes(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("a", rank=5)])
            assert tx.get_many("item", ["a"])["a"].version == 1
            page = tx.query(Query("item", [("rank", "eq", 5)]))
            assert [r.id for r in page.records] == ["a"]

    def test_returned_documents_are_copies(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item("a", data={"list": [1]})])
        got = backend.get_many("item", ["a"])["a"]
        got.data["list"].append(2)
        got.data["new"] = True
        assert backend.get_many("item", ["a"])["a"].data == {"list": [1]}

    def test_get_many_skips_missing(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many([item(f"r{i}") for i in range(5)])
        found = backend.get_many("item", ["r4", "nope", "r0", "r2"])
        assert sorted(found) == ["r0", "r2", "r4"]
        assert all(found[k].id == k for k in found)
        assert backend.get_many("item", []) == {}

    def test_many_records_in_one_batch(self, backend: StorageBackend) -> None:
        writes = [item(f"id{i:05d}", rank=i % 7, data={"n": i}) for i in range(1200)]
        with backend.transaction() as tx:
            tx.put_many(writes)
        got = backend.get_many("item", [w.id for w in writes])
        assert len(got) == 1200
        assert got["id01199"].data == {"n": 1199}
        with backend.transaction() as tx:
            tx.put_many([item(w.id, rank=1, data={"n": -1}, expected=1) for w in writes])
        assert {r.version for r in backend.get_many("item", [w.id for w in writes]).values()} == {2}

    # -- queries ---------------------------------------------------------------------

    def _fill(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.put_many(
                [
                    item(
                        f"i{i:02d}",
                        name="abc"[i % 3],
                        rank=i % 4,
                        score=i / 3,
                        active=i % 2 == 0,
                        seen_at=T0 + timedelta(hours=i),
                        due=date(2026, 1, 1 + i % 5),
                        note=None if i % 3 else f"note{i}",
                    )
                    for i in range(20)
                ]
            )

    def test_query_filters(self, backend: StorageBackend) -> None:
        self._fill(backend)

        def ids(*where: tuple[str, str, object]) -> list[str]:
            return all_ids(backend, Query("item", where, limit=7))

        assert ids(("rank", "eq", 2)) == ["i02", "i06", "i10", "i14", "i18"]
        assert ids(("rank", "ge", 3), ("active", "eq", False)) == [
            "i03",
            "i07",
            "i11",
            "i15",
            "i19",
        ]
        assert ids(("name", "in", ["a", "c"]), ("rank", "lt", 1)) == ["i00", "i08", "i12"]
        assert ids(("seen_at", "gt", T0 + timedelta(hours=17))) == ["i18", "i19"]
        assert ids(("due", "le", date(2026, 1, 1)), ("score", "ge", 4.0)) == ["i15"]
        assert ids(("note", "eq", None), ("rank", "eq", 0)) == ["i04", "i08", "i16"]
        assert ids(("note", "eq", "note3")) == ["i03"]
        assert ids(("id", "in", ["i01", "zz"]), ("rank", "eq", 1)) == ["i01"]
        assert ids(("name", "in", [])) == []
        assert ids(("id", "gt", "i17")) == ["i18", "i19"]

    @pytest.mark.parametrize("descending", [False, True])
    @pytest.mark.parametrize(
        "order_by", ["id", "name", "rank", "score", "seen_at", "due", "active"]
    )
    def test_query_order_and_pages(
        self, backend: StorageBackend, order_by: str, descending: bool
    ) -> None:
        self._fill(backend)
        with backend.transaction() as tx:
            every = tx.query(Query("item", limit=100)).records
        expected = sorted(
            every,
            key=lambda r: (r.id if order_by == "id" else r.indexed[order_by], r.id),
            reverse=descending,
        )
        for limit in (1, 3, 20, 50):
            got = all_ids(
                backend, Query("item", order_by=order_by, descending=descending, limit=limit)
            )
            assert got == [r.id for r in expected]

    def test_cursor_of_another_query_is_refused(self, backend: StorageBackend) -> None:
        self._fill(backend)
        page = backend.query(Query("item", order_by="rank", limit=2))
        assert page.next_cursor is not None
        with pytest.raises(ValidationError) as info:
            backend.query(Query("item", order_by="name", limit=2, after=page.next_cursor))
        assert info.value.field == "after"
        with pytest.raises(ValidationError):
            backend.query(Query("item", after="not-a-cursor"))

    # -- refusals ----------------------------------------------------------------------

    def test_unknown_kind_is_refused(self, backend: StorageBackend) -> None:
        with pytest.raises(ValidationError) as info:
            backend.get_many("robot", ["a"])
        assert (info.value.field, info.value.value) == ("kind", "robot")
        with pytest.raises(ValidationError), backend.transaction() as tx:
            tx.put_many([Write("robot", "a", {})])
        with pytest.raises(ValidationError):
            backend.query(Query("item; DROP TABLE rc_rec_item"))

    def test_unknown_or_hostile_fields_are_refused(self, backend: StorageBackend) -> None:
        for field in ["colour", "rank; DROP TABLE rc_rec_item --", "rank) OR (1=1", "data", ""]:
            with pytest.raises(ValidationError) as info:
                backend.query(Query("item", [(field, "eq", "x")]))
            assert info.value.value == field
            with pytest.raises(ValidationError):
                backend.query(Query("item", order_by=field))
        with pytest.raises(ValidationError):
            backend.query(Query("item", [("rank", "like", 1)]))
        w = item("a")
        with pytest.raises(ValidationError), backend.transaction() as tx:
            tx.put_many([Write("item", "a", w.data, {**w.indexed, "extra; --": 1})])
        assert backend.get_many("item", ["a"]) == {}

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("rank", "3"),
            ("rank", 2.5),
            ("rank", True),
            ("rank", 2**70),
            ("score", float("nan")),
            ("score", "1.0"),
            ("active", 1),
            ("seen_at", datetime(2026, 1, 1)),  # noqa: DTZ001 - naive on purpose
            ("seen_at", "2026-01-01T00:00:00+00:00"),
            ("due", datetime(2026, 1, 1, tzinfo=UTC)),
            ("name", None),
            ("name", "nul\x00byte"),
        ],
    )
    def test_wrong_value_types_are_refused(
        self, backend: StorageBackend, field: str, value: object
    ) -> None:
        w = item("a")
        with pytest.raises(ValidationError) as info, backend.transaction() as tx:
            tx.put_many([Write("item", "a", w.data, {**w.indexed, field: value})])
        assert field in info.value.field
        assert backend.get_many("item", ["a"]) == {}
        if value is not None:
            with pytest.raises(ValidationError):
                backend.query(Query("item", [(field, "eq", value)]))

    def test_bad_documents_and_ids_are_refused(self, backend: StorageBackend) -> None:
        for data in [{"x": float("inf")}, {"x": object()}, {"x": "nul\x00"}, ["not", "a", "dict"]]:
            with pytest.raises(ValidationError), backend.transaction() as tx:
                tx.put_many([item("a", data=data)])  # type: ignore[arg-type]
        for rid in ["", "x" * 201, "nul\x00"]:
            with pytest.raises(ValidationError), backend.transaction() as tx:
                tx.put_many([item(rid)])
        assert backend.query(Query("item")).records == ()

    def test_hostile_values_are_stored_verbatim(self, backend: StorageBackend) -> None:
        hostile = "'; DROP TABLE rc_rec_item; --"
        with backend.transaction() as tx:
            tx.put_many([item(hostile, name=hostile, data={hostile: hostile})])
        got = backend.get_many("item", [hostile])[hostile]
        assert got.data == {hostile: hostile}
        assert got.indexed["name"] == hostile
        page = backend.query(Query("item", [("name", "eq", hostile)]))
        assert [r.id for r in page.records] == [hostile]
        assert backend.query(Query("item", [("name", "eq", "' OR '1'='1")])).records == ()
