"""The one SQL store: layout, records and events for every SQL database.

`SQLStore` is the skeleton both SQL backends share; a `SQLDialect` supplies
what differs between databases, and each backend class supplies its
connections (``_reader``, ``_snapshot``, ``_writer``). Statements are built
once per store (per kind at open); each public method takes a connection and
calls a private one that works on it, so a transaction reuses the same code.
The job queue lives in `relationship_core._storage.sqljobs`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from relationship_core._domain.timeutil import require_aware
from relationship_core._storage.aggregate import CheckedAggregate, check_aggregate, finish_groups
from relationship_core._storage.contract import (
    Aggregate,
    Capability,
    Delete,
    FieldType,
    Group,
    IndexValue,
    NewEvent,
    NewJob,
    Page,
    Query,
    Record,
    StoredEvent,
    Write,
)
from relationship_core._storage.dialect import Conn, SQLDialect, layout_v1, layout_v2
from relationship_core._storage.dump import DumpItem
from relationship_core._storage.exact import from_units
from relationship_core._storage.resume import LoadMark
from relationship_core._storage.schema import (
    CheckedWrite,
    KindSpec,
    Schema,
    check_position,
    decode_value,
    dump_json,
    load_document,
)
from relationship_core._storage.sql import (
    column,
    index_name,
    record_columns,
    select_aggregate,
    select_page,
    stored_records,
    table,
    write_runs,
)
from relationship_core._storage.sqldump import sql_dump, sql_load, sql_load_mark
from relationship_core._storage.sqljobs import SQLJobs, SQLJobTransaction
from relationship_core._storage.sqlmulti import layout_v4, layout_v5, release_multi, write_multi
from relationship_core._storage.sqlunique import claim_keys, layout_v3, release_keys
from relationship_core._storage.sqlversions import (
    drop_versions,
    keep_deleted,
    keep_replaced,
    layout_v6,
    prune_versions,
    read_all_versions,
    read_versions,
)
from relationship_core._storage.versions import StoredVersion
from relationship_core.exceptions import (
    BackendRefusedError,
    ConflictError,
    SchemaError,
    StorageError,
    ValidationError,
)

__all__ = ["LAYOUT_VERSION", "SQL_CAPABILITIES", "SQLStore", "SQLTransaction"]

#: What both SQL dialects can do: the one store gives them all.
SQL_CAPABILITIES: frozenset[Capability] = frozenset(
    {
        "persistent",
        "threads",
        "multiprocess",
        "job_control",
        "aggregates",
        "unique_keys",
        "multi_valued",
        "dump",
        "resumable_load",
        "versions",
    }
)

#: Version of the table layout this code writes; older stores are migrated on open.
LAYOUT_VERSION = 6


class _KindSQL(NamedTuple):
    """One kind's statements and column decoders, built once when the store opens."""

    select: str  # SELECT <columns> FROM <table> WHERE (a condition follows)
    get_one: str
    insert: str
    update: str
    delete: str
    version: str
    names: tuple[str, ...]
    types: tuple[FieldType, ...]
    decoders: tuple[tuple[str, FieldType, bool], ...] | None  # None: nothing to decode


class SQLStore(SQLJobs):
    """Records, events and jobs in an SQL database; subclass per database."""

    dialect: SQLDialect

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.schema_changes: list[str] = []
        self._closed = False
        d = self.dialect
        ph = d.ph
        self._kinds = {spec.name: self._kind_sql(spec) for spec in schema.kinds}
        self._read_events = (
            "SELECT seq, type, aggregate_id, occurred_at, data, aggregate_kind "
            f"FROM rc_events WHERE seq > {ph} ORDER BY seq LIMIT {ph}"
        )
        self._append_event = (
            "INSERT INTO rc_events (seq, type, aggregate_kind, aggregate_id, occurred_at, data) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph})"
        )
        super().__init__()

    def _kind_sql(self, spec: KindSpec) -> _KindSQL:
        d = self.dialect
        ph = d.ph
        tbl = table(spec.name)
        cols = record_columns(spec)
        select = f"SELECT {cols} FROM {tbl} WHERE "
        sets = "".join(f", {column(f.name)} = {ph}" for f in spec.fields)
        decoders = tuple((f.name, f.type, f.type in d.decoded) for f in spec.fields)
        prefix, suffix = d.insert
        return _KindSQL(
            select=select,
            get_one=f"{select}id = {ph}",
            insert=f"{prefix} {tbl} ({cols}) VALUES ({ph}, 1, {ph}, {ph}"
            f"{f', {ph}' * len(spec.fields)}){suffix}",
            update=f"UPDATE {tbl} SET version = version + 1, schema_version = {ph}, "
            f"data = {ph}{sets} WHERE id = {ph} AND version = {ph}",
            delete=f"DELETE FROM {tbl} WHERE id = {ph} AND version = {ph}",
            version=f"SELECT version FROM {tbl} WHERE id = {ph}",
            names=tuple(f.name for f in spec.fields),
            types=tuple(f.type for f in spec.fields),
            decoders=decoders if any(c for _, _, c in decoders) else None,
        )

    # -- what a backend class provides ----------------------------------------------

    #: Where the store is, for messages (a path, a schema name).
    where: str = ""

    def _reader(self) -> AbstractContextManager[Conn]:
        """A connection for one read statement (errors translated)."""
        raise NotImplementedError  # pragma: no cover

    def _snapshot(self) -> AbstractContextManager[Conn]:
        """A connection for several read statements that must see one state."""
        return self._reader()

    def _writer(self) -> AbstractContextManager[Conn]:
        """A connection inside a write transaction, committed when the block ends."""
        raise NotImplementedError  # pragma: no cover

    def _closed_error(self) -> StorageError:
        return StorageError(f"the {self.dialect.name} store {self.where} is closed; open it again")

    # -- layout ----------------------------------------------------------------------

    def _migrate(self, conn: Conn) -> None:
        """Bring the layout and every declared kind up to date (caller holds the lock)."""
        ph = self.dialect.ph
        conn.execute(
            "CREATE TABLE IF NOT EXISTS rc_schema_version "
            "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        row = conn.execute(
            "SELECT version FROM rc_schema_version WHERE component = 'layout'"
        ).fetchone()
        current = row[0] if row else 0
        if current > LAYOUT_VERSION:
            raise SchemaError(
                f"{self.where} has storage layout {current}, newer than this library's "
                f"{LAYOUT_VERSION}; upgrade relationship_core"
            )
        migrations = {
            1: layout_v1(self.dialect),
            2: layout_v2(self.dialect),
            3: layout_v3(self.dialect),
            4: layout_v4(self.dialect),
            5: layout_v5(self.dialect),
            6: layout_v6(self.dialect),
        }
        for version in range(current + 1, LAYOUT_VERSION + 1):
            for statement in migrations[version]:
                conn.execute(statement)
            self.schema_changes.append(f"storage layout migrated to version {version}")
        conn.execute(
            f"INSERT INTO rc_schema_version (component, version) VALUES ('layout', {ph}) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (LAYOUT_VERSION,),
        )
        for spec in self.schema.kinds:
            self._ensure_kind(conn, spec)

    def _ensure_kind(self, conn: Conn, spec: KindSpec) -> None:
        d = self.dialect
        declared = {f.name: f.type for f in spec.fields}
        row = conn.execute(f"SELECT fields FROM rc_kinds WHERE kind = {d.ph}", (spec.name,))
        row = row.fetchone()
        tbl = table(spec.name)
        if row is None:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {tbl} (id {d.types['str']} PRIMARY KEY, "
                f"version INTEGER NOT NULL, schema_version INTEGER NOT NULL, "
                f"data {d.json_type} NOT NULL)"
            )
            stored: dict[str, str] = {}
            self.schema_changes.append(f"created kind {spec.name!r}")
        else:
            stored = json.loads(row[0])
        existing = d.columns(conn, tbl)
        for name, ftype in declared.items():
            if name in stored and stored[name] != ftype:
                raise SchemaError(
                    f"{spec.name}.{name} is stored as {stored[name]} but declared as {ftype}; "
                    "declare a new field instead of changing a field's type"
                )
            if column(name) not in existing:
                conn.execute(f"ALTER TABLE {tbl} ADD COLUMN {column(name)} {d.types[ftype]}")
                if row is not None:
                    self.schema_changes.append(
                        f"added indexed field {spec.name}.{name} (run migrate to fill it)"
                    )
            if ftype == "str[]":
                continue  # queried through rc_multi, not its column
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {index_name(spec.name, name)} "
                f"ON {tbl} ({column(name)}, id)"
            )
        merged = {**stored, **declared}
        if merged != stored:
            conn.execute(
                f"INSERT INTO rc_kinds (kind, fields) VALUES ({d.ph}, {d.ph}) "
                "ON CONFLICT (kind) DO UPDATE SET fields = excluded.fields",
                (spec.name, json.dumps(merged, sort_keys=True)),
            )

    # -- reads -----------------------------------------------------------------------

    def _record(self, kind: str, sql: _KindSQL, row: Sequence[Any]) -> Record:
        data = row[3]
        if type(data) is not dict:  # SQLite keeps text; psycopg has decoded the JSON already
            data = load_document(data, kind, row[0])
        decoders = sql.decoders
        if decoders is None:
            indexed = dict(zip(sql.names, row[4:], strict=True))
        else:
            indexed = {
                name: decode_value(ftype, value) if convert else value
                for (name, ftype, convert), value in zip(decoders, row[4:], strict=True)
            }
        return Record(kind, row[0], row[1], row[2], data, indexed)

    def _get_many(self, conn: Conn, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        _, checked = self.schema.check_ids(kind, ids)
        sql = self._kinds[kind]
        if len(checked) == 1:
            row = conn.execute(sql.get_one, checked).fetchone()
            return {} if row is None else {row[0]: self._record(kind, sql, row)}
        found: dict[str, Record] = {}
        for chunk in self.dialect.chunks(checked):
            cond, params = self.dialect.any_of("id", chunk)
            for row in conn.execute(sql.select + cond, params).fetchall():
                found[row[0]] = self._record(kind, sql, row)
        return {i: found[i] for i in checked if i in found}

    def _query(self, conn: Conn, query: Query) -> Page:
        checked = self.schema.check_query(query)
        encode = self.dialect.encode
        statement, params = select_page(checked, self.dialect.ph, encode or _same)
        rows = conn.execute(statement, params).fetchall()
        sql = self._kinds[query.kind]
        records = [self._record(query.kind, sql, r) for r in rows[: query.limit]]
        more = len(rows) > query.limit
        return Page(tuple(records), checked.next_cursor(records[-1]) if more else None)

    def _aggregate(self, conn: Conn, agg: Aggregate) -> list[Group]:
        checked = check_aggregate(self.schema, agg)
        statement, params = select_aggregate(checked, self.dialect.ph, self.dialect.encode or _same)
        try:
            rows = conn.execute(statement, params).fetchall()
        except Exception as exc:
            if "integer overflow" in str(exc):  # SQLite's exact SUM ran out of 64 bits
                raise BackendRefusedError(
                    f"a sum in {agg.kind} overflows 64 bits; "
                    "aggregate smaller groups (add a condition or a group_by)"
                ) from None
            raise
        return finish_groups(checked, [self._group(checked, row) for row in rows])

    def _group(self, checked: CheckedAggregate, row: Sequence[Any]) -> Group:
        agg = checked.aggregate
        spec = checked.spec
        n = len(agg.group_by)
        key = tuple(
            decode_value(spec.field(name).type, value)
            for name, value in zip(agg.group_by, row[:n], strict=True)
        )
        values: dict[str, IndexValue] = {}
        for measure, value in zip(agg.measures, row[n:], strict=True):
            if measure.op == "count" or value is None:
                values[measure.label] = int(value) if value is not None else None
                continue
            ftype = checked.field_type(measure)
            if measure.op == "sum":  # PostgreSQL sums integers as NUMERIC
                values[measure.label] = from_units(value) if ftype == "decimal" else int(value)
            else:
                values[measure.label] = decode_value(ftype, value)
        return Group(key, values)

    def aggregate(self, agg: Aggregate) -> list[Group]:
        """Exact aggregates of *agg*, computed by the database (one statement)."""
        with self._reader() as conn:
            return self._aggregate(conn, agg)

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records of *kind* with these ids that exist."""
        if len(ids) <= 1:
            with self._reader() as conn:
                return self._get_many(conn, kind, ids)
        with self._snapshot() as conn:
            return self._get_many(conn, kind, ids)

    def query(self, query: Query) -> Page:
        """One page of records matching *query*."""
        with self._reader() as conn:
            return self._query(conn, query)

    def read_events(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Events with ``seq > after``, oldest first."""
        check_position(after, limit)
        with self._reader() as conn:
            rows = conn.execute(self._read_events, (after, limit)).fetchall()
        return [
            StoredEvent(
                r[0],
                r[1],
                r[2],
                decode_value("datetime", r[3]),  # type: ignore[arg-type]
                r[4] if type(r[4]) is dict else load_document(r[4], "event", str(r[0])),
                r[5],
            )
            for r in rows
        ]

    def versions(self, kind: str, id: str) -> list[StoredVersion]:
        """The replaced and deleted versions of one record, oldest first (``sqlversions.py``)."""
        _, [rid] = self.schema.check_ids(kind, [id])
        with self._reader() as conn:
            return read_versions(conn, self.dialect, kind, rid)

    def read_versions(self, after: int = 0, limit: int = 100) -> list[StoredVersion]:
        """Kept versions of every record with ``seq > after``, oldest first (an erasure's scan)."""
        check_position(after, limit)
        with self._reader() as conn:
            return read_all_versions(conn, self.dialect, after, limit)

    def dump(self) -> Iterator[DumpItem]:
        """Every record (with its claims), event, job and consumer position (``sqldump.py``)."""
        return sql_dump(self)

    def load(self, items: Iterable[DumpItem], *, mark: LoadMark | None = None) -> None:
        """Write a dump (or a marked batch of one) in one transaction (``sqldump.py``)."""
        sql_load(self, items, mark)

    def load_mark(self) -> LoadMark | None:
        """The marker the last marked `load` left (``resume.py``)."""
        return sql_load_mark(self)

    # -- writes ----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        """Begin a write transaction; it commits when the block ends without error."""
        with self._writer() as conn:
            tx = SQLTransaction(self, conn)
            try:
                yield tx
            finally:
                tx.closed = True

    def _version(self, conn: Conn, kind: str, rid: str) -> int | None:
        row = conn.execute(self._kinds[kind].version, (rid,)).fetchone()
        return None if row is None else int(row[0])


def _same(ftype: FieldType, value: Any) -> Any:
    return value


def executemany(conn: Conn, statement: str, rows: Sequence[Sequence[Any]]) -> int:
    """Run *statement* for every row; the number of rows it changed."""
    cur = conn.cursor()
    try:
        cur.executemany(statement, rows)
        return int(cur.rowcount)
    finally:
        cur.close()


class SQLTransaction(SQLJobTransaction):
    """The writes of one transaction, on the connection that holds it."""

    store: SQLStore

    def __init__(self, store: SQLStore, conn: Conn) -> None:
        self.store = store
        self.conn = conn
        self.closed = False

    def _live(self) -> Conn:
        if self.closed:
            raise StorageError("transaction already ended")
        return self.conn

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        return self.store._get_many(self._live(), kind, ids)

    def query(self, query: Query) -> Page:
        return self.store._query(self._live(), query)

    def aggregate(self, agg: Aggregate) -> list[Group]:
        return self.store._aggregate(self._live(), agg)

    def put_many(self, writes: Sequence[Write]) -> list[Record]:
        conn = self._live()
        schema = self.store.schema
        checked = [schema.check_write(w) for w in writes]
        texts = [dump_json(f"writes[{n}].data", w.data) for n, w in enumerate(checked)]
        # Consecutive writes of one kind and one sort (insert/update) go in one executemany.
        for start, end, insert in write_runs(checked):
            self._run(conn, checked[start:end], texts[start:end], insert=insert)
            spec = schema.kind(checked[start].kind)
            if any(f.type == "str[]" for f in spec.fields):
                write_multi(conn, self.store.dialect, spec, checked[start:end], insert=insert)
        for w in checked:  # after the version checks: a stale write is a plain conflict
            if schema.kind(w.kind).unique:
                claim_keys(conn, self.store.dialect, w.kind, w.id, w.keys)
        return stored_records(checked)

    def _run(
        self, conn: Conn, writes: Sequence[CheckedWrite], texts: Sequence[str], *, insert: bool
    ) -> None:
        store = self.store
        sql = store._kinds[writes[0].kind]
        encode = store.dialect.encode
        names = sql.names
        params: list[tuple[Any, ...]] = []
        for w, text in zip(writes, texts, strict=True):
            idx = w.indexed
            if encode is None:
                values = [idx[n] for n in names]
            else:
                values = [encode(t, idx[n]) for n, t in zip(names, sql.types, strict=True)]
            if insert:
                params.append((w.id, w.schema_version, text, *values))
            else:
                params.append((w.schema_version, text, *values, w.id, w.expected_version))
        statement = sql.insert if insert else sql.update
        if not insert and store.schema.kind(writes[0].kind).versions:
            keep_replaced(conn, store.dialect, writes)  # the replaced rows to rc_versions first
        if len(params) == 1:
            if conn.execute(statement, params[0]).rowcount == 1:
                return
        elif store._batch(conn, statement, params):
            return
        # Some write was stale (the batch was undone): replay row by row to name the first.
        for write, row in zip(writes, params, strict=True):
            if conn.execute(statement, row).rowcount != 1:
                actual = store._version(conn, write.kind, write.id)
                raise ConflictError(write.kind, write.id, write.expected_version, actual)
        raise StorageError(  # pragma: no cover
            f"{store.dialect.name}: a batch reported fewer rows than it wrote"
        )

    def delete(self, delete: Delete) -> None:
        conn = self._live()
        delete = self.store.schema.check_delete(delete)
        sql = self.store._kinds[delete.kind]
        if self.store.schema.kind(delete.kind).versions:
            keep_deleted(conn, self.store.dialect, delete.kind, delete.id, delete.expected_version)
        if conn.execute(sql.delete, (delete.id, delete.expected_version)).rowcount != 1:
            actual = self.store._version(conn, delete.kind, delete.id)
            raise ConflictError(
                delete.kind,
                delete.id,
                delete.expected_version,
                actual,
                detail="" if actual is not None else "does not exist",
            )
        if any(f.type == "str[]" for f in self.store.schema.kind(delete.kind).fields):
            release_multi(conn, self.store.dialect, delete.kind, delete.id)
        if self.store.schema.kind(delete.kind).unique:
            release_keys(conn, self.store.dialect, delete.kind, delete.id)

    def drop_versions(self, kind: str, ids: Sequence[str]) -> int:
        _, checked = self.store.schema.check_ids(kind, ids)
        return drop_versions(self._live(), self.store.dialect, kind, checked)

    def prune_versions(self, before: datetime, kinds: Sequence[str] | None = None) -> int:
        at = require_aware("before", before)
        checked = None if kinds is None else [self.store.schema.kind(k).name for k in kinds]
        return prune_versions(self._live(), self.store.dialect, at, checked)

    def append_events(self, events: Sequence[NewEvent]) -> list[int]:
        conn = self._live()
        store = self.store
        checked = [store.schema.check_event(e) for e in events]
        if not checked:
            return []
        texts = [dump_json(f"events[{n}].data", e.data) for n, e in enumerate(checked)]
        encode = store.dialect.encode or _same
        # The dialect hands out numbers that commit in order (a lock held until commit).
        first = store.dialect.reserve_events(conn, len(checked))
        rows = [
            (
                first + n,
                e.type,
                e.aggregate_kind,
                e.aggregate_id,
                encode("datetime", e.occurred_at),
                t,
            )
            for n, (e, t) in enumerate(zip(checked, texts, strict=True))
        ]
        executemany(conn, store._append_event, rows)
        return list(range(first, first + len(rows)))

    def enqueue(self, jobs: Sequence[NewJob]) -> list[str]:
        conn = self._live()
        store = self.store
        checked = [store.schema.check_job(j) for j in jobs]
        payloads = [dump_json(f"jobs[{n}].payload", j.payload) for n, j in enumerate(checked)]
        if len(checked) > 1 and store._enqueue_all(conn, checked, payloads):
            return [j.id for j in checked]
        ids = []
        for n, (job, payload) in enumerate(zip(checked, payloads, strict=True)):
            existing = store._enqueue(conn, job, payload)
            if existing is None:
                raise ValidationError(f"jobs[{n}].id", job.id, "a job with this id exists")
            ids.append(existing)
        return ids
