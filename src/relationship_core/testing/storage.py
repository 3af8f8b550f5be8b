"""The storage-backend conformance kit: what makes a backend correct.

Subclass `StorageBackendTests` in your test suite and give it ONE
fixture, ``make_backend``, returning a callable ``(schema, name="default") ->
backend``. Calls with the same *name* must reach the same underlying store
(a reopen, for the ``persistent`` tests); different names, independent
empty stores::

    import pytest
    from relationship_core.testing.storage import StorageBackendTests

    class TestMyBackend(StorageBackendTests):
        @pytest.fixture
        def make_backend(self, tmp_path):
            return lambda schema, name="default": MyBackend(tmp_path / name, schema)

Tests of capabilities the backend does not declare (``persistent``,
``threads``, ``multiprocess``, ``job_control``) are skipped, not failed; the
``job_control`` ones (storage contract 2, in
``relationship_core.testing._storage_jobs``) pin down the job runner's
guarantee: a job completes inside the transaction of its handler's store
changes, so those happen exactly once, while effects outside the store are
at least once and must carry ``job.idempotency_key or job.id``. ``test_state_machine``
drives the backend and a plain dict model side by side with Hypothesis and
checks that they agree after every step; tune it with
``state_machine_settings``. The refusals every backend must share (over-long
indexed text, lone surrogates, a string given to ``in``) come from
``relationship_core.testing._storage_input``; exact aggregates and decimal
fields (SQL or the backend's own computation equal to Python's on random
data) from ``relationship_core.testing._storage_aggregates``; kept record versions
(capability ``versions``: every update and delete keeps what it replaced) from
``relationship_core.testing._storage_versions``. Nothing here is autouse: importing this module
changes nothing in your suite until you subclass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar, Protocol, cast

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from relationship_core._storage.contract import (
    Condition,
    Delete,
    Job,
    NewEvent,
    NewJob,
    Op,
    Query,
    Record,
    Write,
)
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import Schema
from relationship_core.exceptions import ConflictError, ValidationError
from relationship_core.testing._kit_schema import KIT_SCHEMA
from relationship_core.testing._storage_aggregates import AggregateTests
from relationship_core.testing._storage_dump import DumpTests
from relationship_core.testing._storage_input import InputTests
from relationship_core.testing._storage_jobs import JobControlTests
from relationship_core.testing._storage_multi import MultiValuedTests
from relationship_core.testing._storage_resume import ResumableLoadTests
from relationship_core.testing._storage_unique import UniqueKeyTests
from relationship_core.testing._storage_versions import VersionTests

__all__ = [
    "KIT_SCHEMA",
    "BackendMaker",
    "StorageBackendTests",
    "StorageStateMachine",
    "make_state_machine",
]

#: The kinds the kit stores: one of every indexed field type, one nullable.
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


class BackendMaker(Protocol):
    """What the ``make_backend`` fixture returns."""

    def __call__(self, schema: Schema, name: str = "default") -> StorageBackend:
        """Open the store called *name* (same name: same store) for *schema*."""
        ...


def item(
    rid: str,
    *,
    name: str = "n",
    rank: int = 0,
    score: float = 0.0,
    active: bool = True,
    seen_at: datetime = T0,
    due: date = date(2026, 1, 1),
    note: str | None = None,
    data: dict[str, Any] | None = None,
    expected: int | None = None,
) -> Write:
    """A write of one ``item`` record (test helper)."""
    indexed = {
        "name": name,
        "rank": rank,
        "score": score,
        "active": active,
        "seen_at": seen_at,
        "due": due,
        "note": note,
    }
    return Write("item", rid, data if data is not None else {"id": rid}, indexed, expected)


def _all_ids(store: StorageBackend, query: Query) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = store.query(
            Query(query.kind, query.where, query.order_by, query.descending, query.limit, cursor)
        )
        ids.extend(r.id for r in page.records)
        if page.next_cursor is None:
            return ids
        assert page.records, "a page with a next cursor must not be empty"
        cursor = page.next_cursor


class StorageBackendTests(
    InputTests,
    JobControlTests,
    AggregateTests,
    UniqueKeyTests,
    MultiValuedTests,
    DumpTests,
    ResumableLoadTests,
    VersionTests,
):
    """Conformance tests; subclass and provide the ``make_backend`` fixture."""

    #: Hypothesis settings for :meth:`test_state_machine`.
    state_machine_settings: ClassVar[settings] = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )

    @pytest.fixture
    def make_backend(self) -> BackendMaker:
        """Override: return ``(schema, name="default") -> backend``."""
        raise NotImplementedError("override the make_backend fixture in your test class")

    @pytest.fixture
    def backend(self, make_backend: BackendMaker) -> Iterator[StorageBackend]:
        """A fresh store with `KIT_SCHEMA`, closed afterwards."""
        store = make_backend(KIT_SCHEMA, "kit")
        try:
            yield store
        finally:
            store.close()

    @staticmethod
    def require(store: StorageBackend, capability: str) -> None:
        """Skip unless the backend declares *capability*."""
        if capability not in store.capabilities:
            pytest.skip(f"backend does not declare the {capability!r} capability")

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
            return _all_ids(backend, Query("item", where, limit=7))

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
            got = _all_ids(
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

    # -- event log ---------------------------------------------------------------------

    def test_event_log_follows_from_a_position(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            first = tx.append_events(
                [NewEvent("a.one", "x", T0, {"n": 1}, "item"), NewEvent("a.two", "x", T0, {"n": 2})]
            )
        with backend.transaction() as tx:
            second = tx.append_events(
                [NewEvent("a.three", "y", T0 + timedelta(seconds=1), {"n": 3})]
            )
        assert first + second == [1, 2, 3]
        events = backend.read_events()
        assert [(e.seq, e.type, e.data["n"]) for e in events] == [
            (1, "a.one", 1),
            (2, "a.two", 2),
            (3, "a.three", 3),
        ]
        assert events[0].aggregate_kind == "item"
        assert events[2].occurred_at == T0 + timedelta(seconds=1)
        assert [e.seq for e in backend.read_events(after=1, limit=1)] == [2]
        assert backend.read_events(after=3) == []

    def test_rolled_back_events_leave_no_trace(self, backend: StorageBackend) -> None:
        with pytest.raises(ConflictError), backend.transaction() as tx:  # noqa: PT012
            tx.append_events([NewEvent("lost", "x", T0)])
            tx.put_many([item("a", expected=4)])
        with backend.transaction() as tx:
            assert tx.append_events([NewEvent("kept", "x", T0)]) == [1]
        assert [e.type for e in backend.read_events()] == ["kept"]

    # -- job queue ---------------------------------------------------------------------

    def test_enqueue_is_idempotent(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            [a] = tx.enqueue([NewJob("mail", {"to": "x"}, T0, idempotency_key="k1")])
        with backend.transaction() as tx:
            [b, c] = tx.enqueue(
                [NewJob("mail", {"to": "y"}, T0, idempotency_key="k1"), NewJob("mail", {}, T0)]
            )
        assert a == b != c
        jobs = backend.claim_jobs(worker="w", now=T0, lease=timedelta(minutes=1), limit=10)
        assert sorted(j.id for j in jobs) == sorted([a, c])
        assert {j.id: j.payload for j in jobs}[a] == {"to": "x"}

    def test_claim_lease_complete(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            [early, late] = tx.enqueue(
                [NewJob("q", {"n": 1}, T0), NewJob("q", {"n": 2}, T0 + timedelta(hours=1))]
            )
        lease = timedelta(minutes=5)
        [job] = backend.claim_jobs(worker="w1", now=T0, lease=lease, limit=5)
        assert (job.id, job.state, job.attempts, job.lease_owner) == (early, "claimed", 1, "w1")
        assert job.lease_expires_at == T0 + lease
        assert backend.claim_jobs(worker="w2", now=T0 + timedelta(minutes=1), lease=lease) == []
        backend.complete_job(job)
        stored = backend.get_job(early)
        assert stored is not None
        assert stored.state == "done"
        assert backend.claim_jobs(worker="w2", now=T0 + timedelta(minutes=30), lease=lease) == []
        [job2] = backend.claim_jobs(worker="w2", now=T0 + timedelta(hours=1), lease=lease)
        assert job2.id == late

    def test_expired_lease_is_claimable_again(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            [jid] = tx.enqueue([NewJob("q", {}, T0)])
        lease = timedelta(minutes=5)
        [first] = backend.claim_jobs(worker="w1", now=T0, lease=lease)
        [second] = backend.claim_jobs(worker="w2", now=T0 + lease, lease=lease)
        assert (second.id, second.lease_owner, second.attempts) == (jid, "w2", 2)
        with pytest.raises(ConflictError):
            backend.complete_job(first)
        backend.complete_job(second)
        done = backend.get_job(jid)
        assert done is not None
        assert done.state == "done"

    def test_retry_then_dead_letter(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.enqueue([NewJob("q", {}, T0, max_attempts=2)])
        lease = timedelta(minutes=1)
        [job] = backend.claim_jobs(worker="w", now=T0, lease=lease)
        retried = backend.retry_job(job, due_at=T0 + timedelta(hours=1), error="smtp down")
        assert (retried.state, retried.last_error, retried.attempts) == ("pending", "smtp down", 1)
        assert backend.claim_jobs(worker="w", now=T0 + timedelta(minutes=30), lease=lease) == []
        [job] = backend.claim_jobs(worker="w", now=T0 + timedelta(hours=1), lease=lease)
        assert job.attempts == 2
        dead = backend.retry_job(job, due_at=T0 + timedelta(hours=2), error="still down")
        assert dead.state == "dead"
        assert backend.claim_jobs(worker="w", now=T0 + timedelta(days=9), lease=lease) == []
        with pytest.raises(ConflictError):
            backend.retry_job(job, due_at=T0, error="again")

    def test_lease_expiry_on_last_attempt_dead_letters(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            [jid] = tx.enqueue([NewJob("q", {}, T0, max_attempts=1)])
        lease = timedelta(minutes=1)
        assert len(backend.claim_jobs(worker="w", now=T0, lease=lease)) == 1
        assert backend.claim_jobs(worker="w", now=T0 + lease, lease=lease) == []
        job = backend.get_job(jid)
        assert job is not None
        assert job.state == "dead"

    def test_claim_respects_queues_and_limit(self, backend: StorageBackend) -> None:
        with backend.transaction() as tx:
            tx.enqueue([NewJob(q, {"i": i}, T0) for i in range(3) for q in ("a", "b")])
        lease = timedelta(minutes=1)
        got = backend.claim_jobs(worker="w", now=T0, lease=lease, limit=2, queues=["b"])
        assert [j.queue for j in got] == ["b", "b"]
        rest = backend.claim_jobs(worker="w", now=T0, lease=lease, limit=10, queues=["a", "b"])
        assert sorted(j.queue for j in rest) == ["a", "a", "a", "b"]
        assert backend.claim_jobs(worker="w", now=T0, lease=lease, queues=[]) == []

    # -- capabilities -------------------------------------------------------------------

    def test_reopen_keeps_everything(self, make_backend: BackendMaker) -> None:
        first = make_backend(KIT_SCHEMA, "reopen")
        self.require(first, "persistent")
        try:
            with first.transaction() as tx:
                tx.put_many([item("a", rank=7, data={"k": "v"})])
                tx.append_events([NewEvent("e", "a", T0)])
                [jid] = tx.enqueue([NewJob("q", {"p": 1}, T0, idempotency_key="once")])
        finally:
            first.close()
        second = make_backend(KIT_SCHEMA, "reopen")
        try:
            got = second.get_many("item", ["a"])["a"]
            assert (got.version, got.data, got.indexed["rank"]) == (1, {"k": "v"}, 7)
            assert [e.type for e in second.read_events()] == ["e"]
            with second.transaction() as tx:
                assert tx.enqueue([NewJob("q", {}, T0, idempotency_key="once")]) == [jid]
                assert tx.append_events([NewEvent("f", "a", T0)]) == [2]
        finally:
            second.close()

    def test_concurrent_writers_lose_no_update(self, backend: StorageBackend) -> None:
        self.require(backend, "threads")
        with backend.transaction() as tx:
            tx.put_many([item("counter", rank=0)])
        applied: list[int] = []
        conflicts: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            for _ in range(15):
                while True:
                    rec = backend.get_many("item", ["counter"])["counter"]
                    try:
                        with backend.transaction() as tx:
                            tx.put_many(
                                [
                                    item(
                                        "counter",
                                        rank=cast(int, rec.indexed["rank"]) + 1,
                                        expected=rec.version,
                                    )
                                ]
                            )
                    except ConflictError:
                        with lock:
                            conflicts.append(1)
                        continue
                    with lock:
                        applied.append(1)
                    break

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = backend.get_many("item", ["counter"])["counter"]
        assert len(applied) == 60
        assert final.version == 1 + len(applied)
        assert final.indexed["rank"] == len(applied)

    def test_concurrent_claims_never_share_a_job(self, backend: StorageBackend) -> None:
        self.require(backend, "threads")
        with backend.transaction() as tx:
            ids = tx.enqueue([NewJob("q", {"i": i}, T0) for i in range(60)])
        seen: list[str] = []
        lock = threading.Lock()

        def work(name: str) -> None:
            while True:
                jobs = backend.claim_jobs(worker=name, now=T0, lease=timedelta(hours=1), limit=3)
                if not jobs:
                    return
                for job in jobs:
                    backend.complete_job(job)
                with lock:
                    seen.extend(j.id for j in jobs)

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(seen) == sorted(ids)

    def test_followers_never_skip_events(self, backend: StorageBackend) -> None:
        self.require(backend, "threads")
        stop = threading.Event()
        problems: list[str] = []
        seen: list[int] = []

        def follow() -> None:
            position = 0
            while True:
                done = stop.is_set()
                events = backend.read_events(after=position, limit=50)
                seqs = [e.seq for e in events]
                if seqs != list(range(position + 1, position + 1 + len(seqs))):
                    problems.append(f"after {position} read {seqs}")
                    return
                seen.extend(seqs)
                position += len(seqs)
                if done and not seqs:
                    return

        def write(n: int) -> None:
            for i in range(15):
                with backend.transaction() as tx:
                    tx.append_events([NewEvent("w", f"{n}-{i}", T0), NewEvent("w", f"{n}-{i}", T0)])

        reader = threading.Thread(target=follow)
        writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        reader.start()
        for t in writers:
            t.start()
        for t in writers:
            t.join()
        stop.set()
        reader.join()
        assert problems == []
        assert seen == list(range(1, 4 * 15 * 2 + 1))

    # -- the model ----------------------------------------------------------------------

    def test_state_machine(self, make_backend: BackendMaker) -> None:
        counter = iter(range(1_000_000))
        machine = make_state_machine(lambda: make_backend(KIT_SCHEMA, f"sm{next(counter)}"))
        run_state_machine_as_test(machine, settings=self.state_machine_settings)


# -- the state machine ---------------------------------------------------------------------

_IDS = st.sampled_from([f"r{i}" for i in range(6)])
_NAMES = st.sampled_from(["", "a", "b", "ab", "B", "é", "'; --"])
_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
_TIMES = st.builds(
    lambda minutes, zone: (T0 + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(-600, 600),
    _ZONES,
)
_INDEXED = st.fixed_dictionaries(
    {
        "name": _NAMES,
        "rank": st.integers(-3, 3),
        "score": st.sampled_from([-1.5, 0.0, 0.25, 2.0, 1e300]),
        "active": st.booleans(),
        "seen_at": _TIMES,
        "due": st.dates(date(2025, 12, 30), date(2026, 1, 3)),
        "note": st.none() | _NAMES,
    }
)
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=4)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_DATA = st.dictionaries(_TEXT, _JSON, max_size=3)
_OPS: st.SearchStrategy[Op] = st.sampled_from(["eq", "lt", "le", "gt", "ge", "in"])


def _model_match(indexed: dict[str, Any], rid: str, cond: Condition) -> bool:
    actual = rid if cond.field == "id" else indexed[cond.field]
    value: Any = cond.value
    if cond.op == "eq":
        return bool(actual == value) if value is not None else actual is None
    if actual is None:
        return False
    if cond.op == "in":
        return actual in value
    if cond.op == "lt":
        return bool(actual < value)
    if cond.op == "le":
        return bool(actual <= value)
    if cond.op == "gt":
        return bool(actual > value)
    return bool(actual >= value)


class StorageStateMachine(RuleBasedStateMachine):
    """Drives a backend and a plain dict model with the same steps; they must agree.

    Build a concrete class with `make_state_machine`.
    """

    open_backend: ClassVar[Callable[[], StorageBackend]]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).open_backend()
        self.records: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {}
        self.events: list[tuple[str, str]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}
        self.now = T0
        self.held: dict[str, Job] = {}

    def teardown(self) -> None:
        self.store.close()

    @initialize()
    def starts_empty(self) -> None:
        assert self.store.query(Query("item")).records == ()
        assert self.store.read_events() == []

    # records
    @rule(rid=_IDS, data=_DATA, indexed=_INDEXED, stale=st.booleans())
    def put(self, rid: str, data: dict[str, Any], indexed: dict[str, Any], stale: bool) -> None:
        current = self.records.get(rid)
        version = current[0] if current else None
        if stale:
            version = 1 if current is None else (None if current[0] % 2 else current[0] + 1)
        write = Write("item", rid, data, indexed, version)
        ok = (current[0] if current else None) == version
        try:
            with self.store.transaction() as tx:
                [rec] = tx.put_many([write])
        except ConflictError:
            assert not ok, f"refused a write at the current version {version}"
            return
        assert ok, (
            f"accepted a stale write (expected {version}, model has {current and current[0]})"
        )
        assert rec.version == (version or 0) + 1
        self.records[rid] = (rec.version, data, indexed)

    @rule(rid=_IDS, stale=st.booleans())
    def delete(self, rid: str, stale: bool) -> None:
        current = self.records.get(rid)
        version = (current[0] if current else 1) + (1 if stale else 0)
        ok = current is not None and current[0] == version
        try:
            with self.store.transaction() as tx:
                tx.delete(Delete("item", rid, version))
        except ConflictError:
            assert not ok
            return
        assert ok
        del self.records[rid]

    @rule(rids=st.lists(_IDS, max_size=3), data=_DATA, indexed=_INDEXED)
    def failed_transaction_changes_nothing(
        self, rids: list[str], data: dict[str, Any], indexed: dict[str, Any]
    ) -> None:
        class BoomError(Exception):
            pass

        def boom() -> None:
            raise BoomError

        try:
            with self.store.transaction() as tx:
                for rid in dict.fromkeys(rids):
                    current = self.records.get(rid)
                    tx.put_many(
                        [Write("item", rid, data, indexed, current[0] if current else None)]
                    )
                tx.append_events([NewEvent("never", "x", self.now)])
                boom()
        except BoomError:
            pass

    @rule(
        data=st.data(),
        order_by=st.sampled_from(["id", "name", "rank", "score", "seen_at", "due", "active"]),
        descending=st.booleans(),
        limit=st.integers(1, 4),
    )
    def query(self, data: st.DataObject, order_by: str, descending: bool, limit: int) -> None:
        values: dict[str, st.SearchStrategy[Any]] = {
            "name": _NAMES,
            "rank": st.integers(-3, 3),
            "score": st.sampled_from([-1.5, 0.0, 0.25, 2.0]),
            "active": st.booleans(),
            "seen_at": _TIMES,
            "due": st.dates(date(2025, 12, 30), date(2026, 1, 3)),
            "note": _NAMES,
            "id": _IDS,
        }
        where = data.draw(
            st.lists(st.tuples(st.sampled_from(sorted(values)), _OPS), max_size=2), label="where"
        )
        conds = []
        for field, op in where:
            strategy = values[field]
            value: object
            if op == "in":
                value = data.draw(st.lists(strategy, max_size=3))
            elif field == "note" and op == "eq":
                value = data.draw(st.one_of(st.none(), strategy))
            else:
                value = data.draw(strategy)
            conds.append(Condition(field, op, value))
        expected = [
            rid
            for rid, (_, _, idx) in self.records.items()
            if all(_model_match(idx, rid, c) for c in conds)
        ]
        expected.sort(
            key=lambda rid: (rid if order_by == "id" else self.records[rid][2][order_by], rid),
            reverse=descending,
        )
        got = _all_ids(self.store, Query("item", tuple(conds), order_by, descending, limit))
        assert got == expected

    # events
    @rule(types=st.lists(st.sampled_from(["a.b", "c.d"]), min_size=1, max_size=3))
    def append(self, types: list[str]) -> None:
        with self.store.transaction() as tx:
            seqs = tx.append_events(
                [NewEvent(t, "agg", self.now, {"n": len(self.events)}) for t in types]
            )
        assert seqs == list(range(len(self.events) + 1, len(self.events) + 1 + len(types)))
        self.events.extend((t, "agg") for t in types)

    @rule(after=st.integers(0, 12), limit=st.integers(1, 5))
    def follow(self, after: int, limit: int) -> None:
        got = self.store.read_events(after=after, limit=limit)
        want = self.events[after : after + limit]
        assert [(e.type, e.aggregate_id) for e in got] == want
        assert [e.seq for e in got] == list(range(after + 1, after + 1 + len(want)))

    # jobs
    @rule(key=st.none() | st.sampled_from(["k1", "k2"]), delay=st.integers(0, 10))
    def enqueue(self, key: str | None, delay: int) -> None:
        job = NewJob("q", {"key": key}, self.now + timedelta(minutes=delay), idempotency_key=key)
        with self.store.transaction() as tx:
            [jid] = tx.enqueue([job])
        if key is not None and key in self.keys:
            assert jid == self.keys[key]
            return
        assert jid == job.id
        if key is not None:
            self.keys[key] = jid
        self.jobs[jid] = {"due": job.due_at, "state": "pending", "attempts": 0, "until": None}

    @rule(minutes=st.integers(1, 8))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(limit=st.integers(1, 3))
    def claim(self, limit: int) -> None:
        lease = timedelta(minutes=4)
        due = sorted(
            (j["due"], jid)
            for jid, j in self.jobs.items()
            if (j["state"] == "pending" and j["due"] <= self.now)
            or (j["state"] == "claimed" and j["until"] <= self.now)
        )
        want: list[str] = []
        for _, jid in due:
            if len(want) == limit:
                break
            job = self.jobs[jid]
            if job["state"] == "claimed" and job["attempts"] >= 5:
                job.update(state="dead", until=None)
                self.held.pop(jid, None)
                continue
            job.update(state="claimed", attempts=job["attempts"] + 1, until=self.now + lease)
            want.append(jid)
        got = self.store.claim_jobs(worker="w", now=self.now, lease=lease, limit=limit)
        assert sorted(j.id for j in got) == sorted(want)
        for claimed in got:
            assert claimed.attempts == self.jobs[claimed.id]["attempts"]
            self.held[claimed.id] = claimed

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data(), succeed=st.booleans())
    def finish(self, data: st.DataObject, succeed: bool) -> None:
        jid = data.draw(st.sampled_from(sorted(self.held)))
        job = self.held.pop(jid)
        model = self.jobs[jid]
        live = model["state"] == "claimed" and model["attempts"] == job.attempts
        try:
            if succeed:
                self.store.complete_job(job)
            else:
                self.store.retry_job(job, due_at=self.now + timedelta(minutes=2), error="e")
        except ConflictError:
            assert not live
            return
        assert live
        if succeed:
            model.update(state="done", until=None)
        elif model["attempts"] >= 5:
            model.update(state="dead", until=None)
        else:
            model.update(state="pending", until=None, due=self.now + timedelta(minutes=2))

    @invariant()
    def records_agree(self) -> None:
        got = self.store.get_many("item", sorted(self.records))
        assert set(got) == set(self.records)
        for rid, (version, data, indexed) in self.records.items():
            rec: Record = got[rid]
            assert rec.version == version
            assert rec.data == data
            assert rec.indexed == indexed

    @invariant()
    def jobs_agree(self) -> None:
        for jid, model in self.jobs.items():
            job = self.store.get_job(jid)
            assert job is not None
            assert (job.state, job.attempts) == (model["state"], model["attempts"])


def make_state_machine(open_backend: Callable[[], StorageBackend]) -> type[StorageStateMachine]:
    """A concrete `StorageStateMachine` whose every run opens a fresh store.

    Run it with ``hypothesis.stateful.run_state_machine_as_test`` or expose
    ``make_state_machine(...).TestCase`` as a unittest test case.
    """
    return type(
        "BackendStateMachine", (StorageStateMachine,), {"open_backend": staticmethod(open_backend)}
    )
