"""Fixtures for every test directory: PostgreSQL schemas dropped when the test ends, the demo store.

PostgreSQL tests run when ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set (CI sets
it) and skip with the reason otherwise. Each test works in schemas named
``rct_<unix seconds>_<random>_<n>_<name>``, dropped at its teardown, pass or fail.
A run that is killed cannot drop its own, and hundreds of leftovers slow every
store's opening, so the first PostgreSQL test of a session sweeps what earlier
runs left: timestamped schemas older than three hours (a run still going next to
us is younger), and the untimed names of older test code when their tables'
files were last written over three hours ago (or, where the server does not
say, when no other client is connected: otherwise they may be a live run's).
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

PG_ENV = "RELATIONSHIP_CORE_TEST_POSTGRES_DSN"
#: Timestamped schemas older than this are a killed run's leftovers.
STALE_AFTER_SECONDS = 3 * 60 * 60
#: A drop waits at most this long for a lock (a store a test left open in a transaction).
_LOCK_TIMEOUT = "5s"
_TIMED = re.compile(r"rct_(\d{10})_")
_MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names, which would merge two schemas


def _with_schema(dsn: str, schema: str) -> str:
    return f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"


def _connect(dsn: str) -> Any:
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f"SET lock_timeout = '{_LOCK_TIMEOUT}'")
    return conn


def _drop(conn: Any, names: Iterable[str]) -> list[str]:
    """Drop *names*; return the ones that could not be dropped (left to a later sweep)."""
    import psycopg

    failed = []
    for name in names:
        try:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        except psycopg.Error:
            failed.append(name)
    return failed


def stale_schemas(
    schemas: Mapping[str, float | None], now: float, *, others_connected: bool
) -> list[str]:
    """The ``rct_*`` schemas no live test run can still be using.

    *schemas* maps each name to the last time a file of its tables was written
    (Unix seconds), or None where the server cannot tell us. A timestamped name
    tells its own age. An untimed one (older test code) is old when its files
    are; when their age is unknown it goes only if nobody else is connected.
    """
    stale = []
    for name, written in schemas.items():
        timed = _TIMED.match(name)
        if timed:
            if now - int(timed.group(1)) > STALE_AFTER_SECONDS:
                stale.append(name)
        elif name.startswith("rct_") and (
            now - written > STALE_AFTER_SECONDS if written is not None else not others_connected
        ):
            stale.append(name)
    return stale


def _last_written(conn: Any) -> dict[str, float | None]:
    """Each ``rct_*`` schema with the newest modification time of its tables' files.

    ``pg_stat_file`` needs a superuser (or pg_read_server_files); without it every
    time is None and the connection rule decides.
    """
    import psycopg

    names = [
        name
        for (name,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rct\\_%'"
        ).fetchall()
    ]
    try:
        rows = conn.execute(
            "SELECT n.nspname, extract(epoch FROM max("
            "(pg_stat_file(pg_relation_filepath(c.oid), true)).modification))::float8"
            " FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid"
            " WHERE n.nspname LIKE 'rct\\_%' AND c.relkind IN ('r', 'i', 't', 'S')"
            " GROUP BY n.nspname"
        ).fetchall()
    except psycopg.Error:
        rows = []
    written: dict[str, float | None] = dict.fromkeys(names)
    written.update((name, when) for name, when in rows if name in written)
    return written


def sweep_stale_schemas(dsn: str) -> list[str]:
    """Drop what killed test runs left behind (see the module docstring); return the names."""
    with _connect(dsn) as conn:
        schemas = _last_written(conn)
        if not schemas:
            return []
        (others,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ).fetchone()
        stale = stale_schemas(schemas, time.time(), others_connected=others > 0)
        failed = _drop(conn, stale)
    return [name for name in stale if name not in failed]


class PgSchemas:
    """This session's schemas: names carrying the session's start time, and their dropping."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.prefix = f"rct_{int(time.time())}_{secrets.token_hex(3)}"
        self._numbers = itertools.count()
        self._conn: Any = None

    def new(self, name: str) -> str:
        """A schema name of this session, unique even for a repeated *name*."""
        schema = f"{self.prefix}_{next(self._numbers)}_{name}"
        if len(schema) > _MAX_IDENTIFIER:
            raise ValueError(f"schema name {schema!r} is longer than {_MAX_IDENTIFIER} characters")
        return schema

    def url(self, schema: str) -> str:
        return _with_schema(self.dsn, schema)

    def _admin(self) -> Any:
        """One connection for the session's drops (a new one per test costs a handshake each).

        Held open, it also tells another session's sweep that this run is alive.
        """
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = _connect(self.dsn)
        return self._conn

    def drop(self, schemas: Iterable[str]) -> None:
        """Drop *schemas* now; any still locked is left to the session's end."""
        schemas = list(schemas)
        if schemas:
            _drop(self._admin(), schemas)

    def drop_rest(self) -> None:
        """At the session's end: every schema of this session still there."""
        conn = self._admin()
        try:
            rows = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                (self.prefix.replace("_", "\\_") + "\\_%",),
            ).fetchall()
            left = _drop(conn, [name for (name,) in rows])
        finally:
            conn.close()
        if left:
            print(f"\ntests/shared_fixtures.py: could not drop {left}", file=sys.stderr)  # noqa: T201


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """The test server's DSN, or skip."""
    dsn = os.environ.get(PG_ENV)
    if not dsn:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    return dsn


@pytest.fixture(scope="session")
def pg_schemas(pg_dsn: str) -> Iterator[PgSchemas]:
    """The session's schema namer; sweeps earlier runs' leftovers first."""
    sweep_stale_schemas(pg_dsn)
    schemas = PgSchemas(pg_dsn)
    yield schemas
    schemas.drop_rest()


@pytest.fixture
def pg_url(pg_schemas: PgSchemas) -> Iterator[Callable[[str], str]]:
    """``pg_url(name)``: a ``postgresql://…?schema=…`` URL; the same *name* in one test, the same schema.

    Every schema it made is dropped when the test ends, whether it passed or failed.
    """
    made: dict[str, str] = {}

    def url(name: str) -> str:
        if name not in made:
            made[name] = pg_schemas.new(name)
        return pg_schemas.url(made[name])

    yield url
    pg_schemas.drop(made.values())


@pytest.fixture
def pg_fresh_url(pg_url: Callable[[str], str]) -> Callable[[], str]:
    """``make()``: the URL of a new, empty schema at each call (dropped when the test ends)."""
    numbers = itertools.count()
    return lambda: pg_url(f"s{next(numbers)}")


@pytest.fixture(scope="session")
def _demo_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's story on SQLite, told once a session (about a second each time)."""
    from relationship_core._demo import run_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    run_demo(lambda _line: None, f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_into(_demo_sqlite_file: Path) -> Callable[[str], None]:
    """``demo_into(url)``: the demo's records and events in the empty store at *url*.

    An SQLite file is a copy of the one the session's demo wrote (the demo's
    clock is fixed, so every run writes the same story); any other store runs it.
    """
    from relationship_core._demo import run_demo

    def fill(url: str) -> None:
        if url.startswith("sqlite:///") and "?" not in url:
            target = Path(url.removeprefix("sqlite:///"))
            if not target.exists():
                for suffix in ("", "-wal", "-shm"):
                    source = _demo_sqlite_file.with_name(_demo_sqlite_file.name + suffix)
                    if source.exists():
                        shutil.copyfile(source, target.with_name(target.name + suffix))
                return
        run_demo(lambda _line: None, url)

    return fill
