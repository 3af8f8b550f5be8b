"""What a storage backend implements: two small protocols.

A backend is an object satisfying `StorageBackend`; its
``transaction()`` yields a `Transaction`. Writes happen only inside a
transaction, which commits when the ``with`` block ends normally and changes
nothing at all when it raises (including ``ConflictError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from relationship_core._storage.contract import (
    CONTRACT_VERSION,
    Aggregate,
    Capability,
    Delete,
    Group,
    Job,
    NewEvent,
    NewJob,
    Page,
    Query,
    QueueStats,
    Record,
    StoredEvent,
    Write,
)
from relationship_core._storage.schema import Schema
from relationship_core._storage.url import StorageURL
from relationship_core._storage.versions import StoredVersion
from relationship_core.exceptions import CapabilityError

__all__ = [
    "AggregatingReader",
    "BackendFactory",
    "JobControlBackend",
    "JobControlTransaction",
    "Reader",
    "StorageBackend",
    "Transaction",
    "VersionedBackend",
    "VersionedTransaction",
    "contract_version",
    "require_job_control",
]


@runtime_checkable
class Reader(Protocol):
    """Reads available both inside and outside a transaction."""

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records of *kind* with these ids that exist, by id (missing ids are absent)."""
        ...

    def query(self, query: Query) -> Page:
        """One page of records matching *query* (see `Query`)."""
        ...


@runtime_checkable
class AggregatingReader(Reader, Protocol):
    """A backend (and its transactions) declaring ``aggregates``: it computes them itself."""

    def aggregate(self, aggregate: Aggregate) -> list[Group]:
        """The groups of *aggregate*, exactly as `run_aggregate` computes them.

        Check it with ``check_aggregate(schema, aggregate)`` first, so every
        backend refuses the same input alike.
        """
        ...


@runtime_checkable
class Transaction(Reader, Protocol):
    """One atomic unit: reads see its own writes; all of it commits or none."""

    def put_many(self, writes: Sequence[Write]) -> list[Record]:
        """Create or replace records, each naming the version it read.

        Returns:
            The stored records (new versions), in the order given.

        Raises:
            ConflictError: A write's ``expected_version`` is stale; the whole
                transaction is then rolled back.
        """
        ...

    def delete(self, delete: Delete) -> None:
        """Remove a record at the expected version (``ConflictError`` when stale or absent)."""
        ...

    def append_events(self, events: Sequence[NewEvent]) -> list[int]:
        """Append events to the log; returns their sequence numbers, increasing."""
        ...

    def enqueue(self, jobs: Sequence[NewJob]) -> list[str]:
        """Enqueue jobs; a duplicate idempotency key yields the existing job's id."""
        ...


@runtime_checkable
class StorageBackend(Reader, Protocol):
    """A store of versioned records, an event log and a job queue.

    Attributes:
        capabilities: Optional abilities (``"persistent"``, ``"threads"``,
            ``"multiprocess"``); the conformance kit skips tests of the others.
    """

    capabilities: frozenset[Capability]

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Begin a transaction; commit on normal exit, roll back on an exception."""
        ...

    def read_events(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Events with ``seq > after``, oldest first, at most *limit*."""
        ...

    def claim_jobs(
        self,
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease up to *limit* due jobs to *worker* until ``now + lease``.

        Claimable: pending jobs with ``due_at <= now`` and claimed jobs whose
        lease expired. Each claim counts an attempt; a job whose lease expired
        after its last allowed attempt is dead-lettered instead. No two
        workers ever hold the same job at once.
        """
        ...

    def complete_job(self, job: Job) -> None:
        """Mark a claimed job done (``ConflictError`` if its lease was lost)."""
        ...

    def retry_job(self, job: Job, *, due_at: datetime, error: str) -> Job:
        """Give a claimed job back, due again at *due_at*; dead-letter it after its last attempt."""
        ...

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        ...

    def close(self) -> None:
        """Release connections and files; the backend is unusable afterwards."""
        ...


@runtime_checkable
class JobControlTransaction(Transaction, Protocol):
    """A transaction of a backend declaring ``job_control`` (storage contract 2)."""

    def complete_job(self, job: Job) -> None:
        """Mark *job* done when this transaction commits, with the changes its handler made.

        Raises:
            LeaseLostError: The job is no longer claimed by ``job.lease_owner``
                with ``job.fence`` (taken over, cancelled, gone); the whole
                transaction then rolls back.
        """
        ...

    def cancel_group(self, group: str) -> int:
        """Cancel the group's pending and claimed jobs; how many were cancelled."""
        ...

    def save_position(self, consumer: str, seq: int) -> None:
        """Remember that *consumer* has handled the event log up to *seq*."""
        ...

    def get_position(self, consumer: str) -> int:
        """The position *consumer* saved last (0 when none), as this transaction sees it."""
        ...


@runtime_checkable
class JobControlBackend(StorageBackend, Protocol):
    """A backend declaring ``job_control``: storage contract 2's job queue.

    ``now=None`` means the backend's own clock (the database server's, on
    PostgreSQL), so workers whose machines disagree on the time still agree.
    """

    contract_version: int

    def transaction(self) -> AbstractContextManager[JobControlTransaction]:
        """Begin a transaction; commit on normal exit, roll back on an exception."""
        ...

    def claim_jobs(
        self,
        *,
        worker: str,
        now: datetime | None = None,
        lease: timedelta,
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease due jobs as `StorageBackend.claim_jobs`; each claim increments ``fence``."""
        ...

    def renew_lease(self, job: Job, *, now: datetime | None = None, lease: timedelta) -> Job:
        """Extend the lease to ``now + lease`` (``LeaseLostError`` when no longer held)."""
        ...

    def list_jobs(
        self,
        *,
        states: Sequence[str] | None = None,
        queue: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Job]:
        """Jobs in these states (and queue), ordered by id, after the job id *after*."""
        ...

    def job_stats(self, now: datetime | None = None) -> dict[str, QueueStats]:
        """Per queue: pending, due, claimed and dead jobs and the oldest due job's lag."""
        ...

    def requeue_job(self, job_id: str, *, due_at: datetime | None = None) -> Job:
        """A dead letter back to pending: attempts reset, its last error kept."""
        ...

    def discard_job(self, job_id: str) -> Job:
        """A dead letter thrown away (state ``discarded``)."""
        ...

    def get_position(self, consumer: str) -> int:
        """The position *consumer* saved last (0 when none)."""
        ...


@runtime_checkable
class VersionedTransaction(Transaction, Protocol):
    """A transaction of a backend declaring ``versions``: old versions can be forgotten.

    Every update and delete in it keeps the version it replaced (an insert keeps
    nothing), atomically with the write.
    """

    def drop_versions(self, kind: str, ids: Sequence[str]) -> int:
        """Forget every kept version of these records (an erasure); how many went."""
        ...

    def prune_versions(self, before: datetime, kinds: Sequence[str] | None = None) -> int:
        """Forget the versions replaced before *before*, of *kinds* (all: ``None``); how many."""
        ...


@runtime_checkable
class VersionedBackend(StorageBackend, Protocol):
    """A backend declaring ``versions``: it keeps every replaced and deleted record version."""

    def versions(self, kind: str, id: str) -> list[StoredVersion]:
        """The kept versions of one record, oldest first (``seq`` order); not the current one."""
        ...

    def read_versions(self, after: int = 0, limit: int = 100) -> list[StoredVersion]:
        """Kept versions of every record with ``seq > after``, oldest first, at most *limit*."""
        ...

    def transaction(self) -> AbstractContextManager[VersionedTransaction]:
        """Begin a transaction; commit on normal exit, roll back on an exception."""
        ...


def contract_version(backend: object) -> int:
    """The storage contract *backend* was written for (1 when it does not say)."""
    version = getattr(backend, "contract_version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def require_job_control(backend: StorageBackend) -> JobControlBackend:
    """*backend* as a `JobControlBackend`, or ``CapabilityError`` naming what it lacks."""
    name = type(backend).__name__
    if contract_version(backend) < CONTRACT_VERSION:
        raise CapabilityError(
            name,
            "job_control",
            f": it was written for storage contract {contract_version(backend)}, "
            f"the runner needs contract {CONTRACT_VERSION}; upgrade the backend package "
            "(see docs/plugins.md, 'What changed for backend authors')",
        )
    if "job_control" not in backend.capabilities:
        raise CapabilityError(name, "job_control")
    return backend  # type: ignore[return-value]


class BackendFactory(Protocol):
    """Builds a backend from a parsed URL and the kinds it must store."""

    def __call__(self, url: StorageURL, schema: Schema, /) -> StorageBackend:
        """Open the store *url* names, creating or migrating its schema for *schema*."""
        ...
