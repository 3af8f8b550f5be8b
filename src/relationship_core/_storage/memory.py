"""The in-memory backend: the reference implementation, for tests and notebooks.

One lock serialises transactions; a transaction applies its changes at once
and keeps an undo log, replayed backwards if the ``with`` block raises.
Documents are kept as JSON text, so callers never share mutable state with
the store and the memory backend accepts exactly what the SQL ones accept.
The job queue is in `relationship_core._storage.memjobs`, dump and load in
`relationship_core._storage.memdump`, old record versions in
`relationship_core._storage.versions`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import attrs

from relationship_core._domain.timeutil import require_aware
from relationship_core._storage.aggregate import check_aggregate, run_aggregate
from relationship_core._storage.contract import (
    Aggregate,
    Capability,
    Delete,
    Group,
    Job,
    NewEvent,
    NewJob,
    Page,
    Query,
    Record,
    StoredEvent,
    Write,
)
from relationship_core._storage.memdump import MemoryDump
from relationship_core._storage.memjobs import MemoryJobs
from relationship_core._storage.resume import LoadMark
from relationship_core._storage.schema import (
    Schema,
    check_position,
    dump_json,
    run_query,
)
from relationship_core._storage.unique import MemoryKeys
from relationship_core._storage.url import StorageURL
from relationship_core._storage.versions import MemoryVersions, StoredVersion
from relationship_core.exceptions import ConflictError, StorageError, ValidationError

__all__ = ["MemoryBackend", "open_memory"]


@attrs.frozen
class _Row:
    version: int
    schema_version: int
    data: str
    indexed: dict[str, Any]


class MemoryBackend(MemoryJobs, MemoryDump):
    """Records, events and jobs in Python dicts, guarded by one lock.

    Examples:
        >>> from relationship_core._storage.schema import KindSpec, Schema
        >>> from relationship_core._storage.contract import Write
        >>> store = MemoryBackend(Schema([KindSpec("note", {"title": "str"})]))
        >>> with store.transaction() as tx:
        ...     [rec] = tx.put_many([Write("note", "n1", {"body": "hi"}, {"title": "Hello"})])
        >>> rec.version, store.get_many("note", ["n1"])["n1"].data
        (1, {'body': 'hi'})
    """

    capabilities: frozenset[Capability] = frozenset(
        {"threads", "job_control", "aggregates", "unique_keys", "multi_valued", "dump",
         "resumable_load", "versions"}
    )  # fmt: skip

    def __init__(self, schema: Schema) -> None:
        if not isinstance(schema, Schema):
            raise ValidationError("schema", schema, "expected a Schema of the kinds to store")
        self.schema = schema
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, _Row]] = {k.name: {} for k in schema.kinds}
        self._events: list[StoredEvent] = []
        self._jobs: dict[str, Job] = {}
        self._job_keys: dict[str, str] = {}
        self._positions: dict[str, int] = {}
        self._keys = MemoryKeys()
        self._load_mark: LoadMark | None = None
        self._versions = MemoryVersions()
        self._closed = False

    # -- reads ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("this memory store is closed; open a new one")

    def _record(self, kind: str, rid: str, row: _Row, *, with_data: bool = True) -> Record:
        data = json.loads(row.data) if with_data else {}
        return Record(kind, rid, row.version, row.schema_version, data, row.indexed)

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records of *kind* with these ids that exist."""
        _, checked = self.schema.check_ids(kind, ids)
        with self._lock:
            self._check_open()
            table = self._records[kind]
            return {i: self._record(kind, i, table[i]) for i in checked if i in table}

    def query(self, query: Query) -> Page:
        """One page of records matching *query*."""
        checked = self.schema.check_query(query)
        with self._lock:
            self._check_open()
            table = self._records[query.kind]
            light = [self._record(query.kind, i, r, with_data=False) for i, r in table.items()]
            page = run_query(light, checked)
            full = tuple(self._record(r.kind, r.id, table[r.id]) for r in page.records)
            return Page(full, page.next_cursor)

    def aggregate(self, agg: Aggregate) -> list[Group]:
        """Exact aggregates of *agg* (`run_aggregate` over the indexed values)."""
        checked = check_aggregate(self.schema, agg)
        with self._lock:
            self._check_open()
            table = self._records[agg.kind]
            light = [self._record(agg.kind, i, r, with_data=False) for i, r in table.items()]
        return run_aggregate(light, checked)

    def read_events(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Events with ``seq > after``, oldest first."""
        check_position(after, limit)
        with self._lock:
            self._check_open()
            return [
                attrs.evolve(e, data=json.loads(json.dumps(e.data)))
                for e in self._events[after:][:limit]
            ]

    def versions(self, kind: str, id: str) -> list[StoredVersion]:
        """The replaced and deleted versions of one record, oldest first."""
        _, [rid] = self.schema.check_ids(kind, [id])
        with self._lock:
            self._check_open()
            return self._versions.of(kind, rid)

    def read_versions(self, after: int = 0, limit: int = 100) -> list[StoredVersion]:
        """Kept versions of every record with ``seq > after``, oldest first."""
        check_position(after, limit)
        with self._lock:
            self._check_open()
            rows = [v for v in self._versions.rows if v.seq > after][:limit]
            return [attrs.evolve(v, data=json.loads(json.dumps(v.data))) for v in rows]

    # -- writes --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[_MemoryTransaction]:
        """Hold the store's lock; undo every change if the block raises."""
        with self._lock:
            self._check_open()
            tx = _MemoryTransaction(self)
            try:
                yield tx
            except BaseException:
                tx.rollback()
                raise
            finally:
                tx.closed = True

    def close(self) -> None:
        """Forget everything; the store is unusable afterwards."""
        with self._lock:
            self._closed = True
            self._records.clear()
            self._events.clear()
            self._jobs.clear()
            self._positions.clear()


class _MemoryTransaction:
    def __init__(self, store: MemoryBackend) -> None:
        self.store = store
        self.undo: list[Callable[[], None]] = []
        self.closed = False

    def _live(self) -> MemoryBackend:
        if self.closed:
            raise StorageError("transaction already ended")
        return self.store

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        return self._live().get_many(kind, ids)

    def query(self, query: Query) -> Page:
        return self._live().query(query)

    def aggregate(self, agg: Aggregate) -> list[Group]:
        return self._live().aggregate(agg)

    def put_many(self, writes: Sequence[Write]) -> list[Record]:
        store = self._live()
        checked = [store.schema.check_write(w) for w in writes]
        texts = [dump_json(f"writes[{n}].data", w.data) for n, w in enumerate(checked)]
        now = datetime.now(UTC)
        out = []
        for write, text in zip(checked, texts, strict=True):
            table = store._records[write.kind]
            old = table.get(write.id)
            actual = old.version if old else None
            if actual != write.expected_version:
                raise ConflictError(write.kind, write.id, write.expected_version, actual)
            if store.schema.kind(write.kind).unique:
                self.undo.append(store._keys.claim(write.kind, write.id, write.keys))
            if old is not None and store.schema.kind(write.kind).versions:
                self.undo.append(store._versions.keep(
                    write.kind, write.id, version=old.version,
                    schema_version=old.schema_version, text=old.data, at=now,
                ))  # fmt: skip
            row = _Row((actual or 0) + 1, write.schema_version, text, write.indexed)
            table[write.id] = row
            self.undo.append(_restore(table, write.id, old))
            out.append(
                Record(
                    write.kind,
                    write.id,
                    row.version,
                    row.schema_version,
                    json.loads(text),
                    row.indexed,
                )
            )
        return out

    def delete(self, delete: Delete) -> None:
        store = self._live()
        delete = store.schema.check_delete(delete)
        table = store._records[delete.kind]
        old = table.get(delete.id)
        if old is None or old.version != delete.expected_version:
            raise ConflictError(
                delete.kind,
                delete.id,
                delete.expected_version,
                old.version if old else None,
                detail="" if old else "does not exist",
            )
        if store.schema.kind(delete.kind).versions:
            self.undo.append(store._versions.keep(
                delete.kind, delete.id, version=old.version, schema_version=old.schema_version,
                text=old.data, at=datetime.now(UTC), deleted=True,
            ))  # fmt: skip
        del table[delete.id]
        self.undo.append(_restore(table, delete.id, old))
        self.undo.append(store._keys.release(delete.kind, delete.id))

    def drop_versions(self, kind: str, ids: Sequence[str]) -> int:
        store = self._live()
        _, checked = store.schema.check_ids(kind, ids)
        before = len(store._versions.rows)
        self.undo.append(store._versions.drop(kind, checked))
        return before - len(store._versions.rows)

    def prune_versions(self, before: datetime, kinds: Sequence[str] | None = None) -> int:
        store = self._live()
        checked = None if kinds is None else {store.schema.kind(k).name for k in kinds}
        count, undo = store._versions.prune(require_aware("before", before), checked)
        self.undo.append(undo)
        return count

    def append_events(self, events: Sequence[NewEvent]) -> list[int]:
        store = self._live()
        checked = [store.schema.check_event(e) for e in events]
        log = store._events
        seqs = []
        for n, event in enumerate(checked):
            data = json.loads(dump_json(f"events[{n}].data", event.data))
            stored = StoredEvent(
                len(log) + 1,
                event.type,
                event.aggregate_id,
                event.occurred_at,
                data,
                event.aggregate_kind,
            )
            log.append(stored)
            seqs.append(stored.seq)
        if checked:
            size = len(log) - len(checked)
            self.undo.append(lambda: log.__delitem__(slice(size, None)))
        return seqs

    def enqueue(self, jobs: Sequence[NewJob]) -> list[str]:
        store = self._live()
        checked = [store.schema.check_job(j) for j in jobs]
        ids = []
        for n, job in enumerate(checked):
            payload = json.loads(dump_json(f"jobs[{n}].payload", job.payload))
            key = job.idempotency_key
            if key is not None and key in store._job_keys:
                ids.append(store._job_keys[key])
                continue
            if job.id in store._jobs:
                raise ValidationError(f"jobs[{n}].id", job.id, "a job with this id exists")
            store._jobs[job.id] = Job(
                job.id,
                job.queue,
                payload,
                job.due_at,
                "pending",
                0,
                job.max_attempts,
                key,
                group=job.group,
            )
            self.undo.append(_forget_job(store, job.id, key))
            if key is not None:
                store._job_keys[key] = job.id
            ids.append(job.id)
        return ids

    def complete_job(self, job: Job) -> None:
        self._live()._complete(job, self.undo)

    def cancel_group(self, group: str) -> int:
        return self._live()._cancel_group(group, self.undo)

    def save_position(self, consumer: str, seq: int) -> None:
        self._live()._save_position(consumer, seq, self.undo)

    def get_position(self, consumer: str) -> int:
        return self._live().get_position(consumer)

    def rollback(self) -> None:
        for action in reversed(self.undo):
            action()
        self.undo.clear()


def _restore(table: dict[str, _Row], rid: str, old: _Row | None) -> Callable[[], None]:
    def undo() -> None:
        if old is None:
            table.pop(rid, None)
        else:
            table[rid] = old

    return undo


def _forget_job(store: MemoryBackend, job_id: str, key: str | None) -> Callable[[], None]:
    def undo() -> None:
        store._jobs.pop(job_id, None)
        if key is not None:
            store._job_keys.pop(key, None)

    return undo


def open_memory(url: StorageURL, schema: Schema) -> MemoryBackend:
    """Factory for ``memory://`` URLs: a fresh, empty store each time."""
    if url.path not in ("", "/") or url.netloc:
        raise ValidationError(
            "url", url.redacted, "use 'memory://' (an in-memory store has no path)"
        )
    return MemoryBackend(schema)
