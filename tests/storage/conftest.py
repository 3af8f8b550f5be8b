"""Shared storage fixtures: backend makers, and PostgreSQL schemas that clean up after themselves.

PostgreSQL tests run when ``RELATIONSHIP_CORE_TEST_POSTGRES_DSN`` is set (CI sets
it) and skip with the reason otherwise. Each test session works in schemas
named ``rct_<random>_<name>`` and drops them all at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from relationship_core.plugins import Schema, StorageBackend, get_plugin_manager

PG_ENV = "RELATIONSHIP_CORE_TEST_POSTGRES_DSN"


def _with_schema(dsn: str, schema: str) -> str:
    return f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"


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
def pg_url(pg_dsn: str) -> Iterator[Callable[[str], str]]:
    """``pg_url(name)``: a ``postgresql://…?schema=…`` URL unique to this session and *name*."""
    import psycopg

    prefix = f"rct_{secrets.token_hex(4)}"
    yield lambda name: _with_schema(pg_dsn, f"{prefix}_{name}")
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "\\_%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Callable[[str], str]:
    """``sqlite_url(name)``: a database file under the test's tmp_path."""
    return lambda name: f"sqlite:///{tmp_path / name}.db"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    """A store URL on each built-in backend in turn (a fresh store per test)."""
    if request.param == "memory":
        return "memory://"
    name = request.node.name.split("[")[0][-20:]
    if request.param == "sqlite":
        return sqlite_url(name)
    return request.getfixturevalue("pg_url")(f"any_{name}")  # type: ignore[no-any-return]


Opener = Callable[[Callable[[str], str]], Callable[..., StorageBackend]]


@pytest.fixture(scope="session")
def opener() -> Opener:
    """``opener(url_for)``: a ``make_backend`` callable opening stores by URL via the plugins."""

    def wrap(url_for: Callable[[str], str]) -> Callable[..., StorageBackend]:
        def make(schema: Schema, name: str = "default") -> StorageBackend:
            return get_plugin_manager().open_backend(url_for(name), schema)

        return make

    return wrap
