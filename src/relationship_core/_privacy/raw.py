"""Rewriting what the storage contract only appends: event payloads and job payloads.

The event log is append-only for every ordinary writer; an erasure is the
one exception, so the contract gained nothing: these functions reach the
built-in backends (memory, SQLite, PostgreSQL) inside the erasure's own
transaction. A third-party backend without them makes `erase_party` fail with
`CapabilityError` before anything is written.

`wipe` then makes the deleted bytes unrecoverable from the files: SQLite is
vacuumed and its write-ahead log checkpointed and truncated; PostgreSQL
tables are vacuumed (dead row versions are removed from the heap).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from relationship_core._storage.contract import Job, StoredEvent
from relationship_core._storage.memory import MemoryBackend
from relationship_core._storage.protocols import StorageBackend, require_job_control
from relationship_core._storage.sqlite import SQLiteBackend
from relationship_core._storage.sqlstore import SQLStore
from relationship_core.exceptions import CapabilityError

__all__ = [
    "EventChange",
    "JobChange",
    "all_events",
    "all_jobs",
    "require_rewritable",
    "rewrite",
    "wipe",
]

_JOB_STATES = ("pending", "claimed", "done", "dead", "cancelled", "discarded")


@attrs.frozen
class EventChange:
    """A logged event's new aggregate id and payload."""

    seq: int
    aggregate_id: str
    data: dict[str, Any]


@attrs.frozen
class JobChange:
    """A job's new payload and idempotency key, and whether it is cancelled."""

    id: str
    payload: dict[str, Any]
    idempotency_key: str | None
    cancel: bool


def require_rewritable(backend: StorageBackend) -> None:
    """Refuse a backend whose log and queue this module cannot rewrite."""
    if not isinstance(backend, MemoryBackend | SQLStore):
        raise CapabilityError(type(backend).__name__, "erasure (rewriting the event log)")
    require_job_control(backend)


def all_events(backend: StorageBackend, batch: int = 500) -> Iterator[StoredEvent]:
    """Every logged event, oldest first."""
    after = 0
    while True:
        page = backend.read_events(after, batch)
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq


def all_jobs(backend: StorageBackend, batch: int = 500) -> Iterator[Job]:
    """Every job in every state, by id."""
    control = require_job_control(backend)
    after: str | None = None
    while True:
        page = control.list_jobs(states=_JOB_STATES, limit=batch, after=after)
        yield from page
        if len(page) < batch:
            return
        after = page[-1].id


def rewrite(tx: Any, events: Sequence[EventChange], jobs: Sequence[JobChange]) -> None:
    """Apply the changes inside the backend transaction *tx* (rolled back with it)."""
    store = tx._live()
    if isinstance(store, MemoryBackend):
        _memory(store, tx.undo, events, jobs)
        return
    ph = tx.store.dialect.ph
    conn = store
    for e in events:
        conn.execute(
            f"UPDATE rc_events SET aggregate_id = {ph}, data = {ph} WHERE seq = {ph}",
            (e.aggregate_id, _json(e.data), e.seq),
        )
    for j in jobs:
        state = "CASE WHEN state IN ('pending', 'claimed') THEN 'cancelled' ELSE state END"
        conn.execute(
            f"UPDATE rc_jobs SET payload = {ph}, idempotency_key = {ph}, last_error = NULL, "
            f"state = {state if j.cancel else 'state'} WHERE id = {ph}",
            (_json(j.payload), j.idempotency_key, j.id),
        )


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _memory(
    store: MemoryBackend, undo: list[Any], events: Sequence[EventChange], jobs: Sequence[JobChange]
) -> None:
    log = store._events
    for e in events:
        index = e.seq - 1
        old = log[index]
        log[index] = attrs.evolve(old, aggregate_id=e.aggregate_id, data=e.data)
        undo.append(lambda i=index, o=old: log.__setitem__(i, o))
    for j in jobs:
        job = store._jobs[j.id]
        state = "cancelled" if j.cancel and job.state in ("pending", "claimed") else job.state
        new = attrs.evolve(
            job, payload=j.payload, idempotency_key=j.idempotency_key, state=state, last_error=None
        )
        if job.idempotency_key != j.idempotency_key:
            keys = store._job_keys
            before = dict(keys)
            undo.append(lambda k=keys, b=before: (k.clear(), k.update(b)))
            if job.idempotency_key is not None:
                keys.pop(job.idempotency_key, None)
            if j.idempotency_key is not None:
                keys[j.idempotency_key] = j.id
        store._set(new, undo)


def wipe(backend: StorageBackend) -> str:
    """Remove erased bytes from the files: what was done, for the erasure report."""
    if isinstance(backend, SQLiteBackend):
        conn = backend._conn()
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("VACUUM")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return "sqlite: vacuumed, WAL checkpointed" + (" (busy: readers open)" if busy else "")
    if isinstance(backend, SQLStore):  # PostgreSQL: autocommit pooled connections
        with backend._reader() as conn:
            conn.execute("VACUUM")
        return "postgresql: vacuumed"
    return "memory: nothing kept"
