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

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode, urlunsplit

from relationship_core._storage.contract import Capability
from relationship_core._storage.dialect import Conn, Guarded, SQLDialect
from relationship_core._storage.schema import Schema
from relationship_core._storage.sqlstore import LAYOUT_VERSION, SQL_CAPABILITIES, SQLStore
from relationship_core._storage.url import StorageURL
from relationship_core.exceptions import (
    BackendRefusedError,
    BackendUnavailableError,
    ConflictError,
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

__all__ = ["DIALECT", "LAYOUT_VERSION", "PostgresBackend", "open_postgres", "translate"]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


# SQLSTATE classes (the first two characters), by what they mean to a caller.
_UNAVAILABLE = {
    "08": "the connection failed",
    "53": "the server is short of resources (connections, memory or disk)",
    "57": "the server cancelled the statement or is shutting down",
    "58": "the server's system failed (an I/O error)",
}
_REFUSED = {"22": "a value is out of range or malformed", "54": "a value exceeds a server limit"}


def translate(exc: BaseException) -> StorageError | None:
    """psycopg's exceptions as the StorageError family, by SQLSTATE class.

    08/53/57/58 (connection, resources, shutdown, system) are
    `BackendUnavailableError`; 40 (serialization failure, deadlock) and
    unique violations are `ConflictError`; 22/23/54 (data, integrity,
    limits) are `BackendRefusedError`, never "unavailable".
    """
    if isinstance(exc, psycopg_pool.PoolTimeout):  # before OperationalError: it is one
        return BackendUnavailableError(
            f"PostgreSQL: no connection available ({exc}); raise ?pool_size or ?timeout"
        )
    if not isinstance(exc, psycopg.Error):
        return None
    state = exc.sqlstate or ""
    text = f"PostgreSQL: {str(exc).strip()}" + (f" (SQLSTATE {state})" if state else "")
    kind = state[:2]
    if kind == "40" or state == "23505":
        return ConflictError("transaction", "-", None, None, detail=f"rolled back ({text})")
    if kind in _UNAVAILABLE:
        return BackendUnavailableError(f"{text}; {_UNAVAILABLE[kind]}, try again later")
    if kind in _REFUSED or kind == "23" or isinstance(exc, psycopg.DataError):
        reason = _REFUSED.get(kind, "a constraint refused the data")
        return BackendRefusedError(f"{text}; {reason}: nothing was written")
    if not state and isinstance(exc, psycopg.OperationalError):  # no server answer at all
        return BackendUnavailableError(text)
    return StorageError(text)


def _reserve_events(conn: Conn, count: int) -> int:
    # The counter row stays locked until commit: numbers are handed out in commit order.
    row = conn.execute(
        "UPDATE rc_counters SET value = value + %s WHERE name = 'events' RETURNING value",
        (count,),
    ).fetchone()
    return int(row[0]) - count + 1


def _columns(conn: Conn, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    )
    return {str(r[0]) for r in rows}


def _server_clock(conn: Conn) -> datetime:
    # The server's clock, not this machine's: workers with skewed clocks still agree.
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    return cast(datetime, row[0]).astimezone(UTC)


#: PostgreSQL: ``%s`` parameters, typed columns, ``FOR UPDATE SKIP LOCKED`` claims.
DIALECT = SQLDialect(
    name="PostgreSQL",
    ph="%s",
    types={
        "str": 'TEXT COLLATE "C"',
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "datetime": "TIMESTAMPTZ",
        "date": "DATE",
        "decimal": "NUMERIC(18, 6)",
        "str[]": "TEXT[]",  # queried through rc_multi
    },
    json_type="JSON",
    time_type="TIMESTAMPTZ",
    seq_type="BIGINT PRIMARY KEY",
    insert=("INSERT INTO", " ON CONFLICT DO NOTHING"),
    claim_lock=" FOR UPDATE SKIP LOCKED",
    row_lock=" FOR UPDATE",
    chunk=10_000,
    encode=None,
    decoded=frozenset(),
    translate=translate,
    reserve_events=_reserve_events,
    columns=_columns,
    extra_layout=(
        "CREATE TABLE IF NOT EXISTS rc_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
        "INSERT INTO rc_counters (name, value) VALUES ('events', 0) ON CONFLICT DO NOTHING",
    ),
    clock=_server_clock,
)


# Pools inherited across os.fork(): a child must neither use nor close them (their
# sockets are the parent's), so it keeps them here, unused, for its whole life.
_INHERITED: list[object] = []
_fork_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _fork_lock  # noqa: PLW0603 - a lock held by a thread that did not survive the fork
    _fork_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _StaleBatchError(Exception):
    """Internal: a batch changed fewer rows than it had writes."""


class PostgresBackend(SQLStore):
    """Records, events and jobs in PostgreSQL.

    Args:
        conninfo: libpq connection string or URL (without our options).
        schema: The kinds to store.
        pg_schema: The PostgreSQL schema holding the tables (created if missing).
        pool_size: Largest number of pooled connections.
        timeout: Seconds to wait for a connection.
    """

    capabilities: frozenset[Capability] = SQL_CAPABILITIES
    dialect = DIALECT

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
        self.pg_schema = pg_schema
        self.where = f"schema {pg_schema!r}"
        super().__init__(schema)
        self.timeout = timeout
        self._conninfo = conninfo
        self._pool_size = pool_size
        with Guarded(None, translate):
            # One direct attempt first: a server that is down or a wrong URL fails
            # at once with libpq's own reason, instead of after the pool's timeout.
            psycopg.connect(conninfo, connect_timeout=max(1, int(timeout)), autocommit=True).close()
            self._pool = self._open_pool()
            try:
                self._setup()
            except BaseException:
                self._pool.close()  # no background reconnection attempts left behind
                raise

    def _open_pool(self) -> psycopg_pool.ConnectionPool[psycopg.Connection[Any]]:
        search_path = pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(self.pg_schema))

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(search_path)
            conn.execute("SET TIME ZONE 'UTC'")

        pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = psycopg_pool.ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=max(1, self._pool_size),
            timeout=self.timeout,
            kwargs={"autocommit": True},
            configure=configure,
            open=False,
            name=f"relationship_core:{self.pg_schema}",
        )
        self._pid = os.getpid()
        try:
            pool.open(wait=True, timeout=self.timeout)
        except BaseException:
            pool.close()
            raise
        return pool

    def _pool_here(self) -> psycopg_pool.ConnectionPool[psycopg.Connection[Any]]:
        """This process's pool: after os.fork() the child opens its own, once."""
        if self._pid != os.getpid():
            with _fork_lock:
                if self._pid != os.getpid():
                    _INHERITED.append(self._pool)  # the parent's sockets: never touched here
                    self._pool = self._open_pool()
        return self._pool

    def _setup(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"relationship_core:{self.pg_schema}",),
            )
            conn.execute(
                pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(self.pg_schema))
            )
            self._migrate(conn)

    def close(self) -> None:
        """Close this process's connection pool (a forked child leaves the parent's alone)."""
        self._closed = True
        if self._pid == os.getpid():
            self._pool.close()

    # -- connections -----------------------------------------------------------------

    @contextmanager
    def _reader(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled autocommit connection: each read statement sees committed data."""
        if self._closed:
            raise self._closed_error()
        with Guarded(None, translate), self._pool_here().connection() as conn:
            yield conn

    @contextmanager
    def _writer(self) -> Iterator[psycopg.Connection[Any]]:
        """A READ COMMITTED transaction on a pooled connection."""
        with self._reader() as conn, conn.transaction():
            yield conn

    def _batch(self, conn: Conn, statement: str, params: list[tuple[Any, ...]]) -> bool:
        """Run *statement* for every row in a savepoint; False (and undone) if a row was stale."""
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(statement, params)
                if cur.rowcount != len(params):
                    raise _StaleBatchError  # noqa: TRY301 - leaves the savepoint, undoing the batch
        except _StaleBatchError:
            return False
        return True


def open_postgres(url: StorageURL, schema: Schema) -> PostgresBackend:
    """Factory for ``postgresql://`` (and ``postgres://``) URLs."""
    options = dict(url.options)
    pg_schema = options.pop("schema", "public")
    pool_size = _number(options, "pool_size", "10", int, "a whole number, e.g. ?pool_size=10")
    timeout = _number(options, "timeout", "30", float, "seconds, e.g. ?timeout=30")
    conninfo = urlunsplit(("postgresql", url.netloc, url.path, urlencode(options), ""))
    error: StorageError | None = None
    try:
        return PostgresBackend(
            conninfo, schema, pg_schema=pg_schema, pool_size=pool_size, timeout=timeout
        )
    except StorageError as exc:
        error = _without_secrets(exc, url.secrets)
    raise error  # outside the except block: no __context__ carrying the driver's text


def _number(options: dict[str, str], name: str, default: str, kind: type[Any], hint: str) -> Any:
    value = options.pop(name, default)
    try:
        return kind(value)
    except ValueError:
        raise ValidationError(name, value, hint) from None


def _without_secrets(error: StorageError, secrets: tuple[str, ...]) -> StorageError:
    """*error*, or a copy without its driver chain if any message in it shows a password."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    if not any(secret in str(e) for e in chain for secret in secrets):
        return error
    text = str(error)
    for secret in secrets:
        text = text.replace(secret, "***")
    simple = type(error) in (StorageError, BackendUnavailableError, BackendRefusedError)
    clean = type(error)(text) if simple else StorageError(text)
    clean.__suppress_context__ = True
    return clean
