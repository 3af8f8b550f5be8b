"""Stores for the work and support tests: memory, SQLite (tmp_path), PostgreSQL (random schemas)."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PG_ENV = "RELATIONSHIP_CORE_TEST_POSTGRES_DSN"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_work_url() -> Iterator[Callable[[], str]]:
    """``make()``: a fresh ``postgresql://…?schema=…`` URL, or skip without a server."""
    dsn = os.environ.get(PG_ENV)
    if not dsn:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    import psycopg

    prefix = f"rcw_{secrets.token_hex(4)}"
    sep = "&" if "?" in dsn else "?"
    yield lambda: f"{dsn}{sep}schema={prefix}_work{next(_counter)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "\\_%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def make_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``make_url(backend)``: a fresh, empty store URL of *backend*."""
    count = itertools.count()

    def make(backend: str) -> str:
        if backend == "memory":
            return "memory://"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'work{next(count)}.db'}"
        pg: Callable[[], str] = request.getfixturevalue("pg_work_url")
        return pg()

    return make


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, make_url: Callable[[str], str]) -> str:
    """A fresh, empty store URL of each backend."""
    return make_url(request.param)
