"""A storage backend in one afternoon: memory for state, a JSON-lines journal for durability.

Every committed transaction (and every job claim, completion and retry) is
appended to the journal as ONE line and flushed to disk before the change is
visible; opening the file replays the lines. A line cut short by a crash is
ignored, so a transaction is either wholly in the journal or not at all.

The reference :class:`~relationship_core.plugins.MemoryBackend` does the
bookkeeping (versions, queries, leases); this class only records what
happened and replays it. One process at a time: it declares the
``persistent``, ``threads`` and ``job_control`` capabilities (storage
contract 2), not ``multiprocess``; and, since the memory backend enforces
them, ``unique_keys`` (a write's claims are journalled with it),
``multi_valued``, ``dump`` (a loaded dump is one ``load`` line) and
``resumable_load`` (each batch of a resumable copy is one ``load`` line
carrying its progress marker, so batch and marker are written together).
Every instant it journals is resolved first (``now=None`` becomes this
machine's time), so a replay repeats it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relationship_core.plugins import (
    Capability,
    Delete,
    DumpItem,
    Job,
    JobControlTransaction,
    LoadMark,
    MemoryBackend,
    NewEvent,
    NewJob,
    Page,
    Query,
    QueueStats,
    Record,
    Schema,
    StoredEvent,
    StoredVersion,
    Write,
    decode_value,
    encode_value,
)
from relationship_core_jsonl.dumping import item_in, item_out

__all__ = ["JsonlBackend"]


class JsonlBackend:
    """Records, events and jobs in memory, made durable by a JSON-lines journal.

    Args:
        path: The journal file (created if missing).
        schema: The kinds to store.
    """

    capabilities: frozenset[Capability] = frozenset(
        {
            "persistent",
            "threads",
            "job_control",
            "unique_keys",
            "multi_valued",
            "dump",
            "resumable_load",
        }
    )
    contract_version = 2

    def __init__(self, path: str | os.PathLike[str], schema: Schema) -> None:
        self.schema = schema
        self.path = Path(path)
        self._mem = MemoryBackend(schema)
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._replay()
        self._file = self.path.open("a", encoding="utf-8")

    # -- the journal ---------------------------------------------------------------

    def _append(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _replay(self) -> None:
        good = 0
        with self.path.open("rb") as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    break  # a line cut short by a crash: that change never committed
                if not line.endswith(b"\n"):
                    break
                self._apply(entry)
                good += len(line)
        if good != self.path.stat().st_size:
            with self.path.open("r+b") as fh:  # drop the torn tail before appending again
                fh.truncate(good)

    def _apply(self, entry: dict[str, Any]) -> None:
        mem = self._mem
        if "tx" in entry:
            with mem.transaction() as tx:
                for op, args in entry["tx"]:
                    _replay_op(mem, tx, op, args)
        elif "claim" in entry:
            worker, now, seconds, limit, queues = entry["claim"]
            mem.claim_jobs(
                worker=worker,
                now=datetime.fromisoformat(now),
                lease=timedelta(seconds=seconds),
                limit=limit,
                queues=queues,
            )
        elif "complete" in entry:
            mem.complete_job(_current(mem, entry["complete"]))
        elif "renew" in entry:
            job_id, now, seconds = entry["renew"]
            mem.renew_lease(
                _current(mem, job_id),
                now=datetime.fromisoformat(now),
                lease=timedelta(seconds=seconds),
            )
        elif "requeue" in entry:
            job_id, due_at = entry["requeue"]
            mem.requeue_job(job_id, due_at=datetime.fromisoformat(due_at))
        elif "load" in entry:
            mark = LoadMark(*entry["mark"]) if "mark" in entry else None
            mem.load((item_in(self.schema, e) for e in entry["load"]), mark=mark)
        elif "discard" in entry:
            mem.discard_job(entry["discard"])
        elif "retry" in entry:
            job_id, due_at, error = entry["retry"]
            job = mem.get_job(job_id)
            assert job is not None
            mem.retry_job(job, due_at=datetime.fromisoformat(due_at), error=error)

    # -- reads: straight from memory ---------------------------------------------------

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records of *kind* with these ids that exist."""
        return self._mem.get_many(kind, ids)

    def query(self, query: Query) -> Page:
        """One page of records matching *query*."""
        return self._mem.query(query)

    def read_events(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Events with ``seq > after``, oldest first."""
        return self._mem.read_events(after, limit)

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        return self._mem.get_job(job_id)

    def list_jobs(
        self,
        *,
        states: Sequence[str] | None = None,
        queue: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Job]:
        """Jobs in *states* (and *queue*), ordered by id."""
        return self._mem.list_jobs(states=states, queue=queue, limit=limit, after=after)

    def job_stats(self, now: datetime | None = None) -> dict[str, QueueStats]:
        """Per-queue depth and lag."""
        return self._mem.job_stats(now)

    def get_position(self, consumer: str) -> int:
        """The position *consumer* saved last (0 when none)."""
        return self._mem.get_position(consumer)

    # -- dump and load -------------------------------------------------------------------

    def dump(self) -> Iterator[DumpItem]:
        """Every record (with its claims), event, job and consumer position.

        Not the old record versions its memory state keeps: the journal does not
        replay them as they were, so the backend does not declare ``versions``.
        """
        return (i for i in self._mem.dump() if not isinstance(i, StoredVersion))

    def load(self, items: Iterable[DumpItem], *, mark: LoadMark | None = None) -> None:
        """Load a dump, or a batch of one with its *mark*: one journal line, batch and marker.

        A batch refused, or a line that could not be written, puts the store
        back as its journal has it (the batches before).
        """
        with self._lock:
            given = list(items)
            try:
                self._mem.load(given, mark=mark)
                entry: dict[str, Any] = {"load": [item_out(self.schema, i) for i in given]}
                if mark is not None:
                    entry["mark"] = [mark.source, mark.done]
                self._append(entry)
            except BaseException:
                self._mem = MemoryBackend(self.schema)
                self._file.close()
                self._replay()
                self._file = self.path.open("a", encoding="utf-8")
                raise

    def load_mark(self) -> LoadMark | None:
        """The marker the last marked `load` left (``None``: none)."""
        return self._mem.load_mark()

    # -- writes: apply in memory, journal, then let the change be seen -------------------

    @contextmanager
    def transaction(self) -> Iterator[JobControlTransaction]:
        """A memory transaction whose operations are journalled as one line on commit."""
        with self._lock, self._mem.transaction() as inner:
            tx = _JournalledTransaction(self.schema, inner)
            yield tx
            if tx.ops:
                self._append({"tx": tx.ops})  # if this fails, the memory transaction rolls back

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
        now = now or datetime.now(UTC)
        with self._lock:
            jobs = self._mem.claim_jobs(
                worker=worker, now=now, lease=lease, limit=limit, queues=queues
            )
            self._append(
                {
                    "claim": [
                        worker,
                        now.isoformat(),
                        lease.total_seconds(),
                        limit,
                        None if queues is None else list(queues),
                    ]
                }
            )
            return jobs

    def complete_job(self, job: Job) -> None:
        """Mark a claimed job done."""
        with self._lock:
            self._mem.complete_job(job)
            self._append({"complete": job.id})

    def retry_job(self, job: Job, *, due_at: datetime, error: str) -> Job:
        """Give a claimed job back for a later attempt, or dead-letter it."""
        with self._lock:
            result = self._mem.retry_job(job, due_at=due_at, error=error)
            # Journal the text as stored (Schema.check_retry made it storable), not as given.
            self._append({"retry": [job.id, due_at.isoformat(), result.last_error]})
            return result

    def renew_lease(self, job: Job, *, now: datetime | None = None, lease: timedelta) -> Job:
        """Extend a held job's lease to ``now + lease``."""
        now = now or datetime.now(UTC)
        with self._lock:
            renewed = self._mem.renew_lease(job, now=now, lease=lease)
            self._append({"renew": [job.id, now.isoformat(), lease.total_seconds()]})
            return renewed

    def requeue_job(self, job_id: str, *, due_at: datetime | None = None) -> Job:
        """A dead letter back to pending."""
        due_at = due_at or datetime.now(UTC)
        with self._lock:
            job = self._mem.requeue_job(job_id, due_at=due_at)
            self._append({"requeue": [job_id, job.due_at.isoformat()]})
            return job

    def discard_job(self, job_id: str) -> Job:
        """A dead letter thrown away."""
        with self._lock:
            job = self._mem.discard_job(job_id)
            self._append({"discard": job_id})
            return job

    def close(self) -> None:
        """Close the journal."""
        with self._lock:
            self._file.close()
            self._mem.close()


class _JournalledTransaction:
    """Delegates to the memory transaction and remembers what succeeded."""

    def __init__(self, schema: Schema, inner: JobControlTransaction) -> None:
        self.schema = schema
        self.inner = inner
        self.ops: list[tuple[str, Any]] = []

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        return self.inner.get_many(kind, ids)

    def query(self, query: Query) -> Page:
        return self.inner.query(query)

    def put_many(self, writes: Sequence[Write]) -> list[Record]:
        records = self.inner.put_many(writes)  # validates, checks versions
        self.ops.append(
            (
                "put",
                [
                    [
                        w.kind,
                        w.id,
                        w.data,
                        _indexed_out(self.schema, w),
                        w.expected_version,
                        w.schema_version,
                        w.keys,
                    ]
                    for w in writes
                ],
            )
        )
        return records

    def delete(self, delete: Delete) -> None:
        self.inner.delete(delete)
        self.ops.append(("delete", [delete.kind, delete.id, delete.expected_version]))

    def append_events(self, events: Sequence[NewEvent]) -> list[int]:
        seqs = self.inner.append_events(events)
        self.ops.append(
            (
                "events",
                [
                    [e.type, e.aggregate_id, e.occurred_at.isoformat(), e.data, e.aggregate_kind]
                    for e in events
                ],
            )
        )
        return seqs

    def enqueue(self, jobs: Sequence[NewJob]) -> list[str]:
        ids = self.inner.enqueue(jobs)
        self.ops.append(
            (
                "enqueue",
                [
                    [
                        j.queue,
                        j.payload,
                        j.due_at.isoformat(),
                        j.idempotency_key,
                        j.max_attempts,
                        j.id,
                        j.group,
                    ]
                    for j in jobs
                ],
            )
        )
        return ids

    def complete_job(self, job: Job) -> None:
        self.inner.complete_job(job)
        self.ops.append(("complete", job.id))

    def cancel_group(self, group: str) -> int:
        count = self.inner.cancel_group(group)
        self.ops.append(("cancel", group))
        return count

    def save_position(self, consumer: str, seq: int) -> None:
        self.inner.save_position(consumer, seq)
        self.ops.append(("position", [consumer, seq]))

    def get_position(self, consumer: str) -> int:
        return self.inner.get_position(consumer)


def _indexed_out(schema: Schema, write: Write) -> dict[str, Any]:
    spec = schema.kind(write.kind)
    checked = schema.check_write(write)  # normalised values, e.g. datetimes in UTC
    return {f.name: encode_value(f.type, checked.indexed[f.name]) for f in spec.fields}


def _current(mem: MemoryBackend, job_id: str) -> Job:
    job = mem.get_job(job_id)
    assert job is not None  # the journal only names jobs it enqueued
    return job


def _replay_op(mem: MemoryBackend, tx: JobControlTransaction, op: str, args: Any) -> None:
    schema = mem.schema
    if op == "put":
        writes = []
        # Lines written before unique keys have no claims (the 7th item).
        for kind, rid, data, indexed, expected, schema_version, *keys in args:
            spec = schema.kind(kind)
            values = {f.name: decode_value(f.type, indexed.get(f.name)) for f in spec.fields}
            writes.append(Write(kind, rid, data, values, expected, schema_version, *keys))
        tx.put_many(writes)
    elif op == "delete":
        tx.delete(Delete(*args))
    elif op == "events":
        tx.append_events(
            [
                NewEvent(t, agg, datetime.fromisoformat(at), data, kind)
                for t, agg, at, data, kind in args
            ]
        )
    elif op == "enqueue":
        tx.enqueue(
            [
                # Lines written before contract 2 have no group (the 7th item).
                NewJob(queue, payload, datetime.fromisoformat(due), key, attempts, jid, *group)
                for queue, payload, due, key, attempts, jid, *group in args
            ]
        )
    elif op == "complete":
        tx.complete_job(_current(mem, args))
    elif op == "cancel":
        tx.cancel_group(args)
    elif op == "position":
        tx.save_position(*args)
