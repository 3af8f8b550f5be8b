"""The store's event log and job queue as a `CRM` hands them out (``crm.events``, ``crm.jobs``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from relationship_core._app.envelope import EventTypes, LoggedEvent
from relationship_core._domain.clock import Clock, SystemClock
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.validators import check_text
from relationship_core._storage.contract import Job, NewJob, QueueStats, StoredEvent
from relationship_core._storage.protocols import StorageBackend, require_job_control

__all__ = ["EventLog", "JobQueue"]


class EventLog:
    """The append-only log of domain events, read from a position.

    Events whose type no installed plugin knows read as `UnknownEvent`
    (name and data); older stored versions are upcast by their class.
    """

    def __init__(self, backend: StorageBackend, types: EventTypes | None = None) -> None:
        self._backend = backend
        self._types = types if types is not None else EventTypes()

    def read_stored(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Stored events with ``seq > after`` as the backend keeps them (envelope included)."""
        return self._backend.read_events(after, limit)

    def read_logged(self, after: int = 0, limit: int = 100) -> list[LoggedEvent]:
        """Events with ``seq > after``, oldest first, each with its envelope."""
        return [self._types.read(e) for e in self._backend.read_events(after, limit)]

    def read(self, after: int = 0, limit: int = 100) -> list[tuple[int, DomainEvent]]:
        """``(seq, event)`` pairs with ``seq > after``, oldest first, rebuilt as domain events."""
        return [(e.seq, e.event) for e in self.read_logged(after, limit)]

    def follow(self, after: int = 0, batch: int = 100) -> Iterator[tuple[int, DomainEvent]]:
        """Every event after *after*, up to the end of the log as it is now."""
        while True:
            page = self.read(after, batch)
            yield from page
            if len(page) < batch:
                return
            after = page[-1][0]


class JobQueue:
    """The job queue, with time read from the CRM's clock."""

    def __init__(self, backend: StorageBackend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock

    def enqueue(
        self,
        queue: str,
        payload: dict[str, Any],
        *,
        due_at: datetime | None = None,
        idempotency_key: str | None = None,
        max_attempts: int = 5,
    ) -> str:
        """Enqueue one job in its own transaction; returns its id (or the existing one's)."""
        job = NewJob(queue, payload, due_at or self._clock.now(), idempotency_key, max_attempts)
        with self._backend.transaction() as tx:
            return tx.enqueue([job])[0]

    def claim(
        self,
        worker: str,
        *,
        lease: timedelta = timedelta(minutes=5),
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease due jobs to *worker* until now + *lease*."""
        return self._backend.claim_jobs(
            worker=worker, now=self._clock.now(), lease=lease, limit=limit, queues=queues
        )

    def complete(self, job: Job) -> None:
        """Mark a claimed job done."""
        self._backend.complete_job(job)

    def retry(self, job: Job, *, error: str, delay: timedelta = timedelta(minutes=1)) -> Job:
        """Give a job back to run again after *delay* (dead-lettered after its last attempt)."""
        return self._backend.retry_job(job, due_at=self._clock.now() + delay, error=error)

    def get(self, job_id: str) -> Job | None:
        """A job by id."""
        return self._backend.get_job(check_text("job_id", job_id))

    # Storage contract 2 (backends declaring ``job_control``).

    def stats(self) -> dict[str, QueueStats]:
        """Per queue: depth (pending, due, claimed, dead) and the oldest due job's lag."""
        return require_job_control(self._backend).job_stats(self._now())

    def list_jobs(
        self,
        *,
        states: Sequence[str] | None = None,
        queue: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Job]:
        """Jobs in *states* (e.g. ``["dead"]``) and *queue*, by id; page with *after*."""
        return require_job_control(self._backend).list_jobs(
            states=states, queue=queue, limit=limit, after=after
        )

    def requeue(self, job_id: str) -> Job:
        """Give a dead letter another full set of attempts, due now (its last error kept)."""
        return require_job_control(self._backend).requeue_job(job_id, due_at=self._now())

    def discard(self, job_id: str) -> Job:
        """Throw a dead letter away (it stays listed as ``discarded``)."""
        return require_job_control(self._backend).discard_job(job_id)

    def _now(self) -> datetime | None:
        # The system clock defers to the store's own (the database server's); others rule.
        return None if isinstance(self._clock, SystemClock) else self._clock.now()
