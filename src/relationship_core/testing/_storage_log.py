"""Conformance tests of the event log and the job queue.

Part of `relationship_core.testing.storage.StorageBackendTests`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from relationship_core._storage.contract import (
    NewEvent,
    NewJob,
)
from relationship_core._storage.protocols import StorageBackend
from relationship_core.exceptions import ConflictError
from relationship_core.testing._kit_schema import T0, item

__all__ = ["LogAndQueueTests"]


class LogAndQueueTests:
    """Conformance tests of the event log and the job queue."""

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
