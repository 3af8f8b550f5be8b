"""Export and import a whole store as values, for copies between any two backends.

A backend with the ``dump`` capability has ``dump()``, every record (with
the unique-key values it claims), event (with its ``seq``), job (with its
state, attempts, lease and fence), consumer position and old record version
(capability ``versions``, with its ``seq``) as plain values, and
``load(items)``, which writes them into an empty store as they were: record
versions, event positions and job states are kept, not renumbered.

`dump_store` falls back, for a backend without the capability, on the plain
contract (queries by id, ``read_events``, ``list_jobs``): the records,
events and jobs come out alike, but consumer positions cannot be listed, and
a schema with unique keys is refused (their claims cannot be read back).
Writing versions and positions as they were needs the backend's own help, so
`load_store` has no fallback: it raises `CapabilityError`.

`copy_any` copies between two stores: two SQL stores through
`relationship_core._storage.copy.copy_store` (resumable, table by table),
any other pair through dump and load, checked at the end by counts and a
checksum over both stores' dumps. Into a destination with the
``resumable_load`` capability the load goes in marked batches
(`relationship_core._storage.resume`), so an interrupted copy continues
when run again; into any other it is one load, rerun into a fresh store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

import attrs

from relationship_core._storage.contract import Job, Query, Record, StoredEvent
from relationship_core._storage.copy import CopyReport, Progress, copy_store
from relationship_core._storage.resume import fingerprint, load_in_batches
from relationship_core._storage.schema import encode_value
from relationship_core._storage.versions import StoredVersion
from relationship_core.exceptions import CapabilityError, StorageError, ValidationError

__all__ = [
    "ConsumerPosition",
    "DumpItem",
    "DumpedRecord",
    "copy_any",
    "dump_store",
    "load_store",
]


@attrs.frozen
class DumpedRecord:
    """One record as a dump holds it.

    Attributes:
        record: The record, version and all.
        keys: ``{key: [normalised values]}`` it claims (unique keys).
    """

    record: Record
    keys: dict[str, list[str]] = attrs.field(factory=dict)


@attrs.frozen
class ConsumerPosition:
    """A consumer's saved event-log position, as a dump holds it."""

    consumer: str
    seq: int


#: What a dump is made of: records, events, jobs, consumer positions and (capability
#: ``versions``) old record versions.
DumpItem: TypeAlias = DumpedRecord | StoredEvent | Job | ConsumerPosition | StoredVersion


def _caps(backend: object) -> frozenset[str]:
    return frozenset(getattr(backend, "capabilities", ()))


def dump_store(backend: Any) -> Iterator[DumpItem]:
    """Every record, event, job and consumer position of *backend* (see the module text).

    Raises:
        CapabilityError: a backend without ``dump`` whose kinds declare unique keys.
    """
    if "dump" in _caps(backend):
        # Old versions only from a backend that says it keeps them (a wrapper of the
        # memory store that does not would hand out its inner store's).
        yield from _versions_for(backend, backend.dump())
        return
    if any(spec.unique for spec in backend.schema.kinds):
        raise CapabilityError(
            type(backend).__name__,
            "dump",
            "; its unique-key claims cannot be read through the plain contract",
        )
    for spec in backend.schema.kinds:
        after = None
        while True:
            page = backend.query(Query(spec.name, limit=1000, after=after))
            yield from (DumpedRecord(r) for r in page.records)
            if page.next_cursor is None:
                break
            after = page.next_cursor
    seq = 0
    while events := backend.read_events(seq, 1000):
        yield from events
        seq = events[-1].seq
    if "job_control" in _caps(backend):
        last = None
        while jobs := backend.list_jobs(limit=1000, after=last):
            yield from jobs
            last = jobs[-1].id


def load_store(backend: Any, items: Iterable[DumpItem]) -> None:
    """Write a dump into the empty *backend*, versions and positions as they were.

    Raises:
        CapabilityError: *backend* lacks the ``dump`` capability.
        StorageError: *backend* is not empty.
    """
    if "dump" not in _caps(backend):
        raise CapabilityError(
            type(backend).__name__, "dump", "; copy into memory, SQLite, PostgreSQL or jsonl"
        )
    backend.load(_versions_for(backend, items))


def _versions_for(backend: object, items: Iterable[DumpItem]) -> Iterator[DumpItem]:
    """*items*, without old record versions unless *backend* declares ``versions``."""
    if "versions" in _caps(backend):
        yield from items
        return
    yield from (i for i in items if not isinstance(i, StoredVersion))


def _line(item: DumpItem, schema: Any) -> tuple[str, str]:
    """``(table, canonical text)`` of one item, the same whichever backend held it."""
    if isinstance(item, DumpedRecord):
        r = item.record
        spec = schema.kind(r.kind)
        indexed = {f.name: encode_value(f.type, r.indexed.get(f.name)) for f in spec.fields}
        body: Any = [r.kind, r.id, r.version, r.schema_version, r.data, indexed, item.keys]
        return f"record:{r.kind}", json.dumps(body, sort_keys=True, default=str)
    if isinstance(item, ConsumerPosition):
        return "position", json.dumps([item.consumer, item.seq])
    fields = attrs.asdict(item)
    name = "event" if isinstance(item, StoredEvent) else "job"
    if isinstance(item, StoredVersion):
        name = "version"
    return name, json.dumps(
        fields,
        sort_keys=True,
        default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v),
    )


def _summary(backend: Any) -> tuple[dict[str, int], dict[str, str]]:
    counts: dict[str, int] = {}
    digests: dict[str, Any] = {}
    for item in dump_store(backend):
        table, text = _line(item, backend.schema)
        counts[table] = counts.get(table, 0) + 1
        digests.setdefault(table, hashlib.sha256()).update(text.encode() + b"\n")
    return counts, {t: d.hexdigest() for t, d in digests.items()}


def _is_sql(backend: object) -> bool:
    return hasattr(backend, "dialect") and hasattr(backend, "_writer")


def copy_any(
    source: Any, destination: Any, *, batch: int = 1000, progress: Progress | None = None
) -> CopyReport:
    """Copy the whole *source* store into the empty *destination*, whatever their backends.

    Two SQL stores go through `copy_store` (resumable); any other pair
    through `dump_store` and `load_store` (in marked batches, resumable, when
    the destination has ``resumable_load``: then it may also hold an
    interrupted copy of the same source), then both are dumped again and
    must agree in counts and checksums per table (``record:<kind>``,
    ``event``, ``job``, ``position``, ``version``).

    Raises:
        CapabilityError: the destination cannot load a dump, or the source
            cannot be dumped (see `dump_store`).
        StorageError: a non-empty destination, or a copy that does not match.
        ValidationError: a *batch* that is not a whole number from 1 to 100000.
    """
    if _is_sql(source) and _is_sql(destination):
        return copy_store(source, destination, batch=batch, progress=progress)
    if type(batch) is not int or not 1 <= batch <= 100_000:
        raise ValidationError("batch", batch, "expected a whole number from 1 to 100000")
    if "dump" not in _caps(destination):
        load_store(destination, ())  # raises the CapabilityError naming it
    counts, digests = _summary(source)
    if "versions" not in _caps(destination):  # it cannot keep them: they are not copied
        counts.pop("version", None)
        digests.pop("version", None)
    total = sum(counts.values())
    done = 0

    def counted() -> Iterator[DumpItem]:
        nonlocal done
        for item in _versions_for(destination, dump_store(source)):
            done += 1
            if progress is not None and (done % batch == 0 or done == total):
                progress("store", done, total)
            yield item

    if "resumable_load" in _caps(destination):
        resumed = load_in_batches(
            destination,
            _versions_for(destination, dump_store(source)),
            fingerprint(counts, digests),
            total=total,
            batch=batch,
            progress=progress,
        )
    else:
        load_store(destination, counted())
        resumed = False
    again, check = _summary(destination)
    for table in sorted(set(counts) | set(again)):
        if counts.get(table, 0) != again.get(table, 0):
            raise StorageError(
                f"copy check failed: {table} has {counts.get(table, 0)} items in the source, "
                f"{again.get(table, 0)} copied"
            )
        if digests.get(table) != check.get(table):
            raise StorageError(f"copy check failed: the items of {table} differ (checksum)")
    return CopyReport(counts, digests, resumed=resumed)
