"""Deleting aggregates: the ``<kind>.deleted`` event and who still refers to a record.

A record is deleted at the version it was read (a stale delete is a
``ConflictError``), inside a unit of work, and only once nothing refers to
it: the mappings declare their references (``KindMapping.references``), and
a delete either refuses, naming the referring records, or is told to
delete them too (``cascade=True``). Each deletion appends ``<kind>.deleted``
to the event log, which stays append-only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.events import DomainEvent
from relationship_core._storage.contract import Condition, Query, Record
from relationship_core._storage.protocols import StorageBackend
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork

__all__ = ["RecordDeleted", "deleted_event", "mark_deleted", "referring_records"]

_PAGE = 500


@attrs.frozen(kw_only=True)
class RecordDeleted(DomainEvent):
    """A record was deleted; its event is named ``<kind>.deleted``.

    Attributes:
        kind: The record kind.
        version: The version that was deleted.
    """

    name: ClassVar[str] = "record.deleted"
    kind: str
    version: int


@functools.cache
def deleted_event(kind: str) -> type[RecordDeleted]:
    """The event class of deletions of *kind* (``name == f"{kind}.deleted"``)."""
    cls = type(
        f"{kind.title().replace('_', '')}Deleted",
        (RecordDeleted,),
        {"name": f"{kind}.deleted", "__module__": __name__},
    )
    return attrs.frozen(kw_only=True)(cls)


def _records(backend: StorageBackend, kind: str, where: tuple[Condition, ...]) -> Iterator[Record]:
    after = None
    while True:
        page = backend.query(Query(kind, where, limit=_PAGE, after=after))
        yield from page.records
        if page.next_cursor is None:
            return
        after = page.next_cursor


def referring_records(
    backend: StorageBackend, registry: MappingRegistry, kind: str, rid: str
) -> Iterator[tuple[KindMapping[Any], Record, str]]:
    """``(mapping, record, field)`` of every stored record whose *field* refers to *rid*.

    An indexed reference field is found by a query; one that is not indexed
    is found by reading every record of its kind (correct, but slow: index it).
    """
    for mapping in registry:
        for field, target in mapping.references.items():
            if target != kind:
                continue
            if field in mapping.indexed:
                for record in _records(backend, mapping.kind, (Condition(field, "eq", rid),)):
                    yield mapping, record, field
                continue
            for record in _records(backend, mapping.kind, ()):
                if mapping.references_of(mapping.from_record(record)).get(field) == rid:
                    yield mapping, record, field


def mark_deleted(
    uow: UnitOfWork, mapping: KindMapping[Any], obj: object, version: int | None, *, cascade: bool
) -> None:
    """Mark *obj* deleted in *uow* at *version*; its referrers too with *cascade*, else refuse."""
    key = (mapping.kind, mapping.id_of(obj))
    entry = uow._entries.get(key)
    if entry is not None and entry.obj is not obj:
        raise ValidationError(
            "obj", key[1], f"another {mapping.kind} object with this id is in this unit of work"
        )
    if entry is not None and entry.deleted:
        return
    read = entry.version if entry is not None else version
    if read is None:
        reason = (
            "was added in this unit of work and is not stored yet; do not add it"
            if entry is not None
            else "was not read through this CRM, so its version is unknown; get() it first"
        )
        raise ValidationError("obj", key[1], reason)
    referrers = [r for r in _referrers(uow, *key) if r[0].kind != key[0] or r[1] is not obj]
    if referrers and not cascade:
        names = [f"{m.kind} {m.id_of(o)!r}" for m, o, _ in referrers]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise ValidationError(
            "obj",
            key[1],
            f"this {mapping.kind} is referred to by {shown}; delete or change those first, "
            "or delete(obj, cascade=True) to delete them with it",
        )
    if entry is None:
        uow._track(mapping, obj, read, None, new=False)
        entry = uow._entries[key]
    entry.deleted = True
    event = deleted_event(mapping.kind)(
        aggregate_id=key[1], occurred_at=_now(uow), kind=mapping.kind, version=read
    )
    uow._published.append((mapping.kind, event))
    for ref_mapping, ref_obj, ref_version in referrers:
        mark_deleted(uow, ref_mapping, ref_obj, ref_version, cascade=True)


def _now(uow: UnitOfWork) -> datetime:
    clock = getattr(uow._crm, "clock", None)
    now: datetime = clock.now() if clock is not None else datetime.now(UTC)
    return now


def _referrers(
    uow: UnitOfWork, kind: str, rid: str
) -> list[tuple[KindMapping[Any], Any, int | None]]:
    """The objects that still refer to *rid*, as this unit of work sees them."""
    backend, registry = uow._crm.backend, uow._crm.registry
    for mapping, record, _ in referring_records(backend, registry, kind, rid):
        uow._adopt(mapping, record)  # tracked ones keep their own, maybe changed, state
    return [
        (e.mapping, e.obj, e.version)
        for e in list(uow._entries.values())
        if not e.deleted
        and any(
            e.mapping.references[field] == kind and ref == rid
            for field, ref in e.mapping.references_of(e.obj).items()
        )
    ]
