"""The job queue of the memory backend (storage contract 2), the reference for the others.

Everything runs under the store's one lock; changes made inside a
transaction push an undo action, so a rolled-back transaction also undoes
the jobs it completed or cancelled and the positions it saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from relationship_core._storage.contract import Job, QueueStats
from relationship_core._storage.schema import (
    Schema,
    check_claim,
    check_consumer,
    check_instant,
    check_lease,
    check_list_jobs,
    check_text,
)
from relationship_core.exceptions import LeaseLostError, NotFoundError, ValidationError

__all__ = ["MemoryJobs", "dead_letter", "lease_conflict", "stats_of"]

Undo = list[Callable[[], None]]


def lease_conflict(job: Job, current: Job | None) -> LeaseLostError:
    """The error for finishing a job whose lease (owner and fence) is no longer held."""
    return LeaseLostError(
        job.id,
        job.fence,
        current.fence if current else None,
        current.state if current else "gone",
        job.lease_owner or "-",
    )


def is_held(job: Job, current: Job | None) -> bool:
    """Whether *current* (the stored job) is still claimed by *job*'s owner and fence."""
    return (
        current is not None
        and current.state == "claimed"
        and current.lease_owner == job.lease_owner
        and current.fence == job.fence
    )


def dead_letter(job_id: str, current: Job | None) -> Job:
    """*current* if it is a dead letter, else the error saying why it is not one."""
    if current is None:
        raise NotFoundError("job", job_id)
    if current.state != "dead":
        raise ValidationError(
            "job_id", job_id, f"the job is {current.state}; only dead letters can be changed"
        )
    return current


def stats_of(jobs: Sequence[Job], now: datetime) -> dict[str, QueueStats]:
    """Per-queue counts of *jobs* at *now* (shared by backends that hold jobs in memory)."""
    counts: dict[str, dict[str, int]] = {}
    oldest: dict[str, datetime] = {}
    for job in jobs:
        c = counts.setdefault(job.queue, {"pending": 0, "due": 0, "claimed": 0, "dead": 0})
        if job.state in c:
            c[job.state] += 1
        if job.state == "pending" and job.due_at <= now:
            c["due"] += 1
            if job.queue not in oldest or job.due_at < oldest[job.queue]:
                oldest[job.queue] = job.due_at
    return {
        q: QueueStats(
            q,
            **c,
            oldest_due=oldest.get(q),
            lag=now - oldest[q] if q in oldest else None,
        )
        for q, c in sorted(counts.items())
    }


class MemoryJobs:
    """Job-queue half of `relationship_core._storage.memory.MemoryBackend`."""

    #: The storage contract this backend implements.
    contract_version: int = 2
    schema: Schema
    _lock: threading.RLock
    _jobs: dict[str, Job]
    _positions: dict[str, int]

    def _check_open(self) -> None:
        raise NotImplementedError  # pragma: no cover

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        with self._lock:
            self._check_open()
            return self._jobs.get(job_id)

    def claim_jobs(
        self,
        *,
        worker: str,
        now: datetime | None = None,
        lease: timedelta,
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease up to *limit* due jobs to *worker* (``now=None``: this machine's clock)."""
        at = check_claim(worker, now, lease, limit) or datetime.now(UTC)
        with self._lock:
            self._check_open()
            claimed: list[Job] = []
            due = [
                j
                for j in self._jobs.values()
                if (queues is None or j.queue in queues)
                and (
                    (j.state == "pending" and j.due_at <= at)
                    or (
                        j.state == "claimed"
                        and j.lease_expires_at is not None
                        and j.lease_expires_at <= at
                    )
                )
            ]
            for job in sorted(due, key=lambda j: (j.due_at, j.id)):
                if len(claimed) >= limit:
                    break
                if job.state == "claimed" and job.attempts >= job.max_attempts:
                    self._jobs[job.id] = attrs.evolve(
                        job,
                        state="dead",
                        lease_owner=None,
                        lease_expires_at=None,
                        last_error="lease expired on the final attempt",
                    )
                    continue
                new = attrs.evolve(
                    job,
                    state="claimed",
                    attempts=job.attempts + 1,
                    lease_owner=worker,
                    lease_expires_at=at + lease,
                    fence=job.fence + 1,
                )
                self._jobs[job.id] = new
                claimed.append(new)
            return claimed

    def _held(self, job: Job) -> Job:
        current = self._jobs.get(job.id)
        if not is_held(job, current):
            raise lease_conflict(job, current)
        assert current is not None  # noqa: S101 - is_held checked it
        return current

    def _set(self, job: Job, undo: Undo | None) -> None:
        old = self._jobs[job.id]
        self._jobs[job.id] = job
        if undo is not None:
            undo.append(lambda: self._jobs.__setitem__(job.id, old))

    def _complete(self, job: Job, undo: Undo | None) -> None:
        current = self._held(job)
        self._set(
            attrs.evolve(current, state="done", lease_owner=None, lease_expires_at=None), undo
        )

    def complete_job(self, job: Job) -> None:
        """Mark a claimed job done (in a transaction of its own)."""
        with self._lock:
            self._check_open()
            self._complete(job, None)

    def renew_lease(self, job: Job, *, now: datetime | None = None, lease: timedelta) -> Job:
        """Extend the lease of a job still held to ``now + lease``."""
        check_lease(lease)
        at = check_instant("now", now) or datetime.now(UTC)
        with self._lock:
            self._check_open()
            new = attrs.evolve(self._held(job), lease_expires_at=at + lease)
            self._jobs[job.id] = new
            return new

    def retry_job(self, job: Job, *, due_at: datetime, error: str) -> Job:
        """Give a claimed job back for a later attempt, or dead-letter it."""
        due, error = self.schema.check_retry(due_at, error)
        with self._lock:
            self._check_open()
            current = self._held(job)
            dead = current.attempts >= current.max_attempts
            new = attrs.evolve(
                current,
                state="dead" if dead else "pending",
                due_at=current.due_at if dead else due,
                lease_owner=None,
                lease_expires_at=None,
                last_error=str(error),
            )
            self._jobs[job.id] = new
            return new

    def _cancel_group(self, group: str, undo: Undo | None) -> int:
        check_text("group", group, max_len=500)
        hits = [
            j for j in self._jobs.values() if j.group == group and j.state in ("pending", "claimed")
        ]
        for job in hits:
            self._set(
                attrs.evolve(job, state="cancelled", lease_owner=None, lease_expires_at=None), undo
            )
        return len(hits)

    def list_jobs(
        self,
        *,
        states: Sequence[str] | None = None,
        queue: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Job]:
        """Jobs in *states* (and *queue*), ordered by id, after the job id *after*."""
        wanted = check_list_jobs(states, limit)
        with self._lock:
            self._check_open()
            hits = sorted(
                (
                    j
                    for j in self._jobs.values()
                    if (wanted is None or j.state in wanted)
                    and (queue is None or j.queue == queue)
                    and (after is None or j.id > after)
                ),
                key=lambda j: j.id,
            )
            return hits[:limit]

    def job_stats(self, now: datetime | None = None) -> dict[str, QueueStats]:
        """Per queue: pending, due, claimed and dead jobs, and the oldest due job's lag."""
        at = check_instant("now", now) or datetime.now(UTC)
        with self._lock:
            self._check_open()
            return stats_of(list(self._jobs.values()), at)

    def requeue_job(self, job_id: str, *, due_at: datetime | None = None) -> Job:
        """A dead letter back to pending, due at *due_at* (default now), attempts reset."""
        at = check_instant("due_at", due_at) or datetime.now(UTC)
        with self._lock:
            self._check_open()
            current = dead_letter(job_id, self._jobs.get(job_id))
            new = attrs.evolve(current, state="pending", due_at=at, attempts=0)
            self._jobs[job_id] = new
            return new

    def discard_job(self, job_id: str) -> Job:
        """A dead letter thrown away (kept, in state ``discarded``)."""
        with self._lock:
            self._check_open()
            new = attrs.evolve(dead_letter(job_id, self._jobs.get(job_id)), state="discarded")
            self._jobs[job_id] = new
            return new

    def get_position(self, consumer: str) -> int:
        """The event-log position *consumer* saved last (0 when none)."""
        check_consumer(consumer)
        with self._lock:
            self._check_open()
            return self._positions.get(consumer, 0)

    def _save_position(self, consumer: str, seq: int, undo: Undo) -> None:
        check_consumer(consumer, seq)
        positions = self._positions
        had = consumer in positions
        old = positions.get(consumer, 0)
        positions[consumer] = seq

        def restore() -> None:
            if had:
                positions[consumer] = old
            else:
                positions.pop(consumer, None)

        undo.append(restore)
