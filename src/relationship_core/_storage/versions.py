"""Old record versions (capability ``versions``): what a record looked like before each write.

A backend with the capability keeps, in the transaction that replaces or
deletes a record, the version it replaced: the document as stored (with the
``_actor`` and ``_written_at`` the unit of work put in it), its version
number, when it was replaced and whether it was replaced by a deletion.
Inserts keep nothing (there was no earlier version). The store only copies
documents: which fields changed is computed when the history is read
(`relationship_core.privacy.history`), so the write path does no diffing.

Versions are numbered per record; a record deleted and created again under
the same id starts again at version 1, so a history is ordered by ``seq``,
the order the versions were kept in, not by version number.

`MemoryVersions` is the memory backend's table; the SQL stores keep
``rc_versions`` (`relationship_core._storage.sqlversions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from relationship_core._storage.contract import Record

__all__ = ["MemoryVersions", "StoredVersion"]


@attrs.frozen
class StoredVersion:
    """One replaced (or deleted) version of a record.

    Attributes:
        seq: The order versions were kept in, increasing across the store.
        kind: The record's kind.
        id: The record's id.
        version: The version number it had.
        schema_version: The domain layout of ``data``.
        data: The document as it was stored.
        replaced_at: When a write (or the deletion) replaced it.
        deleted: True when the record was deleted rather than rewritten.
    """

    seq: int
    kind: str
    id: str
    version: int
    schema_version: int
    data: dict[str, Any]
    replaced_at: datetime
    deleted: bool = False

    def as_record(self) -> Record:
        """The version as a `Record` (no indexed values), for mappings to upgrade and read."""
        return Record(self.kind, self.id, self.version, self.schema_version, self.data)


class MemoryVersions:
    """The memory backend's old versions: one list, appended in seq order."""

    def __init__(self) -> None:
        self.rows: list[StoredVersion] = []
        self.next_seq = 1

    def keep(
        self,
        kind: str,
        rid: str,
        *,
        version: int,
        schema_version: int,
        text: str,
        at: datetime,
        deleted: bool = False,
    ) -> Callable[[], None]:
        """Keep one replaced version; returns the undo step."""
        row = StoredVersion(
            self.next_seq, kind, rid, version, schema_version, json.loads(text), at, deleted
        )
        self.rows.append(row)
        self.next_seq += 1
        return lambda: self._forget(row)

    def _forget(self, row: StoredVersion) -> None:
        if row in self.rows:
            self.rows.remove(row)

    def of(self, kind: str, rid: str) -> list[StoredVersion]:
        """The versions of one record, oldest first (copies: callers may not mutate ours)."""
        return [
            attrs.evolve(v, data=json.loads(json.dumps(v.data)))
            for v in self.rows
            if v.kind == kind and v.id == rid
        ]

    def drop(self, kind: str, ids: Sequence[str]) -> Callable[[], None]:
        """Forget every version of these records; returns the undo step."""
        wanted = set(ids)
        return self._keep_only(lambda v: not (v.kind == kind and v.id in wanted))

    def prune(
        self, before: datetime, kinds: Collection[str] | None = None
    ) -> tuple[int, Callable[[], None]]:
        """Forget the versions replaced before *before* (of *kinds*): how many, and the undo."""

        def old(v: StoredVersion) -> bool:
            return v.replaced_at < before and (kinds is None or v.kind in kinds)

        count = sum(1 for v in self.rows if old(v))
        return count, self._keep_only(lambda v: not old(v))

    def _keep_only(self, keep: Callable[[StoredVersion], bool]) -> Callable[[], None]:
        before = list(self.rows)
        self.rows[:] = [v for v in self.rows if keep(v)]

        def undo() -> None:
            self.rows[:] = before

        return undo

    def load(self, version: StoredVersion) -> None:
        """Keep a dumped version as it was (its seq too)."""
        self.rows.append(attrs.evolve(version, data=json.loads(json.dumps(version.data))))
        self.rows.sort(key=lambda v: v.seq)
        self.next_seq = max(self.next_seq, version.seq + 1)

    def all(self) -> Iterable[StoredVersion]:
        """Every kept version, in seq order."""
        return list(self.rows)

    def clear(self) -> None:
        """Forget everything (a failed load)."""
        self.rows.clear()
        self.next_seq = 1
