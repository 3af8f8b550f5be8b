"""Dump and load of the memory backend (capability ``dump``, ``resumable_load``).

The half of `relationship_core._storage.memory.MemoryBackend` that moves a
whole store as values: records with their claims, events, jobs, consumer
positions and old record versions, loaded back as they were.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import attrs

from relationship_core._storage.contract import Job, Record, StoredEvent, Write
from relationship_core._storage.dump import ConsumerPosition, DumpedRecord, DumpItem
from relationship_core._storage.resume import LoadMark, check_destination
from relationship_core._storage.unique import MemoryKeys
from relationship_core._storage.versions import MemoryVersions, StoredVersion
from relationship_core.exceptions import StorageError

__all__ = ["MemoryDump"]


class MemoryDump:
    """Dump-and-load half of `relationship_core._storage.memory.MemoryBackend`."""

    _lock: threading.RLock
    _records: dict[str, dict[str, Any]]
    _events: list[StoredEvent]
    _jobs: dict[str, Job]
    _job_keys: dict[str, str]
    _positions: dict[str, int]
    _keys: MemoryKeys
    _load_mark: LoadMark | None
    _versions: MemoryVersions

    def _check_open(self) -> None:
        raise NotImplementedError  # pragma: no cover

    def _record(self, kind: str, rid: str, row: Any, *, with_data: bool = True) -> Record:
        raise NotImplementedError  # pragma: no cover

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError  # pragma: no cover

    def dump(self) -> Iterator[DumpItem]:
        """Every record (with its claims), event, job and consumer position, as values."""
        with self._lock:
            self._check_open()
            items: list[DumpItem] = []
            for kind, table in self._records.items():
                for rid in sorted(table):
                    claims: dict[str, list[str]] = {}
                    for key, value in self._keys._held.get((kind, rid), ()):
                        claims.setdefault(key, []).append(value)
                    items.append(DumpedRecord(self._record(kind, rid, table[rid]), claims))
            items += [attrs.evolve(e, data=json.loads(json.dumps(e.data))) for e in self._events]
            items += [self._jobs[j] for j in sorted(self._jobs)]
            items += [ConsumerPosition(c, s) for c, s in sorted(self._positions.items())]
            items += self._versions.all()
        return iter(items)

    def load(self, items: Iterable[DumpItem], *, mark: LoadMark | None = None) -> None:
        """Write a dump (or, with *mark*, one batch of it) as it was; see ``resume.py``.

        All or nothing: if an item is refused, the store is left empty (and
        unmarked, so a resumed copy starts again from the first item).
        """
        with self._lock:
            self._check_open()
            empty = not (
                any(self._records.values())
                or self._events
                or self._jobs
                or self._positions
                or self._versions.rows
            )
            check_destination(empty, self._load_mark, mark)
            try:
                for item in items:
                    self._load_one(item)
            except BaseException:
                for table in self._records.values():
                    table.clear()
                self._events.clear()
                self._jobs.clear()
                self._job_keys.clear()
                self._positions.clear()
                self._keys = MemoryKeys()
                self._versions.clear()
                self._load_mark = None
                raise
            if mark is not None:
                self._load_mark = mark

    def load_mark(self) -> LoadMark | None:
        """The marker the last marked `load` left (``None``: none)."""
        with self._lock:
            return self._load_mark

    def _load_one(self, item: DumpItem) -> None:
        if isinstance(item, DumpedRecord):
            r = item.record
            write = Write(r.kind, r.id, r.data, r.indexed, None, r.schema_version, item.keys)
            with self.transaction() as tx:
                tx.put_many([write])
            row = self._records[r.kind][r.id]
            self._records[r.kind][r.id] = attrs.evolve(row, version=r.version)
        elif isinstance(item, StoredEvent):
            if item.seq != len(self._events) + 1:
                raise StorageError(
                    f"event {item.seq} follows {len(self._events)}: the memory store "
                    "numbers its events without gaps"
                )
            self._events.append(attrs.evolve(item, data=json.loads(json.dumps(item.data))))
        elif isinstance(item, StoredVersion):
            self._versions.load(item)
        elif isinstance(item, Job):
            self._jobs[item.id] = item
            if item.idempotency_key is not None:
                self._job_keys[item.idempotency_key] = item.id
        else:
            self._positions[item.consumer] = item.seq
