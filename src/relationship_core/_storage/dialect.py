"""What differs between SQL databases, and only that: one `SQLDialect` per database.

`relationship_core._storage.sqlstore` holds the one SQL store skeleton
(layout, records, events, jobs); a dialect gives it the placeholders, column
types, lock suffixes, the event-numbering strategy and the translation of
driver errors into the `StorageError` family. Connection handling stays in
the backend classes (`SQLiteBackend`, `PostgresBackend`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import attrs

from relationship_core._storage.contract import FieldType, IndexValue
from relationship_core.exceptions import StorageError

__all__ = ["Conn", "Guarded", "SQLDialect", "Translator", "layout_v1", "layout_v2"]

#: A DB-API connection (``sqlite3.Connection`` or ``psycopg.Connection``); the skeleton
#: only calls ``execute(sql, params)`` and ``cursor()`` on it, which both drivers share.
Conn = Any
#: Turns a driver's exception into the StorageError family (``None``: not the driver's).
Translator = Callable[[BaseException], StorageError | None]


class Guarded:
    """``with Guarded(conn, translate) as conn:`` -- driver errors leave as StorageErrors.

    A class rather than a generator, because every point read goes through it.
    """

    __slots__ = ("conn", "translate")

    def __init__(self, conn: Conn, translate: Translator) -> None:
        self.conn = conn
        self.translate = translate

    def __enter__(self) -> Conn:
        return self.conn

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            error = self.translate(exc)
            if error is not None:
                raise error from exc


@attrs.frozen
class SQLDialect:
    """The parts of SQL that differ between databases.

    Attributes:
        name: Shown in messages: ``"SQLite"``, ``"PostgreSQL"``.
        ph: Parameter placeholder: ``"?"`` or ``"%s"``.
        types: Column type of each indexed field type.
        json_type: Column type of documents and payloads.
        time_type: Column type of instants (events, jobs).
        seq_type: Column definition of the event sequence number.
        insert: ``(prefix, suffix)`` of an insert that skips rows whose key exists.
        claim_lock: Suffix of the claim ``SELECT`` (``FOR UPDATE SKIP LOCKED``), or
            ``""`` where the whole transaction holds the write lock.
        row_lock: Suffix of a ``SELECT`` that locks the row it reads.
        chunk: Most values bound in one ``IN`` list.
        encode: Turns an indexed value into the driver's parameter, or ``None``
            when the driver takes the Python value as it is.
        decoded: Field types whose column values must be decoded on read.
        translate: Turns a driver error into the StorageError family.
        reserve_events: ``(conn, n) -> first``: numbers for *n* events, in commit order.
        columns: ``(conn, table) -> names``: columns a table has.
        extra_layout: Statements of layout 1 only this database has.
        clock: ``(conn) -> now``: the store's own clock for ``now=None`` (the
            database server's on PostgreSQL, so skewed workers agree).
    """

    name: str
    ph: str
    types: Mapping[FieldType, str]
    json_type: str
    time_type: str
    seq_type: str
    insert: tuple[str, str]
    claim_lock: str
    row_lock: str
    chunk: int
    encode: Callable[[FieldType, IndexValue], Any] | None
    decoded: frozenset[FieldType]
    translate: Translator
    reserve_events: Callable[[Conn, int], int]
    columns: Callable[[Conn, str], set[str]]
    extra_layout: tuple[str, ...] = ()
    clock: Callable[[Conn], datetime] = attrs.field(default=lambda _: datetime.now(UTC))

    def any_of(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        """``column IN (...)`` for *values* (matching nothing when there are none)."""
        if not values:
            return "1 = 0", []
        return f"{column} IN ({', '.join([self.ph] * len(values))})", values

    def chunks(self, values: list[Any]) -> Iterator[list[Any]]:
        """*values* in slices of at most `chunk`."""
        for start in range(0, len(values), self.chunk):
            yield values[start : start + self.chunk]


def layout_v1(d: SQLDialect) -> tuple[str, ...]:
    """Layout version 1 (the tables besides one per kind), in *d*'s types."""
    return (
        "CREATE TABLE IF NOT EXISTS rc_kinds (kind TEXT PRIMARY KEY, fields TEXT NOT NULL)",
        *d.extra_layout,
        f"""CREATE TABLE IF NOT EXISTS rc_events (
            seq {d.seq_type}, type TEXT NOT NULL, aggregate_kind TEXT NOT NULL,
            aggregate_id TEXT NOT NULL, occurred_at {d.time_type} NOT NULL,
            data {d.json_type} NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS rc_jobs (
            id TEXT PRIMARY KEY, queue TEXT NOT NULL, payload {d.json_type} NOT NULL,
            due_at {d.time_type} NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL, idempotency_key TEXT UNIQUE,
            lease_owner TEXT, lease_expires_at {d.time_type}, last_error TEXT)""",
        "CREATE INDEX IF NOT EXISTS rc_jobs_due ON rc_jobs (state, due_at, id)",
        "CREATE INDEX IF NOT EXISTS rc_jobs_lease ON rc_jobs (state, lease_expires_at)",
    )


def layout_v2(d: SQLDialect) -> tuple[str, ...]:
    """Layout version 2 (storage contract 2): job groups and fences, consumer positions."""
    return (
        "ALTER TABLE rc_jobs ADD COLUMN job_group TEXT",
        "ALTER TABLE rc_jobs ADD COLUMN fence BIGINT NOT NULL DEFAULT 0",
        "CREATE INDEX IF NOT EXISTS rc_jobs_group ON rc_jobs (job_group, state)",
        "CREATE TABLE IF NOT EXISTS rc_positions (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL)",
    )
