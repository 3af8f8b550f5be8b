"""The stateful model of the conformance kit: a backend against a dict.

Part of `relationship_core.testing.storage`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta, timezone
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
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
from relationship_core.exceptions import ConflictError
from relationship_core.testing._kit_schema import T0, all_ids

__all__ = ["StorageStateMachine", "make_state_machine"]

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
        got = all_ids(self.store, Query("item", tuple(conds), order_by, descending, limit))
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
