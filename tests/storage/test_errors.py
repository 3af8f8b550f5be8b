"""Driver errors become the StorageError family; bad URLs and schemas are refused clearly."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from relationship_core.exceptions import (
    BackendRefusedError,
    BackendUnavailableError,
    ConflictError,
    SchemaError,
    StorageError,
    ValidationError,
)
from relationship_core.plugins import KindSpec, Schema, Write, get_plugin_manager, parse_url

SCHEMA = Schema([KindSpec("thing", {"name": "str"})])


def _open(url: str, schema: Schema = SCHEMA):  # type: ignore[no-untyped-def]
    return get_plugin_manager().open_backend(url, schema)


def test_sqlite_locked_too_long_is_backend_unavailable(sqlite_url: Callable[[str], str]) -> None:
    url = sqlite_url("locked")
    store = _open(url + "?timeout=0.2")
    blocker = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BackendUnavailableError, match="timeout"), store.transaction() as tx:
            tx.put_many([Write("thing", "a", {}, {"name": "x"})])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with store.transaction() as tx:  # usable again once the lock is gone
        tx.put_many([Write("thing", "a", {}, {"name": "x"})])
    store.close()


def test_sqlite_newer_layout_is_a_schema_error(sqlite_url: Callable[[str], str]) -> None:
    url = sqlite_url("newer")
    _open(url).close()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE rc_schema_version SET version = 99 WHERE component = 'layout'")
    conn.close()
    with pytest.raises(SchemaError, match="upgrade relationship_core"):
        _open(url)


def test_changing_a_field_type_is_a_schema_error(sqlite_url: Callable[[str], str]) -> None:
    url = sqlite_url("retyped")
    _open(url).close()
    with pytest.raises(SchemaError, match=r"thing\.name"):
        _open(url, Schema([KindSpec("thing", {"name": "int"})]))


def test_closed_store_refuses_work(sqlite_url: Callable[[str], str]) -> None:
    store = _open(sqlite_url("closed"))
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.get_many("thing", ["a"])


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///:memory:",
        "sqlite://host/crm.db",
        "sqlite:///",
        "memory:///some/path",
        "no-scheme",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        _open(url)


def test_url_parsing() -> None:
    url = parse_url("postgresql://u:p@db:5432/crm?schema=tenant_1&sslmode=require")
    assert (url.scheme, url.netloc, url.path) == ("postgresql", "u:p@db:5432", "/crm")
    assert url.options == {"schema": "tenant_1", "sslmode": "require"}


@pytest.mark.postgres
def test_postgres_unreachable_is_backend_unavailable(pg_dsn: str) -> None:
    # Default timeout: a server that is down is reported at once with libpq's reason,
    # not after the pool has waited out its timeout.
    with pytest.raises(BackendUnavailableError, match="refused"):
        _open("postgresql://postgres@127.0.0.1:1/test")


@pytest.mark.postgres
def test_postgres_schema_name_is_validated(pg_url: Callable[[str], str]) -> None:
    bad = pg_url("x").replace("schema=", "schema=Robert'); DROP TABLE students;--")
    with pytest.raises(ValidationError):
        _open(bad)


@pytest.mark.postgres
def test_postgres_newer_layout_is_a_schema_error(pg_url: Callable[[str], str], pg_dsn: str) -> None:
    import psycopg

    url = pg_url("newer")
    _open(url).close()
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'UPDATE "{schema}".rc_schema_version SET version = 99')
    with pytest.raises(SchemaError):
        _open(url)


# -- errors by SQLSTATE / SQLite result code ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sqlstate", "expected", "not_expected"),
    [
        ("08006", BackendUnavailableError, BackendRefusedError),
        ("53300", BackendUnavailableError, BackendRefusedError),
        ("57P01", BackendUnavailableError, BackendRefusedError),
        ("22001", BackendRefusedError, ConnectionError),
        ("22P02", BackendRefusedError, ConnectionError),
        ("23502", BackendRefusedError, ConnectionError),
        ("54000", BackendRefusedError, ConnectionError),
        ("23505", ConflictError, ConnectionError),
        ("40001", ConflictError, ConnectionError),
        ("40P01", ConflictError, ConnectionError),
        ("42P01", StorageError, ConnectionError),
    ],
)
def test_postgres_errors_are_classified_by_sqlstate(
    pg_dsn: str, sqlstate: str, expected: type[Exception], not_expected: type[Exception]
) -> None:
    import psycopg

    from relationship_core._storage.postgres import translate

    with psycopg.connect(pg_dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as raised:
        conn.execute(f"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{sqlstate}'; END $$")
    assert raised.value.sqlstate == sqlstate
    error = translate(raised.value)
    assert isinstance(error, expected)
    assert not isinstance(error, not_expected)
    assert sqlstate in str(error)


@pytest.mark.postgres
def test_postgres_oversized_index_row_is_refused_not_unavailable(pg_dsn: str) -> None:
    # The bug: PostgreSQL's "index row size exceeds maximum" (54000) came out as
    # BackendUnavailableError, a ConnectionError that retry loops retry for ever.
    import secrets

    import psycopg

    from relationship_core._storage.postgres import translate

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE wide (v TEXT)")
        conn.execute("CREATE INDEX ON wide (v)")
        with pytest.raises(psycopg.Error) as raised:
            conn.execute("INSERT INTO wide VALUES (%s)", (secrets.token_hex(4000),))
    error = translate(raised.value)
    assert isinstance(error, BackendRefusedError)
    assert not isinstance(error, ConnectionError)


def test_sqlite_errors_are_classified_by_result_code(tmp_path: Path) -> None:
    from relationship_core._storage.sqlite import translate

    conn = sqlite3.connect(tmp_path / "raw.db")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT NOT NULL)")
    conn.execute("INSERT INTO t VALUES ('a', 'x')")
    cases: list[tuple[str, type[Exception]]] = [
        ("INSERT INTO t VALUES ('a', 'y')", ConflictError),  # SQLITE_CONSTRAINT_PRIMARYKEY
        ("INSERT INTO t VALUES ('b', NULL)", BackendRefusedError),  # SQLITE_CONSTRAINT_NOTNULL
    ]
    for statement, expected in cases:
        with pytest.raises(sqlite3.Error) as raised:
            conn.execute(statement)
        error = translate(raised.value)
        assert isinstance(error, expected), (statement, error)
        assert not isinstance(error, ConnectionError)
    conn.close()


def test_sqlite_file_that_is_not_a_database_is_not_unavailable(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_bytes(b"this is not an SQLite file" * 100)
    with pytest.raises(StorageError, match="not a database") as info:
        _open(f"sqlite:///{tmp_path / 'junk.db'}")
    assert not isinstance(info.value, ConnectionError)


def test_sqlite_missing_folder_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo' / 'crm.db'}"
    with pytest.raises(ValidationError) as info:
        _open(url)
    assert info.value.field == "path"
    assert "typo" in str(info.value)
    assert "create_dirs=true" in info.value.reason
    assert not (tmp_path / "typo").exists()
    _open(url + "?create_dirs=true").close()
    assert (tmp_path / "typo" / "crm.db").is_file()
    _open(url).close()  # the folder exists now
    with pytest.raises(ValidationError, match="create_dirs"):
        _open(url + "?create_dirs=maybe")
