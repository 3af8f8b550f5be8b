"""The unit of work: changes, the events they record, their handlers' reactions, one commit.

A `UnitOfWork` remembers every aggregate it loaded or was given, with the
version it was read at. On commit it

1. adds the child aggregates the tracked ones created (an interaction logged
   on an engagement is saved with it);
2. dispatches the recorded events to the bus's handlers, which run here, in
   this unit of work: what they change, enqueue and publish is part of the
   same commit, and the events their changes record are dispatched in turn
   (up to the bus's depth limit);
3. checks the references the kinds declare (an engagement's party must exist
   in the store or in this unit of work);
4. runs ONE storage transaction writing the aggregates that changed (each
   naming the version it read, so a concurrent change raises ``ConflictError``
   instead of being overwritten), appending the events with their envelopes
   and enqueueing the jobs (the transactional outbox).

All of it lands, or none of it does. Every event and record version carries
the unit of work's `Actor`. Reads are not held in a transaction: concurrency
is optimistic, so a slow unit of work never blocks other writers.

A unit of work belongs to one thread; the CRM that makes them may be shared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast, overload

import attrs

from relationship_core import _serialize
from relationship_core._app.deletion import mark_deleted
from relationship_core._app.dispatch import Pending, dispatch
from relationship_core._app.envelope import Envelope, pack
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._app.references import check_references
from relationship_core._app.repository import Repository, Results
from relationship_core._app.scan import Scanner
from relationship_core._app.session import JobRule, Session
from relationship_core._domain.actor import Actor
from relationship_core._domain.events import DomainEvent, EventRecorder
from relationship_core._domain.validators import MAX_ID_LENGTH, check_text
from relationship_core._storage.contract import Delete, Job, NewEvent, NewJob, Record, Write
from relationship_core._storage.protocols import (
    JobControlTransaction,
    Transaction,
    require_job_control,
)
from relationship_core.exceptions import (
    ConflictError,
    DuplicateIdError,
    StorageError,
    ValidationError,
)

__all__ = ["JobRule", "Repository", "Results", "Session", "UnitOfWork"]

T = TypeVar("T")


@attrs.define
class _Entry:
    obj: Any
    mapping: KindMapping[Any]
    version: int | None
    snapshot: dict[str, Any] | None
    deleted: bool = False


class UnitOfWork:
    """Collects changes and commits them, with their events, reactions and jobs, atomically.

    Use as ``with crm.unit_of_work() as uow:``; it commits when the block
    ends normally and discards everything when it raises.

    Args:
        crm: The open store.
        actor: Who is acting (default: the CRM's default actor, normally the system).
        causation_id: What caused this unit of work (an event id, for a job's
            unit of work); default: its own id.
        correlation_id: Shared by everything one original command set off;
            default: the causation id.
    """

    def __init__(
        self,
        crm: Session,
        actor: Actor | None = None,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        if actor is not None and not isinstance(actor, Actor):
            raise ValidationError("actor", actor, "give an Actor, e.g. Actor.person('u-42')")
        if not all(hasattr(crm, need) for need in ("backend", "registry", "actor", "new_id")):
            raise ValidationError("crm", crm, "expected an open store: use crm.unit_of_work()")
        for name, value in (("causation_id", causation_id), ("correlation_id", correlation_id)):
            if value is not None:
                check_text(name, value, max_length=MAX_ID_LENGTH)
        self._crm = crm
        self.actor: Actor = actor or crm.actor
        #: This unit of work's own id: the causation of the events its command records.
        self.id: str = crm.new_id()
        self.causation_id: str = causation_id or self.id
        self.correlation_id: str = correlation_id or self.causation_id
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._extra_jobs: list[NewJob] = []
        self._completing: Job | None = None
        self._cancels: list[str] = []
        self._steps: list[Callable[[JobControlTransaction], None]] = []
        self._published: list[tuple[str, DomainEvent]] = []
        self._pending: dict[int, Pending] = {}
        self._scanner = Scanner()
        self._published_looked = 0  # published events before this index were scanned
        self._done = False

    # repositories
    @overload
    def repository(self, kind: type[T]) -> Repository[T]: ...
    @overload
    def repository(self, kind: KindMapping[T]) -> Repository[T]: ...
    @overload
    def repository(self, kind: str) -> Repository[Any]: ...
    def repository(self, kind: str | type[Any] | KindMapping[Any]) -> Repository[Any]:
        """The repository of a registered kind, by name, class or mapping, bound to this unit of work.

        By class (``uow.repository(Retainer)``) or mapping (``uow.repository(RETAINERS)``)
        it is typed (``Repository[Retainer]``).
        """
        return Repository(self._crm, _mapping(self._crm.registry, kind), self)

    def __getitem__(self, kind: KindMapping[T]) -> Repository[T]:
        """``uow[RETAINERS]``: the typed repository of a mapping."""
        return self.repository(kind)

    @property
    def parties(self) -> Repository[Any]:
        """Parties (people and organisations)."""
        return self.repository("party")

    @property
    def engagements(self) -> Repository[Any]:
        """Engagements (clients and customers)."""
        return self.repository("engagement")

    @property
    def interactions(self) -> Repository[Any]:
        """Interactions (contacts with parties)."""
        return self.repository("interaction")

    def tracked(self, kind: KindMapping[T]) -> list[T]:
        """The aggregates of *kind* this unit of work holds (read or added here, not deleted).

        A query reads committed records; this is what it cannot see yet: the
        objects added (or changed in memory) before the commit.
        """
        return [e.obj for (k, _), e in self._entries.items() if k == kind.kind and not e.deleted]

    def is_new(self, kind: str, id: str) -> bool:
        """Whether this unit of work adds record *kind* *id* (it is not stored yet).

        Handlers use it to skip work only a stored record can need, such as
        cancelling the jobs of a record that has none yet.
        """
        for name, value in (("kind", kind), ("id", id)):
            if not isinstance(value, str):
                raise ValidationError(name, value, "expected a str")
        entry = self._entries.get((kind, id))
        return entry is not None and entry.version is None and not entry.deleted

    def add(self, obj: T) -> T:
        """Add a new aggregate of any registered class."""
        self._track(self._crm.registry.for_object(obj), obj, None, None, new=True)
        return obj

    @property
    def session(self) -> Session:
        """The store this unit of work belongs to (its kinds, bus, settings), for handlers."""
        return self._crm

    def config(self, feature: str) -> Mapping[str, Any]:
        """The settings *feature* was given by ``open(url, config={feature: {...}})`` (``{}``: none)."""
        return self._crm.config.get(feature, {})

    def enqueue(self, job: NewJob) -> None:
        """Enqueue a job in this unit of work's transaction.

        In a job's unit of work (`complete_job`), a job without a group joins
        the group of the job being done, so cancelling the group reaches it too.
        """
        if not isinstance(job, NewJob):
            raise ValidationError("job", job, "expected a NewJob")
        self._extra_jobs.append(job)

    def complete_job(self, job: Job) -> None:
        """Complete the claimed *job* in this unit of work's transaction (the runner does this).

        It commits with everything else here, or not at all: when the lease
        was lost (another worker took the job, its group was cancelled) the
        commit raises ``LeaseLostError`` and writes nothing.
        """
        self._check_open()
        require_job_control(self._crm.backend)
        self._completing = job

    def cancel_group(self, group: str) -> None:
        """Cancel the group's pending and running jobs when this unit of work commits."""
        self._check_open()
        require_job_control(self._crm.backend)
        self._cancels.append(group)

    def _within_commit(self, step: Callable[[JobControlTransaction], None]) -> None:
        """Run *step* inside the commit's transaction, after the writes (consumer positions)."""
        self._check_open()
        require_job_control(self._crm.backend)
        self._steps.append(step)

    def publish(self, event: DomainEvent, *, kind: str = "") -> None:
        """Append an event no aggregate recorded; it is dispatched and logged with the rest.

        *kind* is the aggregate kind the log files it under (``""``: none).
        """
        if not isinstance(event, DomainEvent):
            raise ValidationError("event", event, "give a DomainEvent")
        self._check_open()
        self._published.append((kind, event))

    def envelope(self, event: DomainEvent) -> Envelope:
        """The envelope *event* is committed with (ids are given when it is dispatched)."""
        pending = self._pending.get(id(event))
        if pending is None or pending.event is not event:
            raise ValidationError(
                "event", event, "not dispatched in this unit of work (yet); handlers see it"
            )
        return pending.envelope

    # tracking
    def _check_open(self) -> None:
        if self._done:
            raise StorageError("this unit of work has ended; start a new one")

    def _adopt(self, mapping: KindMapping[T], record: Any) -> T:
        entry = self._entries.get((mapping.kind, record.id))
        if entry is not None:
            return entry.obj  # type: ignore[no-any-return]
        obj = mapping.from_record(record)
        snapshot = (
            mapping.unstructure(obj) if record.schema_version == mapping.schema_version else None
        )
        entry = _Entry(obj, mapping, record.version, snapshot)
        self._entries[(mapping.kind, record.id)] = entry
        self._scanner.enter(entry)
        self._crm._known.remember(obj, record.version)
        return obj

    def _track(
        self,
        mapping: KindMapping[Any],
        obj: object,
        version: int | None,
        snapshot: dict[str, Any] | None,
        *,
        new: bool,
    ) -> None:
        self._check_open()
        key = (mapping.kind, mapping.id_of(obj))
        entry = self._entries.get(key)
        if entry is not None:
            if entry.obj is obj:
                return
            raise ValidationError(
                "obj", key[1], f"another {mapping.kind} object with this id is in this unit of work"
            )
        entry = _Entry(obj, mapping, None if new else version, snapshot)
        self._entries[key] = entry
        self._scanner.enter(entry)

    def _delete(
        self, mapping: KindMapping[Any], obj: object, version: int | None, *, cascade: bool
    ) -> None:
        """Mark *obj* deleted at *version* (see `relationship_core._app.deletion`)."""
        self._check_open()
        mark_deleted(self, mapping, obj, version, cascade=cascade)

    def _adopt_children(self, objs: list[Any] | None = None) -> None:
        """Track the aggregates tracked ones (or *objs*) created, and theirs, as new."""
        todo = [e.obj for e in self._entries.values()] if objs is None else objs
        while todo:
            obj = todo.pop()
            if not isinstance(obj, EventRecorder):
                continue
            for child in obj.new_children:
                mapping = self._crm.registry.for_object(child)
                if self._entries.get((mapping.kind, mapping.id_of(child))) is None:
                    self._track(mapping, child, None, None, new=True)
                    todo.append(child)

    # commit
    def commit(self) -> None:
        """Dispatch events to handlers, then write state, events and jobs atomically."""
        self._check_open()
        pending = dispatch(self)
        writes, changed, deletes = self._changes()
        check_references(self._crm, [entry for entry, _ in changed], self._entries)
        jobs = list(self._extra_jobs)
        rule = self._crm.job_rule
        if rule is not None and pending:
            jobs.extend(rule([p.event for p in pending]))
        completing = self._completing
        if completing is not None and completing.group is not None:
            group = completing.group
            jobs = [j if j.group is not None else attrs.evolve(j, group=group) for j in jobs]
        new_events = [
            NewEvent(
                p.event.name,
                p.event.aggregate_id,
                p.event.occurred_at,
                pack(_serialize.event_to_dict(p.event)["data"], p.envelope),
                p.kind,
            )
            for p in pending
        ]
        if (
            writes
            or deletes
            or new_events
            or jobs
            or completing is not None
            or self._cancels
            or self._steps
        ):
            try:
                with self._crm.backend.transaction() as tx:
                    records = self._write(
                        tx, completing, writes, deletes=deletes, new_events=new_events, jobs=jobs
                    )
            except ConflictError as exc:
                raise self._explain(exc) from exc
        else:
            records = []
        # Only now, with everything durable, do the objects learn their new versions.
        for (entry, data), record in zip(changed, records, strict=True):
            entry.version = record.version
            entry.snapshot = data
            self._crm._known.remember(entry.obj, record.version)
        for key in [k for k, e in self._entries.items() if e.deleted]:
            del self._entries[key]
        self._scanner.reset(self._entries.values())
        self._published_looked = 0
        for entry in self._entries.values():
            if isinstance(entry.obj, EventRecorder):
                entry.obj.pull_events()
        self._extra_jobs.clear()
        self._published.clear()
        self._completing = None
        self._cancels.clear()
        self._steps.clear()

    def _write(
        self,
        tx: Transaction,
        completing: Job | None,
        writes: list[Write],
        *,
        deletes: list[Delete],
        new_events: list[NewEvent],
        jobs: list[NewJob],
    ) -> list[Record]:
        """Everything this unit of work changes, in the one transaction *tx*."""
        if completing is not None:
            # First: a lost lease is reported as such, before any write conflicts.
            cast(JobControlTransaction, tx).complete_job(completing)
        records = tx.put_many(writes)
        for delete in deletes:
            tx.delete(delete)
        tx.append_events(new_events)
        tx.enqueue(jobs)
        for group in self._cancels:
            cast(JobControlTransaction, tx).cancel_group(group)
        for step in self._steps:
            step(cast(JobControlTransaction, tx))
        return records

    def _changes(self) -> tuple[list[Write], list[tuple[_Entry, dict[str, Any]]], list[Delete]]:
        """The writes of changed objects (with their new documents) and the deletes."""
        writes: list[Write] = []
        changed: list[tuple[_Entry, dict[str, Any]]] = []
        deletes: list[Delete] = []
        clock = getattr(self._crm, "clock", None)
        now = clock.now() if clock is not None else datetime.now(UTC)
        for entry in self._entries.values():
            if entry.deleted:
                deletes.append(
                    Delete(entry.mapping.kind, entry.mapping.id_of(entry.obj), entry.version or 0)
                )
                continue
            data = entry.mapping.unstructure(entry.obj)
            if entry.snapshot is None or data != entry.snapshot:
                writes.append(
                    entry.mapping.to_write(entry.obj, entry.version, data, actor=self.actor, at=now)
                )
                changed.append((entry, data))
        return writes, changed, deletes

    def _explain(self, exc: ConflictError) -> ConflictError:
        """A conflict on an object this unit of work added is a taken id, not a stale read."""
        entry = self._entries.get((exc.kind, exc.id))
        if entry is not None and entry.version is None and exc.actual is not None:
            return DuplicateIdError(exc.kind, exc.id, exc.actual)
        return exc

    def rollback(self) -> None:
        """Forget everything tracked; nothing was written."""
        self._entries.clear()
        self._scanner.reset(())
        self._published_looked = 0
        self._extra_jobs.clear()
        self._published.clear()
        self._pending.clear()
        self._completing = None
        self._cancels.clear()
        self._steps.clear()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self._done = True


def _mapping(
    registry: MappingRegistry, kind: str | type[Any] | KindMapping[Any]
) -> KindMapping[Any]:
    if isinstance(kind, KindMapping):
        registered = registry.get(kind.kind)
        if registered.cls is not kind.cls:
            raise ValidationError("kind", kind.kind, "this store maps the kind to another class")
        return registered
    if isinstance(kind, type):
        return registry.for_class(kind)
    return registry.get(kind)
