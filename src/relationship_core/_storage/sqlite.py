"""The SQLite backend: the embedded default (standard library ``sqlite3``).

* WAL journal, so readers never block the writer; ``BEGIN IMMEDIATE`` for
  every transaction, so two writers queue on SQLite's lock (waiting up to the
  busy timeout) instead of failing half-way with "database is locked".
* One connection per thread (and per process after a fork).
* Optimistic concurrency in SQL: ``UPDATE ... WHERE id = ? AND version = ?``;
  no row changed means a stale version, reported as ``ConflictError``.
* Schema created and brought up to date on open, under the write lock, with
  the layout version kept in ``rc_schema_version``.

URL: ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``;
options ``timeout`` (busy timeout in seconds, default 30) and ``synchronous``
(``full``, the default, or ``normal``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from relationship_core._storage.contract import (
    Capability,
    Delete,
    FieldType,
    IndexValue,
    Job,
    NewEvent,
    NewJob,
    Page,
    Query,
    Record,
    StoredEvent,
    Write,
)
from relationship_core._storage.memory import lease_conflict
from relationship_core._storage.schema import (
    CheckedWrite,
    KindSpec,
    Schema,
    check_claim,
    check_position,
    decode_value,
    dump_json,
    encode_value,
    job_from_row,
)
from relationship_core._storage.sql import (
    column,
    index_name,
    record_columns,
    select_page,
    stored_records,
    table,
    write_runs,
)
from relationship_core._storage.url import StorageURL
from relationship_core.exceptions import (
    BackendUnavailableError,
    ConflictError,
    SchemaError,
    StorageError,
    ValidationError,
)

__all__ = ["LAYOUT_VERSION", "SQLiteBackend", "open_sqlite"]

#: Version of the table layout this code writes; older stores are migrated on open.
LAYOUT_VERSION = 1
_CHUNK = 500
_SQL_TYPES: dict[FieldType, str] = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "REAL",
    "bool": "INTEGER",
    "datetime": "TEXT",
    "date": "TEXT",
}
_JOB_COLUMNS = (
    "id, queue, payload, due_at, state, attempts, max_attempts, idempotency_key, "
    "lease_owner, lease_expires_at, last_error"
)

# Each step brings the layout from version N-1 to N; run in order, inside the write lock.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS rc_kinds (kind TEXT PRIMARY KEY, fields TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS rc_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL, aggregate_kind TEXT NOT NULL, aggregate_id TEXT NOT NULL,
            occurred_at TEXT NOT NULL, data TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS rc_jobs (
            id TEXT PRIMARY KEY, queue TEXT NOT NULL, payload TEXT NOT NULL,
            due_at TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL, idempotency_key TEXT UNIQUE,
            lease_owner TEXT, lease_expires_at TEXT, last_error TEXT)""",
        "CREATE INDEX IF NOT EXISTS rc_jobs_due ON rc_jobs (state, due_at)",
        "CREATE INDEX IF NOT EXISTS rc_jobs_lease ON rc_jobs (state, lease_expires_at)",
    ),
}


def _enc(ftype: FieldType, value: IndexValue) -> Any:
    return encode_value(ftype, value)


@contextmanager
def _translated() -> Iterator[None]:
    """Turn sqlite3's exceptions into the StorageError family."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text or "unable to open" in text:
            raise BackendUnavailableError(
                f"SQLite: {exc}; another process holds the database too long, "
                "or the file is not reachable (raise ?timeout=SECONDS)"
            ) from exc
        raise StorageError(f"SQLite: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"SQLite: {exc}") from exc


class _Held:
    """A thread's connection; closed when the thread ends (its locals go) or on close()."""

    __slots__ = ("__weakref__", "conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()

    def close(self) -> None:
        if self.pid == os.getpid():  # never touch a parent's connection after fork
            self.conn.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # may run at interpreter exit
            self.close()


class SQLiteBackend:
    """Records, events and jobs in one SQLite file.

    Args:
        path: Database file (created if missing, with its parent directory).
        schema: The kinds to store.
        timeout: Busy timeout in seconds: how long a writer waits for another.
        synchronous: ``"full"`` (durable through power loss) or ``"normal"``.
    """

    capabilities: frozenset[Capability] = frozenset({"persistent", "threads", "multiprocess"})

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: Schema,
        *,
        timeout: float = 30.0,
        synchronous: str = "full",
    ) -> None:
        if synchronous.lower() not in ("full", "normal"):
            raise ValidationError("synchronous", synchronous, "'full' or 'normal'")
        self.path = Path(path)
        self.schema = schema
        self.timeout = timeout
        self.synchronous = synchronous.upper()
        self.schema_changes: list[str] = []
        self._local = threading.local()
        self._all: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._all_lock = threading.Lock()
        self._closed = False
        self._selects: dict[str, str] = {}
        self._decoders: dict[str, list[tuple[str, FieldType, bool]]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _translated():
            self._setup()

    # -- connections -------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"the SQLite store {self.path} is closed; open it again")
        held: _Held | None = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():  # new thread, or a forked child
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            held = _Held(conn)
            self._local.held = held
            with self._all_lock:
                self._all.add(held)
        return held.conn

    def close(self) -> None:
        """Close every connection this object opened in this process."""
        self._closed = True
        with self._all_lock:
            held, self._all = list(self._all), weakref.WeakSet()
        for item in held:
            item.close()

    # -- schema --------------------------------------------------------------------

    def _setup(self) -> None:
        conn = self._conn()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise BackendUnavailableError(f"SQLite: could not switch {self.path} to WAL ({mode})")
        with self._write() as conn:
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
                    f"{self.path} has storage layout {current}, newer than this library's "
                    f"{LAYOUT_VERSION}; upgrade relationship_core"
                )
            for version in range(current + 1, LAYOUT_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    conn.execute(statement)
                self.schema_changes.append(f"storage layout migrated to version {version}")
            conn.execute(
                "INSERT INTO rc_schema_version (component, version) VALUES ('layout', ?) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (LAYOUT_VERSION,),
            )
            for spec in self.schema.kinds:
                self._ensure_kind(conn, spec)

    def _ensure_kind(self, conn: sqlite3.Connection, spec: KindSpec) -> None:
        declared = {f.name: f.type for f in spec.fields}
        row = conn.execute("SELECT fields FROM rc_kinds WHERE kind = ?", (spec.name,)).fetchone()
        tbl = table(spec.name)
        if row is None:
            cols = ", ".join(f"{column(f.name)} {_SQL_TYPES[f.type]}" for f in spec.fields)
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {tbl} (id TEXT PRIMARY KEY, "
                f"version INTEGER NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL"
                f"{', ' + cols if cols else ''})"
            )
            stored: dict[str, str] = {}
            self.schema_changes.append(f"created kind {spec.name!r}")
        else:
            stored = json.loads(row[0])
        existing = {r[1] for r in conn.execute(f"PRAGMA table_info({tbl})")}
        for name, ftype in declared.items():
            if name in stored and stored[name] != ftype:
                raise SchemaError(
                    f"{spec.name}.{name} is stored as {stored[name]} but declared as {ftype}; "
                    "declare a new field instead of changing a field's type"
                )
            if column(name) not in existing:
                conn.execute(f"ALTER TABLE {tbl} ADD COLUMN {column(name)} {_SQL_TYPES[ftype]}")
                if row is not None:
                    self.schema_changes.append(
                        f"added indexed field {spec.name}.{name} (run migrate to fill it)"
                    )
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {index_name(spec.name, name)} "
                f"ON {tbl} ({column(name)}, id)"
            )
        merged = {**stored, **declared}
        if merged != stored:
            conn.execute(
                "INSERT INTO rc_kinds (kind, fields) VALUES (?, ?) "
                "ON CONFLICT (kind) DO UPDATE SET fields = excluded.fields",
                (spec.name, json.dumps(merged, sort_keys=True)),
            )

    # -- reads ---------------------------------------------------------------------

    def _row_to_record(self, spec: KindSpec, row: Sequence[Any]) -> Record:
        decoders = self._decoders.get(spec.name)
        if decoders is None:
            decoders = self._decoders[spec.name] = [
                (f.name, f.type, f.type in ("datetime", "date", "bool")) for f in spec.fields
            ]
        indexed = {
            name: decode_value(ftype, value) if convert else value
            for (name, ftype, convert), value in zip(decoders, row[4:], strict=True)
        }
        return Record(spec.name, row[0], row[1], row[2], json.loads(row[3]), indexed)

    def _get_many(
        self, conn: sqlite3.Connection, kind: str, ids: Sequence[str]
    ) -> dict[str, Record]:
        spec, checked = self.schema.check_ids(kind, ids)
        out: dict[str, Record] = {}
        select = self._selects.get(kind)
        if select is None:
            select = f"SELECT {record_columns(spec)} FROM {table(kind)} WHERE id"
            self._selects[kind] = select
        with _translated():
            if len(checked) == 1:
                row = conn.execute(f"{select} = ?", checked).fetchone()
                if row is not None:
                    out[row[0]] = self._row_to_record(spec, row)
                return out
            for start in range(0, len(checked), _CHUNK):
                chunk = checked[start : start + _CHUNK]
                sql = f"{select} IN ({', '.join('?' * len(chunk))})"
                for row in conn.execute(sql, chunk):
                    out[row[0]] = self._row_to_record(spec, row)
        return {i: out[i] for i in checked if i in out}

    def _query(self, conn: sqlite3.Connection, query: Query) -> Page:
        checked = self.schema.check_query(query)
        sql, params = select_page(checked, "?", _enc)
        with _translated():
            rows = conn.execute(sql, params).fetchall()
        records = [self._row_to_record(checked.spec, r) for r in rows[: query.limit]]
        more = len(rows) > query.limit
        return Page(tuple(records), checked.next_cursor(records[-1]) if more else None)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        with _translated():
            conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records of *kind* with these ids that exist."""
        if len(ids) <= 1:
            return self._get_many(self._conn(), kind, ids)
        with self._read() as conn:
            return self._get_many(conn, kind, ids)

    def query(self, query: Query) -> Page:
        """One page of records matching *query*."""
        return self._query(self._conn(), query)

    def read_events(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Events with ``seq > after``, oldest first."""
        check_position(after, limit)
        with _translated():
            rows = self._conn().execute(
                "SELECT seq, type, aggregate_id, occurred_at, data, aggregate_kind "
                "FROM rc_events WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            )
            return [
                StoredEvent(r[0], r[1], r[2], datetime.fromisoformat(r[3]), json.loads(r[4]), r[5])
                for r in rows
            ]

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        return self._get_job(self._conn(), job_id)

    def _get_job(self, conn: sqlite3.Connection, job_id: str) -> Job | None:
        with _translated():
            cur = conn.execute(f"SELECT {_JOB_COLUMNS} FROM rc_jobs WHERE id = ?", (job_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return job_from_row(dict(zip([d[0] for d in cur.description], row, strict=True)))

    # -- writes --------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if conn.in_transaction:
            raise StorageError("nested transactions are not supported; use the outer one")
        with _translated():
            conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        with _translated():
            conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[_SQLiteTransaction]:
        """Begin an immediate (write-locked) transaction."""
        with self._write() as conn:
            tx = _SQLiteTransaction(self, conn)
            try:
                yield tx
            finally:
                tx.closed = True

    def claim_jobs(
        self,
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease up to *limit* due jobs to *worker* (under SQLite's write lock)."""
        now = check_claim(worker, now, lease, limit)
        at = _enc("datetime", now)
        until = _enc("datetime", now + lease)
        queue_sql = ""
        qparams: list[str] = []
        if queues is not None:
            qparams = list(queues)
            queue_sql = f" AND queue IN ({', '.join('?' * len(qparams))})" if qparams else " AND 0"
        claimed: list[Job] = []
        with self._write() as conn, _translated():
            while len(claimed) < limit:
                cur = conn.execute(
                    f"SELECT {_JOB_COLUMNS} FROM rc_jobs WHERE "
                    "((state = 'pending' AND due_at <= ?) OR "
                    "(state = 'claimed' AND lease_expires_at <= ?))"
                    f"{queue_sql} ORDER BY due_at, id LIMIT ?",
                    [at, at, *qparams, limit - len(claimed)],
                )
                names = [d[0] for d in cur.description]
                jobs = [job_from_row(dict(zip(names, r, strict=True))) for r in cur.fetchall()]
                if not jobs:
                    break
                for job in jobs:
                    if job.state == "claimed" and job.attempts >= job.max_attempts:
                        conn.execute(
                            "UPDATE rc_jobs SET state = 'dead', lease_owner = NULL, "
                            "lease_expires_at = NULL, last_error = ? WHERE id = ?",
                            ("lease expired on the final attempt", job.id),
                        )
                        continue
                    conn.execute(
                        "UPDATE rc_jobs SET state = 'claimed', attempts = attempts + 1, "
                        "lease_owner = ?, lease_expires_at = ? WHERE id = ?",
                        (worker, until, job.id),
                    )
                    claimed.append(
                        Job(
                            job.id,
                            job.queue,
                            job.payload,
                            job.due_at,
                            "claimed",
                            job.attempts + 1,
                            job.max_attempts,
                            job.idempotency_key,
                            worker,
                            decode_value("datetime", until),  # type: ignore[arg-type]
                            job.last_error,
                        )
                    )
        return claimed

    def _held(self, conn: sqlite3.Connection, job: Job) -> Job:
        current = self._get_job(conn, job.id)
        if (
            current is None
            or current.state != "claimed"
            or current.lease_owner != job.lease_owner
            or current.attempts != job.attempts
        ):
            raise lease_conflict(job, current)
        return current

    def complete_job(self, job: Job) -> None:
        """Mark a claimed job done."""
        with self._write() as conn:
            self._held(conn, job)
            with _translated():
                conn.execute(
                    "UPDATE rc_jobs SET state = 'done', lease_owner = NULL, "
                    "lease_expires_at = NULL WHERE id = ?",
                    (job.id,),
                )

    def retry_job(self, job: Job, *, due_at: datetime, error: str) -> Job:
        """Give a claimed job back for a later attempt, or dead-letter it."""
        due = self.schema.check_job(NewJob("retry", {}, due_at)).due_at
        with self._write() as conn:
            current = self._held(conn, job)
            dead = current.attempts >= current.max_attempts
            with _translated():
                conn.execute(
                    "UPDATE rc_jobs SET state = ?, due_at = ?, lease_owner = NULL, "
                    "lease_expires_at = NULL, last_error = ? WHERE id = ?",
                    (
                        "dead" if dead else "pending",
                        _enc("datetime", current.due_at if dead else due),
                        str(error),
                        job.id,
                    ),
                )
            result = self._get_job(conn, job.id)
        assert result is not None  # noqa: S101 - we hold the write lock
        return result


class _SQLiteTransaction:
    def __init__(self, store: SQLiteBackend, conn: sqlite3.Connection) -> None:
        self.store = store
        self.conn = conn
        self.closed = False
        self._inserts: dict[str, str] = {}
        self._updates: dict[str, str] = {}

    def _live(self) -> sqlite3.Connection:
        if self.closed:
            raise StorageError("transaction already ended")
        return self.conn

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        return self.store._get_many(self._live(), kind, ids)

    def query(self, query: Query) -> Page:
        return self.store._query(self._live(), query)

    def _actual(self, kind: str, rid: str) -> int | None:
        row = self.conn.execute(
            f"SELECT version FROM {table(kind)} WHERE id = ?", (rid,)
        ).fetchone()
        return None if row is None else int(row[0])

    def put_many(self, writes: Sequence[Write]) -> list[Record]:
        conn = self._live()
        schema = self.store.schema
        checked = [schema.check_write(w) for w in writes]
        texts = [dump_json(f"writes[{n}].data", w.data) for n, w in enumerate(checked)]
        # Consecutive writes of one kind and one sort (insert/update) go in one executemany.
        for start, end, insert in write_runs(checked):
            self._run(conn, checked[start:end], texts[start:end], insert=insert)
        return stored_records(checked)

    def _run(
        self,
        conn: sqlite3.Connection,
        writes: Sequence[CheckedWrite],
        texts: Sequence[str],
        *,
        insert: bool,
    ) -> None:
        spec = self.store.schema.kind(writes[0].kind)
        fields = spec.fields
        if insert:
            sql = self._inserts.get(spec.name)
            if sql is None:
                sql = (
                    f"INSERT OR IGNORE INTO {table(spec.name)} ({record_columns(spec)}) VALUES "
                    f"(?, 1, ?, ?{', ?' * len(fields)})"
                )
                self._inserts[spec.name] = sql
            params = [
                (w.id, w.schema_version, t, *[_enc(f.type, w.indexed[f.name]) for f in fields])
                for w, t in zip(writes, texts, strict=True)
            ]
        else:
            sql = self._updates.get(spec.name)
            if sql is None:
                sets = "".join(f", {column(f.name)} = ?" for f in fields)
                sql = (
                    f"UPDATE {table(spec.name)} SET version = version + 1, schema_version = ?, "
                    f"data = ?{sets} WHERE id = ? AND version = ?"
                )
                self._updates[spec.name] = sql
            params = [
                (
                    w.schema_version,
                    t,
                    *[_enc(f.type, w.indexed[f.name]) for f in fields],
                    w.id,
                    w.expected_version,
                )
                for w, t in zip(writes, texts, strict=True)
            ]
        with _translated():
            conn.execute("SAVEPOINT rc_batch")
            cur = conn.executemany(sql, params)
            if cur.rowcount == len(writes):
                conn.execute("RELEASE rc_batch")
                return
            # Some write was stale: undo the batch, replay it row by row to name the first.
            conn.execute("ROLLBACK TO rc_batch")
            conn.execute("RELEASE rc_batch")
            for write, row in zip(writes, params, strict=True):
                if conn.execute(sql, row).rowcount != 1:
                    actual = self._actual(write.kind, write.id)
                    raise ConflictError(write.kind, write.id, write.expected_version, actual)
        raise StorageError("SQLite: a batch reported fewer rows than it wrote")  # pragma: no cover

    def delete(self, delete: Delete) -> None:
        conn = self._live()
        delete = self.store.schema.check_delete(delete)
        with _translated():
            cur = conn.execute(
                f"DELETE FROM {table(delete.kind)} WHERE id = ? AND version = ?",
                (delete.id, delete.expected_version),
            )
        if cur.rowcount != 1:
            actual = self._actual(delete.kind, delete.id)
            raise ConflictError(
                delete.kind,
                delete.id,
                delete.expected_version,
                actual,
                detail="" if actual is not None else "does not exist",
            )

    def append_events(self, events: Sequence[NewEvent]) -> list[int]:
        conn = self._live()
        schema = self.store.schema
        checked = [schema.check_event(e) for e in events]
        if not checked:
            return []
        rows = [
            (
                e.type,
                e.aggregate_kind,
                e.aggregate_id,
                _enc("datetime", e.occurred_at),
                dump_json(f"events[{n}].data", e.data),
            )
            for n, e in enumerate(checked)
        ]
        with _translated():
            conn.executemany(
                "INSERT INTO rc_events (type, aggregate_kind, aggregate_id, occurred_at, data) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            last = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
        # We hold the write lock, so AUTOINCREMENT handed out consecutive numbers.
        return list(range(last - len(rows) + 1, last + 1))

    def enqueue(self, jobs: Sequence[NewJob]) -> list[str]:
        conn = self._live()
        schema = self.store.schema
        checked = [schema.check_job(j) for j in jobs]
        ids = []
        with _translated():
            for n, job in enumerate(checked):
                payload = dump_json(f"jobs[{n}].payload", job.payload)
                if job.idempotency_key is not None:
                    row = conn.execute(
                        "SELECT id FROM rc_jobs WHERE idempotency_key = ?", (job.idempotency_key,)
                    ).fetchone()
                    if row is not None:
                        ids.append(row[0])
                        continue
                if conn.execute("SELECT 1 FROM rc_jobs WHERE id = ?", (job.id,)).fetchone():
                    raise ValidationError(f"jobs[{n}].id", job.id, "a job with this id exists")
                conn.execute(
                    "INSERT INTO rc_jobs (id, queue, payload, due_at, state, attempts, "
                    "max_attempts, idempotency_key) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
                    (
                        job.id,
                        job.queue,
                        payload,
                        _enc("datetime", job.due_at),
                        job.max_attempts,
                        job.idempotency_key,
                    ),
                )
                ids.append(job.id)
        return ids


def open_sqlite(url: StorageURL, schema: Schema) -> SQLiteBackend:
    """Factory for ``sqlite:///relative.db`` and ``sqlite:////absolute.db`` URLs."""
    if url.netloc:
        raise ValidationError(
            "url",
            url.raw,
            "put the path after three slashes: sqlite:///crm.db or sqlite:////abs.db",
        )
    path = url.path[1:] if url.path.startswith("/") else url.path
    if not path or path == ":memory:":
        raise ValidationError(
            "url",
            url.raw,
            "give a database file (sqlite:///crm.db); for a throw-away store use memory://",
        )
    try:
        timeout = float(url.option("timeout", "30") or "30")
    except ValueError:
        raise ValidationError(
            "timeout", url.option("timeout"), "seconds, e.g. ?timeout=5"
        ) from None
    return SQLiteBackend(
        path, schema, timeout=timeout, synchronous=url.option("synchronous", "full") or "full"
    )
