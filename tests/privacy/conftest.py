"""Stores for the privacy tests: memory, SQLite (tmp_path) and PostgreSQL (random schemas)."""

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
def pg_privacy_url() -> Iterator[Callable[[], str]]:
    """``make()``: a fresh ``postgresql://…?schema=…`` URL (dropped afterwards), or skip."""
    dsn = os.environ.get(PG_ENV)
    if not dsn:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    import psycopg

    prefix = f"rct_{secrets.token_hex(4)}"
    sep = "&" if "?" in dsn else "?"
    yield lambda: f"{dsn}{sep}schema={prefix}_privacy{next(_counter)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "\\_%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL of each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'privacy.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_privacy_url")
    return make()
