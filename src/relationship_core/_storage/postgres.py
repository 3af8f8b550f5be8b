"""The PostgreSQL backend (psycopg 3 + psycopg_pool; extra ``postgres``).

* One table per kind: ``id`` and the indexed fields are real, typed columns
  (text with the byte-order ``"C"`` collation, bigint, double precision,
  boolean, timestamptz, date), each with a B-tree index ``(field, id)``; the
  document is a ``json`` column. ``json`` rather than ``jsonb`` on purpose:
  it keeps the document exactly as written (jsonb would turn ``1e300`` into
  an integer and reorder keys), and nothing queries inside documents.
* Optimistic concurrency in SQL: ``UPDATE ... WHERE id = %s AND version = %s``
  under READ COMMITTED re-checks the version after waiting for a concurrent
  writer, so a stale write changes no row and raises ``ConflictError``.
* Event sequence numbers come from a counter row locked until commit, so
  numbers are gap-free and committed in order: a reader following the log
  from position N can never miss an event committed later with a lower number.
* Job claims use ``FOR UPDATE SKIP LOCKED``: many workers on many machines
  share one queue without claiming a job twice.
* ``?schema=NAME`` puts every table in that schema (created if missing), so
  test runs and tenants never disturb one another.

URL: ``postgresql://user:pass@host:5432/db?schema=crm&pool_size=10&timeout=30``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlunsplit

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

try:
    import psycopg
    import psycopg_pool
    from psycopg import sql as pgsql
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise BackendUnavailableError(
        "the PostgreSQL backend needs psycopg 3 and psycopg-pool: "
        "pip install 'relationship-core[postgres]'"
    ) from exc

__all__ = ["LAYOUT_VERSION", "PostgresBackend", "open_postgres"]

LAYOUT_VERSION = 1
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SQL_TYPES: dict[FieldType, str] = {
    "str": 'TEXT COLLATE "C"',
    "int": "BIGINT",
    "float": "DOUBLE PRECISION",
    "bool": "BOOLEAN",
    "datetime": "TIMESTAMPTZ",
    "date": "DATE",
}
_JOB_COLUMNS = (
    "id, queue, payload, due_at, state, attempts, max_attempts, idempotency_key, "
    "lease_owner, lease_expires_at, last_error"
)
_JOB_NAMES = [c.strip() for c in _JOB_COLUMNS.split(",")]

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS rc_kinds (kind TEXT PRIMARY KEY, fields TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rc_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        "INSERT INTO rc_counters (name, value) VALUES ('events', 0) ON CONFLICT DO NOTHING",
        """CREATE TABLE IF NOT EXISTS rc_events (
            seq BIGINT PRIMARY KEY, type TEXT NOT NULL, aggregate_kind TEXT NOT NULL,
            aggregate_id TEXT NOT NULL, occurred_at TIMESTAMPTZ NOT NULL, data JSON NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS rc_jobs (
            id TEXT PRIMARY KEY, queue TEXT NOT NULL, payload JSON NOT NULL,
            due_at TIMESTAMPTZ NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL, idempotency_key TEXT UNIQUE,
            lease_owner TEXT, lease_expires_at TIMESTAMPTZ, last_error TEXT)""",
        "CREATE INDEX IF NOT EXISTS rc_jobs_due ON rc_jobs (state, due_at, id)",
        "CREATE INDEX IF NOT EXISTS rc_jobs_lease ON rc_jobs (state, lease_expires_at)",
    ),
}


def _enc(ftype: FieldType, value: IndexValue) -> Any:
    return value


@contextmanager
def _translated() -> Iterator[None]:
    """Turn psycopg's exceptions into the StorageError family."""
    try:
        yield
    except psycopg.errors.TransactionRollback as exc:  # deadlock, serialization failure
        raise ConflictError(
            "transaction", "-", None, None, detail=f"rolled back by PostgreSQL ({exc})"
        ) from exc
    except psycopg_pool.PoolTimeout as exc:  # before OperationalError: it is one
        raise BackendUnavailableError(
            f"PostgreSQL: no connection available ({exc}); raise ?pool_size or ?timeout"
        ) from exc
    except psycopg.OperationalError as exc:
        raise BackendUnavailableError(f"PostgreSQL: {str(exc).strip()}") from exc
    except psycopg.Error as exc:
        raise StorageError(f"PostgreSQL: {exc}") from exc


class PostgresBackend:
    """Records, events and jobs in PostgreSQL.

    Args:
        conninfo: libpq connection string or URL (without our options).
        schema: The kinds to store.
        pg_schema: The PostgreSQL schema holding the tables (created if missing).
        pool_size: Largest number of pooled connections.
        timeout: Seconds to wait for a connection.
    """

    capabilities: frozenset[Capability] = frozenset({"persistent", "threads", "multiprocess"})

    def __init__(
        self,
        conninfo: str,
        schema: Schema,
        *,
        pg_schema: str = "public",
        pool_size: int = 10,
        timeout: float = 30.0,
    ) -> None:
        if not _SCHEMA_NAME.fullmatch(pg_schema):
            raise ValidationError("schema", pg_schema, "a lower-case identifier such as 'crm'")
        self.schema = schema
        self.pg_schema = pg_schema
        self.schema_changes: list[str] = []
        self._selects: dict[str, str] = {}
        self._names: dict[str, list[str]] = {}
        self._closed = False
        search_path = pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(pg_schema))

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(search_path)
            conn.execute("SET TIME ZONE 'UTC'")

        with _translated():
            # One direct attempt first: a server that is down or a wrong URL fails
            # at once with libpq's own reason, instead of after the pool's timeout.
            psycopg.connect(conninfo, connect_timeout=max(1, int(timeout)), autocommit=True).close()
            self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = (
                psycopg_pool.ConnectionPool(
                    conninfo,
                    min_size=1,
                    max_size=max(1, pool_size),
                    timeout=timeout,
                    kwargs={"autocommit": True},
                    configure=configure,
                    open=False,
                    name=f"relationship_core:{pg_schema}",
                )
            )
            try:
                self._pool.open(wait=True, timeout=timeout)
                self._setup()
            except BaseException:
                self._pool.close()  # no background reconnection attempts left behind
                raise

    # -- schema --------------------------------------------------------------------

    def _setup(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"relationship_core:{self.pg_schema}",),
            )
            conn.execute(
                pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(self.pg_schema))
            )
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
                    f"schema {self.pg_schema!r} has storage layout {current}, newer than this "
                    f"library's {LAYOUT_VERSION}; upgrade relationship_core"
                )
            for version in range(current + 1, LAYOUT_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    conn.execute(statement)
                self.schema_changes.append(f"storage layout migrated to version {version}")
            conn.execute(
                "INSERT INTO rc_schema_version (component, version) VALUES ('layout', %s) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (LAYOUT_VERSION,),
            )
            for spec in self.schema.kinds:
                self._ensure_kind(conn, spec)

    def _ensure_kind(self, conn: psycopg.Connection[Any], spec: KindSpec) -> None:
        declared = {f.name: f.type for f in spec.fields}
        row = conn.execute("SELECT fields FROM rc_kinds WHERE kind = %s", (spec.name,)).fetchone()
        tbl = table(spec.name)
        if row is None:
            cols = "".join(f", {column(f.name)} {_SQL_TYPES[f.type]}" for f in spec.fields)
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS {tbl} (id TEXT COLLATE "C" PRIMARY KEY, '
                f"version INTEGER NOT NULL, schema_version INTEGER NOT NULL, data JSON NOT NULL{cols})"
            )
            stored: dict[str, str] = {}
            self.schema_changes.append(f"created kind {spec.name!r}")
        else:
            stored = json.loads(row[0])
        for name, ftype in declared.items():
            if name in stored and stored[name] != ftype:
                raise SchemaError(
                    f"{spec.name}.{name} is stored as {stored[name]} but declared as {ftype}; "
                    "declare a new field instead of changing a field's type"
                )
            if name not in stored and row is not None:
                self.schema_changes.append(
                    f"added indexed field {spec.name}.{name} (run migrate to fill it)"
                )
            conn.execute(
                f"ALTER TABLE {tbl} ADD COLUMN IF NOT EXISTS {column(name)} {_SQL_TYPES[ftype]}"
            )
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {index_name(spec.name, name)} "
                f"ON {tbl} ({column(name)}, id)"
            )
        merged = {**stored, **declared}
        if merged != stored:
            conn.execute(
                "INSERT INTO rc_kinds (kind, fields) VALUES (%s, %s) "
                "ON CONFLICT (kind) DO UPDATE SET fields = excluded.fields",
                (spec.name, json.dumps(merged, sort_keys=True)),
            )

    def close(self) -> None:
        """Close the connection pool."""
        self._closed = True
        self._pool.close()

    # -- reads ---------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self._closed:
            raise StorageError(f"the PostgreSQL store ({self.pg_schema}) is closed; open it again")
        with _translated(), self._pool.connection() as conn:
            yield conn

    def _row_to_record(self, spec: KindSpec, row: Sequence[Any]) -> Record:
        # psycopg already returns the field types (timestamptz in the session's UTC).
        names = self._names.get(spec.name)
        if names is None:
            names = self._names[spec.name] = [f.name for f in spec.fields]
        return Record(
            spec.name, row[0], row[1], row[2], row[3], dict(zip(names, row[4:], strict=True))
        )

    def _get_many(
        self, conn: psycopg.Connection[Any], kind: str, ids: Sequence[str]
    ) -> dict[str, Record]:
        spec, checked = self.schema.check_ids(kind, ids)
        if not checked:
            return {}
        select = self._selects.get(kind)
        if select is None:
            select = f"SELECT {record_columns(spec)} FROM {table(kind)} WHERE id"
            self._selects[kind] = select
        with _translated():
            if len(checked) == 1:
                row = conn.execute(f"{select} = %s", checked).fetchone()
                return {} if row is None else {row[0]: self._row_to_record(spec, row)}
            rows = conn.execute(f"{select} = ANY(%s)", (checked,)).fetchall()
        found = {row[0]: self._row_to_record(spec, row) for row in rows}
        return {i: found[i] for i in checked if i in found}

    def _query(self, conn: psycopg.Connection[Any], query: Query) -> Page:
        checked = self.schema.check_query(query)
        sql, params = select_page(checked, "%s", _enc)
        with _translated():
            rows = conn.execute(sql, params).fetchall()
        records = [self._row_to_record(checked.spec, r) for r in rows[: query.limit]]
        more = len(rows) > query.limit
        return Page(tuple(records), checked.next_cursor(records[-1]) if more else None)

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records of *kind* with these ids that exist."""
        with self._connection() as conn:
            return self._get_many(conn, kind, ids)

    def query(self, query: Query) -> Page:
        """One page of records matching *query*."""
        with self._connection() as conn:
            return self._query(conn, query)

    def read_events(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Events with ``seq > after``, oldest first."""
        check_position(after, limit)
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT seq, type, aggregate_id, occurred_at, data, aggregate_kind "
                "FROM rc_events WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            ).fetchall()
        return [
            StoredEvent(r[0], r[1], r[2], decode_value("datetime", r[3]), r[4], r[5])  # type: ignore[arg-type]
            for r in rows
        ]

    def get_job(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        with self._connection() as conn:
            return _get_job(conn, job_id)

    # -- writes --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[_PostgresTransaction]:
        """Begin a READ COMMITTED transaction on a pooled connection."""
        with self._connection() as conn, conn.transaction():
            tx = _PostgresTransaction(self, conn)
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
        """Lease up to *limit* due jobs to *worker* (``FOR UPDATE SKIP LOCKED``)."""
        now = check_claim(worker, now, lease, limit)
        until = now + lease
        queue_sql = "" if queues is None else " AND queue = ANY(%s)"
        qparams: list[Any] = [] if queues is None else [list(queues)]
        claimed: list[Job] = []
        with self._connection() as conn, conn.transaction():
            while len(claimed) < limit:
                rows = conn.execute(
                    f"SELECT {_JOB_COLUMNS} FROM rc_jobs WHERE "
                    "((state = 'pending' AND due_at <= %s) OR "
                    "(state = 'claimed' AND lease_expires_at <= %s))"
                    f"{queue_sql} ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
                    [now, now, *qparams, limit - len(claimed)],
                ).fetchall()
                if not rows:
                    break
                for row in rows:
                    job = job_from_row(dict(zip(_JOB_NAMES, row, strict=True)))
                    if job.state == "claimed" and job.attempts >= job.max_attempts:
                        conn.execute(
                            "UPDATE rc_jobs SET state = 'dead', lease_owner = NULL, "
                            "lease_expires_at = NULL, last_error = %s WHERE id = %s",
                            ("lease expired on the final attempt", job.id),
                        )
                        continue
                    conn.execute(
                        "UPDATE rc_jobs SET state = 'claimed', attempts = attempts + 1, "
                        "lease_owner = %s, lease_expires_at = %s WHERE id = %s",
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
                            until,
                            job.last_error,
                        )
                    )
        return claimed

    def complete_job(self, job: Job) -> None:
        """Mark a claimed job done."""
        with self._connection() as conn, conn.transaction():
            _held(conn, job)
            conn.execute(
                "UPDATE rc_jobs SET state = 'done', lease_owner = NULL, "
                "lease_expires_at = NULL WHERE id = %s",
                (job.id,),
            )

    def retry_job(self, job: Job, *, due_at: datetime, error: str) -> Job:
        """Give a claimed job back for a later attempt, or dead-letter it."""
        due = self.schema.check_job(NewJob("retry", {}, due_at)).due_at
        with self._connection() as conn, conn.transaction():
            current = _held(conn, job)
            dead = current.attempts >= current.max_attempts
            conn.execute(
                "UPDATE rc_jobs SET state = %s, due_at = %s, lease_owner = NULL, "
                "lease_expires_at = NULL, last_error = %s WHERE id = %s",
                (
                    "dead" if dead else "pending",
                    current.due_at if dead else due,
                    str(error),
                    job.id,
                ),
            )
            result = _get_job(conn, job.id)
        assert result is not None  # noqa: S101 - the row is locked by us
        return result


def _get_job(conn: psycopg.Connection[Any], job_id: str, *, lock: bool = False) -> Job | None:
    row = conn.execute(
        f"SELECT {_JOB_COLUMNS} FROM rc_jobs WHERE id = %s{' FOR UPDATE' if lock else ''}",
        (job_id,),
    ).fetchone()
    return None if row is None else job_from_row(dict(zip(_JOB_NAMES, row, strict=True)))


def _held(conn: psycopg.Connection[Any], job: Job) -> Job:
    current = _get_job(conn, job.id, lock=True)
    if (
        current is None
        or current.state != "claimed"
        or current.lease_owner != job.lease_owner
        or current.attempts != job.attempts
    ):
        raise lease_conflict(job, current)
    return current


class _PostgresTransaction:
    def __init__(self, store: PostgresBackend, conn: psycopg.Connection[Any]) -> None:
        self.store = store
        self.conn = conn
        self.closed = False

    def _live(self) -> psycopg.Connection[Any]:
        if self.closed:
            raise StorageError("transaction already ended")
        return self.conn

    def get_many(self, kind: str, ids: Sequence[str]) -> dict[str, Record]:
        return self.store._get_many(self._live(), kind, ids)

    def query(self, query: Query) -> Page:
        return self.store._query(self._live(), query)

    def put_many(self, writes: Sequence[Write]) -> list[Record]:
        conn = self._live()
        schema = self.store.schema
        checked = [schema.check_write(w) for w in writes]
        texts = [dump_json(f"writes[{n}].data", w.data) for n, w in enumerate(checked)]
        for start, end, insert in write_runs(checked):
            self._run(conn, checked[start:end], texts[start:end], insert=insert)
        return stored_records(checked)

    def _run(
        self,
        conn: psycopg.Connection[Any],
        writes: Sequence[CheckedWrite],
        texts: Sequence[str],
        *,
        insert: bool,
    ) -> None:
        spec = self.store.schema.kind(writes[0].kind)
        fields = spec.fields
        if insert:
            sql = (
                f"INSERT INTO {table(spec.name)} ({record_columns(spec)}) VALUES "
                f"(%s, 1, %s, %s{', %s' * len(fields)}) ON CONFLICT (id) DO NOTHING"
            )
            params = [
                (w.id, w.schema_version, t, *[w.indexed[f.name] for f in fields])
                for w, t in zip(writes, texts, strict=True)
            ]
        else:
            sets = "".join(f", {column(f.name)} = %s" for f in fields)
            sql = (
                f"UPDATE {table(spec.name)} SET version = version + 1, schema_version = %s, "
                f"data = %s{sets} WHERE id = %s AND version = %s"
            )
            params = [
                (
                    w.schema_version,
                    t,
                    *[w.indexed[f.name] for f in fields],
                    w.id,
                    w.expected_version,
                )
                for w, t in zip(writes, texts, strict=True)
            ]
        with _translated():
            if len(params) == 1:
                cur = conn.execute(sql, params[0])
                if cur.rowcount == 1:
                    return
            elif _batch(conn, sql, params):
                return
            # A write was stale (the savepoint undid the batch): replay row by row to name it.
            for write, row in zip(writes, params, strict=True):
                if conn.execute(sql, row).rowcount != 1:
                    actual = _version(conn, write.kind, write.id)
                    raise ConflictError(write.kind, write.id, write.expected_version, actual)
        raise StorageError(
            "PostgreSQL: a batch reported fewer rows than it wrote"
        )  # pragma: no cover

    def delete(self, delete: Delete) -> None:
        conn = self._live()
        delete = self.store.schema.check_delete(delete)
        with _translated():
            cur = conn.execute(
                f"DELETE FROM {table(delete.kind)} WHERE id = %s AND version = %s",
                (delete.id, delete.expected_version),
            )
            if cur.rowcount != 1:
                actual = _version(conn, delete.kind, delete.id)
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
        texts = [dump_json(f"events[{n}].data", e.data) for n, e in enumerate(checked)]
        with _translated():
            # The counter row stays locked until commit: numbers are handed out in commit order.
            row = conn.execute(
                "UPDATE rc_counters SET value = value + %s WHERE name = 'events' RETURNING value",
                (len(checked),),
            ).fetchone()
            assert row is not None  # noqa: S101 - created with the schema
            last = int(row[0])
            first = last - len(checked) + 1
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO rc_events (seq, type, aggregate_kind, aggregate_id, occurred_at, "
                    "data) VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (first + n, e.type, e.aggregate_kind, e.aggregate_id, e.occurred_at, t)
                        for n, (e, t) in enumerate(zip(checked, texts, strict=True))
                    ],
                )
        return list(range(first, last + 1))

    def enqueue(self, jobs: Sequence[NewJob]) -> list[str]:
        conn = self._live()
        schema = self.store.schema
        checked = [schema.check_job(j) for j in jobs]
        ids = []
        with _translated():
            for n, job in enumerate(checked):
                payload = dump_json(f"jobs[{n}].payload", job.payload)
                row = conn.execute(
                    "INSERT INTO rc_jobs (id, queue, payload, due_at, state, attempts, "
                    "max_attempts, idempotency_key) VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING id",
                    (job.id, job.queue, payload, job.due_at, job.max_attempts, job.idempotency_key),
                ).fetchone()
                if row is not None:
                    ids.append(job.id)
                    continue
                existing = None
                if job.idempotency_key is not None:
                    existing = conn.execute(
                        "SELECT id FROM rc_jobs WHERE idempotency_key = %s", (job.idempotency_key,)
                    ).fetchone()
                if existing is None:
                    raise ValidationError(f"jobs[{n}].id", job.id, "a job with this id exists")
                ids.append(existing[0])
        return ids


class _StaleBatchError(Exception):
    """Internal: a batch changed fewer rows than it had writes."""


def _batch(conn: psycopg.Connection[Any], sql: str, params: list[tuple[Any, ...]]) -> bool:
    """Run *sql* for every row inside a savepoint; False (and undone) if a row was stale."""

    def check(rowcount: int) -> None:
        if rowcount != len(params):
            raise _StaleBatchError

    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(sql, params)
            check(cur.rowcount)
    except _StaleBatchError:
        return False
    return True


def _version(conn: psycopg.Connection[Any], kind: str, rid: str) -> int | None:
    row = conn.execute(f"SELECT version FROM {table(kind)} WHERE id = %s", (rid,)).fetchone()
    return None if row is None else int(row[0])


def open_postgres(url: StorageURL, schema: Schema) -> PostgresBackend:
    """Factory for ``postgresql://`` (and ``postgres://``) URLs."""
    options = dict(url.options)
    pg_schema = options.pop("schema", "public")
    try:
        pool_size = int(options.pop("pool_size", "10"))
        timeout = float(options.pop("timeout", "30"))
    except ValueError:
        raise ValidationError("url", url.raw, "pool_size must be an int, timeout seconds") from None
    conninfo = urlunsplit(("postgresql", url.netloc, url.path, urlencode(options), ""))
    return PostgresBackend(
        conninfo, schema, pg_schema=pg_schema, pool_size=pool_size, timeout=timeout
    )
