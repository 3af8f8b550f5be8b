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
options ``timeout`` (busy timeout in seconds, default 30), ``synchronous``
(``full``, the default, or ``normal``) and ``create_dirs`` (``true`` to create
a missing folder; by default a missing folder is refused, so a typo in the
path never becomes a new, empty store).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from relationship_core._storage.contract import Capability
from relationship_core._storage.dialect import Conn, Guarded, SQLDialect
from relationship_core._storage.schema import Schema, encode_value
from relationship_core._storage.sqlstore import LAYOUT_VERSION, SQL_CAPABILITIES, SQLStore
from relationship_core._storage.url import StorageURL
from relationship_core.exceptions import (
    BackendRefusedError,
    BackendUnavailableError,
    ConflictError,
    StorageError,
    ValidationError,
)

__all__ = ["DIALECT", "LAYOUT_VERSION", "SQLiteBackend", "open_sqlite", "translate"]


# Primary result codes (the low byte of ``sqlite_errorcode``), by what they mean to a caller.
_UNAVAILABLE = {
    5: "another process holds the database too long (raise ?timeout=SECONDS)",  # BUSY
    6: "another connection holds a table lock (raise ?timeout=SECONDS)",  # LOCKED
    7: "out of memory",  # NOMEM
    10: "the disk failed to read or write; check the file system",  # IOERR
    13: "the disk is full; free space and try again",  # FULL
    14: "the file is not reachable; check the path and its permissions",  # CANTOPEN
    15: "the lock protocol failed; try again (raise ?timeout=SECONDS)",  # PROTOCOL
}
_REFUSED = {18, 19, 20, 25}  # TOOBIG, CONSTRAINT, MISMATCH, RANGE
_UNIQUE = {1555, 2067}  # CONSTRAINT_PRIMARYKEY, CONSTRAINT_UNIQUE
_DAMAGED = {11, 26}  # CORRUPT, NOTADB


def translate(exc: BaseException) -> StorageError | None:
    """sqlite3's exceptions as the StorageError family, by SQLite's result code.

    A busy, locked or unreachable file is `BackendUnavailableError` (worth a
    retry); a value SQLite refuses is `BackendRefusedError` (never worth one).
    """
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    name = getattr(exc, "sqlite_errorname", None) or "no result code"
    what = f"SQLite: {exc} ({name})"
    if code is None:
        return StorageError(what)
    if code in _UNIQUE:
        return ConflictError("transaction", "-", None, None, detail=f"refused by SQLite ({exc})")
    primary = code & 0xFF
    if primary in _UNAVAILABLE:
        return BackendUnavailableError(f"{what}; {_UNAVAILABLE[primary]}")
    if primary in _REFUSED:
        return BackendRefusedError(f"{what}; the value cannot be stored as it is")
    if primary in _DAMAGED:
        return StorageError(f"{what}; the file is damaged or not a database: restore a backup")
    if primary == 8:  # READONLY
        return StorageError(f"{what}; make the file and its folder writable")
    return StorageError(what)


def _reserve_events(conn: Conn, count: int) -> int:
    # Under the write lock: AUTOINCREMENT's high-water mark is ours until commit.
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rc_events'").fetchone()
    return (int(row[0]) if row else 0) + 1


def _columns(conn: Conn, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}


#: SQLite: ``?`` parameters, instants as sortable ISO text, the write lock for claims.
DIALECT = SQLDialect(
    name="SQLite",
    ph="?",
    types={
        "str": "TEXT",
        "int": "INTEGER",
        "float": "REAL",
        "bool": "INTEGER",
        "datetime": "TEXT",
        "date": "TEXT",
        "decimal": "INTEGER",  # whole millionths: SQLite's integer SUM is exact
        "str[]": "TEXT",  # a JSON list; queried through rc_multi
    },
    json_type="TEXT",
    time_type="TEXT",
    seq_type="INTEGER PRIMARY KEY AUTOINCREMENT",
    insert=("INSERT OR IGNORE INTO", ""),
    claim_lock="",
    row_lock="",
    chunk=500,
    encode=encode_value,
    decoded=frozenset({"datetime", "date", "bool", "decimal", "str[]"}),
    translate=translate,
    reserve_events=_reserve_events,
    columns=_columns,
)


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


class SQLiteBackend(SQLStore):
    """Records, events and jobs in one SQLite file.

    Args:
        path: Database file (created if missing; its folder must exist).
        schema: The kinds to store.
        timeout: Busy timeout in seconds: how long a writer waits for another.
        synchronous: ``"full"`` (durable through power loss) or ``"normal"``.
        create_dirs: Create missing parent folders; off, so a mistyped path is
            refused instead of silently becoming a new, empty store.
    """

    capabilities: frozenset[Capability] = SQL_CAPABILITIES
    dialect = DIALECT

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: Schema,
        *,
        timeout: float = 30.0,
        synchronous: str = "full",
        create_dirs: bool = False,
    ) -> None:
        if synchronous.lower() not in ("full", "normal"):
            raise ValidationError("synchronous", synchronous, "'full' or 'normal'")
        self.path = Path(path)
        self.where = str(self.path)
        self.timeout = timeout
        self.synchronous = synchronous.upper()
        self._local = threading.local()
        self._all: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._all_lock = threading.Lock()
        super().__init__(schema)
        folder = self.path.parent
        if create_dirs:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise ValidationError(
                "path",
                str(self.path),
                f"the folder {str(folder)!r} does not exist; check the path, create the "
                "folder, or add ?create_dirs=true to the URL to have it created",
            )
        with Guarded(None, translate):
            self._setup()

    # -- connections -------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise self._closed_error()
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

    def _setup(self) -> None:
        conn = self._conn()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise BackendUnavailableError(f"SQLite: could not switch {self.path} to WAL ({mode})")
        with self._writer() as conn:
            self._migrate(conn)

    def _reader(self) -> Guarded:
        return Guarded(self._conn(), translate)

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        with Guarded(conn, translate):
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    @contextmanager
    def _writer(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE``: writers queue on SQLite's lock instead of failing half-way."""
        conn = self._conn()
        if conn.in_transaction:
            raise StorageError("nested transactions are not supported; use the outer one")
        with Guarded(conn, translate):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _batch(self, conn: Conn, statement: str, params: list[tuple[Any, ...]]) -> bool:
        """Run *statement* for every row in a savepoint; False (and undone) if a row was stale."""
        conn.execute("SAVEPOINT rc_batch")
        ok = conn.executemany(statement, params).rowcount == len(params)
        conn.execute("RELEASE rc_batch" if ok else "ROLLBACK TO rc_batch")
        if not ok:
            conn.execute("RELEASE rc_batch")
        return bool(ok)


def open_sqlite(url: StorageURL, schema: Schema) -> SQLiteBackend:
    """Factory for ``sqlite:///relative.db`` and ``sqlite:////absolute.db`` URLs."""
    if url.netloc:
        raise ValidationError(
            "url",
            url.redacted,
            "put the path after three slashes: sqlite:///crm.db or sqlite:////abs.db",
        )
    path = url.path[1:] if url.path.startswith("/") else url.path
    if not path or path == ":memory:":
        raise ValidationError(
            "url",
            url.redacted,
            "give a database file (sqlite:///crm.db); for a throw-away store use memory://",
        )
    try:
        timeout = float(url.option("timeout", "30") or "30")
    except ValueError:
        raise ValidationError(
            "timeout", url.option("timeout"), "seconds, e.g. ?timeout=5"
        ) from None
    create = (url.option("create_dirs", "false") or "false").lower()
    if create not in _BOOLEANS:
        raise ValidationError("create_dirs", url.option("create_dirs"), "true or false")
    return SQLiteBackend(
        path,
        schema,
        timeout=timeout,
        synchronous=url.option("synchronous", "full") or "full",
        create_dirs=_BOOLEANS[create],
    )


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
