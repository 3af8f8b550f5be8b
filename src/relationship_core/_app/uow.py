"""Repositories and the unit of work.

A `UnitOfWork` remembers every aggregate it loaded or was given, with
the version it was read at. On commit it runs ONE storage transaction that
writes the aggregates that changed (each naming the version it read, so a
concurrent change raises ``ConflictError`` instead of being overwritten),
appends the domain events they recorded, and enqueues the jobs those events
cause (the transactional outbox). All of it lands, or none of it does.

Reads are not held in a transaction: concurrency is optimistic, so a slow
unit of work never blocks other writers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from relationship_core import _serialize
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.events import DomainEvent, EventRecorder
from relationship_core._domain.validators import MAX_ID_LENGTH, check_text, items
from relationship_core._storage.contract import Condition, NewEvent, NewJob, Query, Record
from relationship_core._storage.protocols import StorageBackend
from relationship_core.exceptions import NotFoundError, StorageError, ValidationError

__all__ = ["JobRule", "Repository", "Results", "UnitOfWork"]

T = TypeVar("T")

#: The outbox hook: the jobs a batch of committed domain events causes.
JobRule = Callable[[Sequence[DomainEvent]], Iterable[NewJob]]


class Session(Protocol):
    """What repositories and units of work need from an open store.

    `CRM` is the one implementation; naming the
    need here keeps this module from importing the facade that builds on it.
    """

    @property
    def backend(self) -> StorageBackend:
        """The storage backend."""
        ...

    @property
    def registry(self) -> MappingRegistry:
        """The kinds the store knows."""
        ...

    @property
    def job_rule(self) -> JobRule | None:
        """The outbox hook."""
        ...

    @property
    def _known(self) -> Known:
        """Versions of the aggregates loaded through this store."""
        ...

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work."""
        ...


@attrs.frozen
class Results(Generic[T]):
    """One page of objects from a repository query.

    Attributes:
        items: The objects, in query order.
        next_cursor: Pass as ``after=`` for the next page; ``None`` at the end.
    """

    items: tuple[T, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.define
class _Entry:
    obj: Any
    mapping: KindMapping[Any]
    version: int | None
    snapshot: dict[str, Any] | None


class Known:
    """Versions of objects this CRM handed out, so a later update names the right one."""

    def __init__(self) -> None:
        self._by_obj: dict[int, tuple[weakref.ref[Any], int]] = {}

    def remember(self, obj: object, version: int) -> None:
        key = id(obj)

        def forget(_: weakref.ref[Any]) -> None:
            self._by_obj.pop(key, None)

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:  # not weak-referenceable: cannot be tracked
            return
        self._by_obj[key] = (ref, version)

    def version(self, obj: object) -> int | None:
        hit = self._by_obj.get(id(obj))
        if hit is None or hit[0]() is not obj:
            return None
        return hit[1]


def _value(value: object) -> object:
    """Enums stand for their values in queries."""
    inner = getattr(value, "value", None)
    return inner if isinstance(inner, str) and type(value).__module__ != "builtins" else value


def _conditions(
    conditions: Sequence[Condition | tuple[str, str, object]], equals: dict[str, object]
) -> tuple[Condition, ...]:
    out = []
    for cond in conditions:
        c = cond if isinstance(cond, Condition) else Condition(*cond)  # type: ignore[arg-type]
        value = [_value(v) for v in c.value] if c.op == "in" else _value(c.value)  # type: ignore[attr-defined]
        out.append(Condition(c.field, c.op, value))
    out.extend(Condition(name, "eq", _value(value)) for name, value in equals.items())
    return tuple(out)


class Repository(Generic[T]):
    """Get, add, update and query the aggregates of one kind.

    From a `UnitOfWork`, changes are written when it commits; from
    the CRM directly, each ``add``/``update`` is its own unit of work.
    """

    def __init__(
        self, crm: Session, mapping: KindMapping[T], uow: UnitOfWork | None = None
    ) -> None:
        self._crm = crm
        self.mapping = mapping
        self._uow = uow

    @property
    def kind(self) -> str:
        """The record kind."""
        return self.mapping.kind

    def _load(self, record: Record) -> T:
        if self._uow is not None:
            adopted: T = self._uow._adopt(self.mapping, record)
            return adopted
        obj = self.mapping.from_record(record)
        self._crm._known.remember(obj, record.version)
        return obj

    def _require_own(self, obj: object) -> None:
        if not isinstance(obj, self.mapping.cls):
            raise ValidationError(
                "obj", obj, f"a {self.kind} repository stores {self.mapping.cls.__name__} objects"
            )

    def find(self, id: str) -> T | None:
        """The aggregate with this id, or ``None``."""
        check_text("id", id, max_length=MAX_ID_LENGTH)
        if self._uow is not None:
            entry = self._uow._entries.get((self.kind, id))
            if entry is not None:
                return entry.obj  # type: ignore[no-any-return]
        record = self._crm.backend.get_many(self.kind, [id]).get(id)
        return None if record is None else self._load(record)

    def get(self, id: str) -> T:
        """The aggregate with this id (``NotFoundError`` if there is none)."""
        found = self.find(id)
        if found is None:
            raise NotFoundError(self.kind, id)
        return found

    def get_many(self, ids: Sequence[str]) -> dict[str, T]:
        """The aggregates with these ids that exist, by id."""
        wanted = [
            check_text(f"ids[{i}]", v, max_length=MAX_ID_LENGTH)
            for i, v in enumerate(items("ids", ids))
        ]
        records = self._crm.backend.get_many(self.kind, wanted)
        return {rid: self._load(rec) for rid, rec in records.items()}

    def add(self, obj: T) -> T:
        """Store a new aggregate (``ConflictError`` if its id is taken)."""
        self._require_own(obj)
        if self._uow is None:
            with self._crm.unit_of_work() as uow:
                uow.repository(self.kind).add(obj)
            return obj
        self._uow._track(self.mapping, obj, None, None, new=True)
        return obj

    def update(self, obj: T) -> T:
        """Write a changed aggregate that was read earlier from this CRM.

        Objects loaded inside a unit of work are tracked already; this is for
        objects obtained elsewhere (e.g. ``crm.parties.get`` before the unit
        of work began). The write names the version the object was read at.
        """
        self._require_own(obj)
        if self._uow is None:
            with self._crm.unit_of_work() as uow:
                uow.repository(self.kind).update(obj)
            return obj
        version = self._crm._known.version(obj)
        if version is None:
            raise ValidationError(
                "obj",
                self.mapping.id_of(obj),
                "was not read through this CRM, so its version is unknown; "
                "get() it first, or add() it if it is new",
            )
        self._uow._track(self.mapping, obj, version, None, new=False)
        return obj

    def query(
        self,
        *conditions: Condition | tuple[str, str, object],
        order_by: str = "id",
        descending: bool = False,
        limit: int = 100,
        after: str | None = None,
        **equals: object,
    ) -> Results[T]:
        """One page of aggregates matching every condition.

        Conditions are ``(field, op, value)`` over the kind's indexed fields
        (ops: ``eq lt le gt ge in``); keyword arguments are equalities. Enum
        values are accepted and stored as their values.
        """
        query = Query(
            self.kind, _conditions(conditions, equals), order_by, descending, limit, after
        )
        page = self._crm.backend.query(query)
        return Results(tuple(self._load(r) for r in page.records), page.next_cursor)

    def iterate(
        self,
        *conditions: Condition | tuple[str, str, object],
        order_by: str = "id",
        descending: bool = False,
        batch: int = 500,
        **equals: object,
    ) -> Iterator[T]:
        """Every matching aggregate, fetched page by page."""
        after = None
        while True:
            page = self.query(
                *conditions,
                order_by=order_by,
                descending=descending,
                limit=batch,
                after=after,
                **equals,
            )
            yield from page.items
            if page.next_cursor is None:
                return
            after = page.next_cursor


class UnitOfWork:
    """Collects changes and commits them, with their events and jobs, atomically.

    Use as ``with crm.unit_of_work() as uow:``; it commits when the block
    ends normally and discards everything when it raises.
    """

    def __init__(self, crm: Session) -> None:
        self._crm = crm
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._extra_jobs: list[NewJob] = []
        self._done = False

    # repositories
    def repository(self, kind: str) -> Repository[Any]:
        """The repository of any registered kind, bound to this unit of work."""
        return Repository(self._crm, self._crm.registry.get(kind), self)

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

    def add(self, obj: object) -> object:
        """Add a new aggregate of any registered class."""
        self._track(self._crm.registry.for_object(obj), obj, None, None, new=True)
        return obj

    def enqueue(self, job: NewJob) -> None:
        """Enqueue a job in this unit of work's transaction."""
        if not isinstance(job, NewJob):
            raise ValidationError("job", job, "expected a NewJob")
        self._extra_jobs.append(job)

    # tracking
    def _adopt(self, mapping: KindMapping[Any], record: Record) -> Any:
        entry = self._entries.get((mapping.kind, record.id))
        if entry is not None:
            return entry.obj
        obj = mapping.from_record(record)
        snapshot = (
            mapping.unstructure(obj) if record.schema_version == mapping.schema_version else None
        )
        self._entries[(mapping.kind, record.id)] = _Entry(obj, mapping, record.version, snapshot)
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
        if self._done:
            raise StorageError("this unit of work has ended; start a new one")
        key = (mapping.kind, mapping.id_of(obj))
        entry = self._entries.get(key)
        if entry is not None:
            if entry.obj is obj:
                return
            raise ValidationError(
                "obj", key[1], f"another {mapping.kind} object with this id is in this unit of work"
            )
        self._entries[key] = _Entry(obj, mapping, None if new else version, snapshot)

    # commit
    def commit(self) -> None:
        """Write changed aggregates, their events and the jobs they cause, atomically."""
        writes = []
        pending: list[tuple[str, DomainEvent]] = []
        changed: list[tuple[_Entry, dict[str, Any]]] = []
        for entry in self._entries.values():
            data = entry.mapping.unstructure(entry.obj)
            if entry.snapshot is None or data != entry.snapshot:
                writes.append(entry.mapping.to_write(entry.obj, entry.version, data))
                changed.append((entry, data))
            if isinstance(entry.obj, EventRecorder):
                pending.extend((entry.mapping.kind, e) for e in entry.obj.pending_events)
        pending.sort(key=lambda pair: pair[1].occurred_at)
        domain_events = [e for _, e in pending]
        jobs = list(self._extra_jobs)
        rule = self._crm.job_rule
        if rule is not None and domain_events:
            jobs.extend(rule(domain_events))
        new_events = [
            NewEvent(
                e.name, e.aggregate_id, e.occurred_at, _serialize.event_to_dict(e)["data"], kind
            )
            for kind, e in pending
        ]
        if writes or new_events or jobs:
            with self._crm.backend.transaction() as tx:
                records = tx.put_many(writes)
                tx.append_events(new_events)
                tx.enqueue(jobs)
        else:
            records = []
        # Only now, with everything durable, do the objects learn their new versions.
        for (entry, data), record in zip(changed, records, strict=True):
            entry.version = record.version
            entry.snapshot = data
            self._crm._known.remember(entry.obj, record.version)
        for entry in self._entries.values():
            if isinstance(entry.obj, EventRecorder):
                entry.obj.pull_events()
        self._extra_jobs.clear()

    def rollback(self) -> None:
        """Forget everything tracked; nothing was written."""
        self._entries.clear()
        self._extra_jobs.clear()

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
