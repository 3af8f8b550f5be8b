"""Driver errors become the StorageError family; bad URLs and schemas are refused clearly."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from relationship_core.exceptions import (
    BackendUnavailableError,
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
