"""Conformance tests of storage contract 2's job control (the ``job_control`` capability).

The guarantee these tests pin down, and the job runner builds on: a job is
completed INSIDE the transaction of the store changes its handler made, and
only by the worker holding its newest fence. So a handler's effects inside
the store happen exactly once; effects outside it (an e-mail, a webhook) may
happen more than once and must carry the job's idempotency key
(``job.idempotency_key or job.id``). Every test here is skipped for a
backend that does not declare ``job_control``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from relationship_core._storage.contract import Job, NewJob, Write
from relationship_core._storage.protocols import (
    JobControlBackend,
    StorageBackend,
    contract_version,
    require_job_control,
)
from relationship_core.exceptions import LeaseLostError, NotFoundError, ValidationError
from relationship_core.testing._kit_schema import KIT_SCHEMA

__all__ = ["JobControlTests"]

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _tag(rid: str) -> Write:
    return Write("tag", rid, {"by": "handler"}, {"label": rid})


def _effect_then_complete(store: JobControlBackend, tag: str, job: Job) -> None:
    with store.transaction() as tx:
        tx.put_many([_tag(tag)])
        tx.complete_job(job)


class JobControlTests:
    """Storage contract 2: fences, completion in a transaction, groups, dead letters, positions."""

    @staticmethod
    def jc(store: StorageBackend) -> JobControlBackend:
        """*store* as a job-control backend, or skip the test."""
        if "job_control" not in store.capabilities:
            pytest.skip("backend does not declare the 'job_control' capability")
        return require_job_control(store)

    def _one(self, store: JobControlBackend, **kw: Any) -> str:
        with store.transaction() as tx:
            [jid] = tx.enqueue([NewJob("q", {"n": 1}, T0, **kw)])
        return jid

    def test_job_control_needs_contract_2(self, backend: StorageBackend) -> None:
        if "job_control" in backend.capabilities:
            assert contract_version(backend) >= 2

    def test_each_claim_increments_the_fence(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        jid = self._one(store, group="g1")
        [first] = store.claim_jobs(worker="w1", now=T0, lease=LEASE)
        [second] = store.claim_jobs(worker="w2", now=T0 + LEASE, lease=LEASE)
        assert (first.fence, second.fence, second.group) == (1, 2, "g1")
        stored = store.get_job(jid)
        assert stored is not None
        assert (stored.fence, stored.group) == (2, "g1")

    def test_a_claim_takes_due_and_lapsed_jobs_in_due_order(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        half = timedelta(milliseconds=500)
        with store.transaction() as tx:
            tx.enqueue(
                [NewJob("q", {"n": n}, T0 + timedelta(seconds=n)) for n in range(6)]
                + [NewJob("other", {"n": 9}, T0 + half), NewJob("q", {"n": 7}, T0 + LEASE * 3)]
            )
        first = store.claim_jobs(worker="w1", now=T0 + timedelta(seconds=5), lease=LEASE, limit=4)
        assert [j.payload["n"] for j in first] == [0, 9, 1, 2]
        for job in first:  # all but job 1, whose lease lapses before the next claim
            if job.payload["n"] != 1:
                with store.transaction() as tx:
                    tx.complete_job(job)
        at = T0 + LEASE * 2
        taken = store.claim_jobs(worker="w2", now=at, lease=LEASE, limit=3, queues=["q"])
        assert [(j.payload["n"], j.attempts) for j in taken] == [(1, 2), (3, 1), (4, 1)]
        rest = store.claim_jobs(worker="w3", now=at, lease=LEASE, limit=5, queues=["q"])
        assert [j.payload["n"] for j in rest] == [5]  # 7 is not due yet

    def test_complete_commits_with_the_handlers_changes(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        jid = self._one(store)
        [job] = store.claim_jobs(worker="w", now=T0, lease=LEASE)
        with store.transaction() as tx:
            tx.put_many([_tag("t1")])
            tx.complete_job(job)
        done = store.get_job(jid)
        assert done is not None
        assert done.state == "done"
        assert "t1" in store.get_many("tag", ["t1"])

    def test_failed_transaction_leaves_the_job_claimed(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        jid = self._one(store)
        [job] = store.claim_jobs(worker="w", now=T0, lease=LEASE)

        def fail_after_completing() -> None:
            with store.transaction() as tx:
                tx.put_many([_tag("t1")])
                tx.complete_job(job)
                raise RuntimeError("handler failed after completing")

        with pytest.raises(RuntimeError):
            fail_after_completing()
        still = store.get_job(jid)
        assert still is not None
        assert still.state == "claimed"
        assert store.get_many("tag", ["t1"]) == {}

    def test_lost_lease_cannot_complete_and_rolls_back(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        jid = self._one(store)
        [stale] = store.claim_jobs(worker="w1", now=T0, lease=LEASE)
        [fresh] = store.claim_jobs(worker="w2", now=T0 + LEASE, lease=LEASE)
        with pytest.raises(LeaseLostError) as lost:
            _effect_then_complete(store, "stale", stale)
        assert lost.value.job_id == jid
        assert store.get_many("tag", ["stale"]) == {}
        with pytest.raises(LeaseLostError):
            store.renew_lease(stale, now=T0 + LEASE, lease=LEASE)
        with store.transaction() as tx:
            tx.complete_job(fresh)
        done = store.get_job(jid)
        assert done is not None
        assert done.state == "done"

    def test_same_worker_reclaiming_is_still_fenced(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        self._one(store)
        [old] = store.claim_jobs(worker="w", now=T0, lease=LEASE)
        store.claim_jobs(worker="w", now=T0 + LEASE, lease=LEASE)
        with pytest.raises(LeaseLostError):
            store.complete_job(old)

    def test_renewal_keeps_the_job(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        self._one(store)
        [job] = store.claim_jobs(worker="w1", now=T0, lease=LEASE)
        later = T0 + timedelta(minutes=4)
        renewed = store.renew_lease(job, now=later, lease=LEASE)
        assert renewed.lease_expires_at == later + LEASE
        assert store.claim_jobs(worker="w2", now=T0 + LEASE, lease=LEASE) == []
        store.complete_job(renewed)
        with pytest.raises(ValidationError):
            store.renew_lease(job, now=later, lease=timedelta(0))

    def test_now_none_is_the_stores_clock(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        before = datetime.now(UTC)
        with store.transaction() as tx:
            tx.enqueue([NewJob("q", {}, before - timedelta(seconds=1))])
        [job] = store.claim_jobs(worker="w", lease=LEASE)
        assert job.lease_expires_at is not None
        # The store's clock may be another machine's; allow a generous skew.
        assert abs(job.lease_expires_at - (before + LEASE)) < timedelta(minutes=1)
        renewed = store.renew_lease(job, lease=LEASE)
        assert renewed.lease_expires_at is not None
        assert renewed.lease_expires_at >= job.lease_expires_at

    def test_cancel_group_cancels_pending_and_claimed(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        with store.transaction() as tx:
            ids = tx.enqueue(
                [
                    NewJob("q", {"n": 1}, T0, group="followups:p1"),
                    NewJob("q", {"n": 2}, T0 + timedelta(hours=1), group="followups:p1"),
                    NewJob("q", {"n": 3}, T0 + timedelta(hours=1), group="followups:p2"),
                ]
            )
        [running] = store.claim_jobs(worker="w", now=T0, lease=LEASE)

        def cancel_then_fail() -> None:
            with store.transaction() as tx:
                assert tx.cancel_group("followups:p1") == 2
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            cancel_then_fail()
        assert store.get_job(ids[1]).state == "pending"  # type: ignore[union-attr]
        with store.transaction() as tx:
            assert tx.cancel_group("followups:p1") == 2
            assert tx.cancel_group("nobody") == 0
        states = [store.get_job(i).state for i in ids]  # type: ignore[union-attr]
        assert states == ["cancelled", "cancelled", "pending"]
        with pytest.raises(LeaseLostError):
            _effect_then_complete(store, "late", running)
        assert store.get_many("tag", ["late"]) == {}
        later = T0 + timedelta(days=1)
        [other] = store.claim_jobs(worker="w", now=later, lease=LEASE, limit=10)
        assert other.id == ids[2]

    def test_dead_letters_requeue_and_discard(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        jid = self._one(store, max_attempts=1)
        [job] = store.claim_jobs(worker="w", now=T0, lease=LEASE)
        store.retry_job(job, due_at=T0, error="smtp down")
        [dead] = store.list_jobs(states=["dead"])
        assert (dead.id, dead.last_error) == (jid, "smtp down")
        again = store.requeue_job(jid, due_at=T0 + timedelta(hours=1))
        assert (again.state, again.attempts, again.last_error) == ("pending", 0, "smtp down")
        assert again.due_at == T0 + timedelta(hours=1)
        with pytest.raises(ValidationError):
            store.requeue_job(jid)
        [job] = store.claim_jobs(worker="w", now=T0 + timedelta(hours=1), lease=LEASE)
        store.retry_job(job, due_at=T0, error="still down")
        assert store.discard_job(jid).state == "discarded"
        assert store.list_jobs(states=["dead"]) == []
        with pytest.raises(NotFoundError):
            store.discard_job("no-such-job")

    def test_list_jobs_pages_by_id(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        with store.transaction() as tx:
            ids = tx.enqueue([NewJob(q, {}, T0) for q in ("a", "b", "a", "a")])
        got = store.list_jobs(queue="a", limit=2)
        rest = store.list_jobs(queue="a", after=got[-1].id)
        assert [j.id for j in got + rest] == sorted(
            i for i, q in zip(ids, "abaa", strict=True) if q == "a"
        )
        assert store.list_jobs(states=["done"]) == []
        with pytest.raises(ValidationError):
            store.list_jobs(states=["nope"])
        with pytest.raises(ValidationError):
            store.list_jobs(states="dead")

    def test_job_stats_give_depth_and_lag(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        with store.transaction() as tx:
            tx.enqueue(
                [
                    NewJob("a", {}, T0),
                    NewJob("a", {}, T0 + timedelta(minutes=2)),
                    NewJob("a", {}, T0 + timedelta(hours=2)),
                    NewJob("b", {}, T0, max_attempts=1),
                    NewJob("b", {}, T0),
                ]
            )
        [b1, b2] = store.claim_jobs(worker="w", now=T0, lease=LEASE, limit=2, queues=["b"])
        store.retry_job(b1, due_at=T0, error="boom")
        now = T0 + timedelta(minutes=10)
        stats = store.job_stats(now)
        a, b = stats["a"], stats["b"]
        assert (a.pending, a.due, a.claimed, a.dead) == (3, 2, 0, 0)
        assert (a.oldest_due, a.lag) == (T0, timedelta(minutes=10))
        assert (b.pending, b.due, b.claimed, b.dead) == (0, 0, 1, 1)
        assert (b.oldest_due, b.lag) == (None, None)
        assert sorted(stats) == ["a", "b"]
        assert b2.state == "claimed"

    def test_consumer_positions_commit_with_the_transaction(self, backend: StorageBackend) -> None:
        store = self.jc(backend)
        assert store.get_position("mailer") == 0
        with store.transaction() as tx:
            tx.save_position("mailer", 5)
            assert tx.get_position("mailer") == 5

        def save_then_fail() -> None:
            with store.transaction() as tx:
                tx.save_position("mailer", 9)
                tx.save_position("other", 3)
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            save_then_fail()
        assert (store.get_position("mailer"), store.get_position("other")) == (5, 0)
        with pytest.raises(ValidationError), store.transaction() as tx:
            tx.save_position("mailer", -1)

    def test_groups_fences_and_positions_survive_reopen(self, make_backend: Any) -> None:
        first = make_backend(KIT_SCHEMA, "reopenjc")
        missing = {"persistent", "job_control"} - first.capabilities
        if missing:
            first.close()
            pytest.skip(f"backend does not declare {sorted(missing)}")
        store = self.jc(first)
        jid = self._one(store, group="g")
        [job] = store.claim_jobs(worker="w", now=T0, lease=LEASE)
        with store.transaction() as tx:
            tx.save_position("c", 7)
        store.close()
        again = self.jc(make_backend(KIT_SCHEMA, "reopenjc"))
        try:
            stored = again.get_job(jid)
            assert stored is not None
            assert (stored.group, stored.fence, stored.state) == ("g", 1, "claimed")
            assert again.get_position("c") == 7
            with again.transaction() as tx:
                tx.complete_job(job)
        finally:
            again.close()
