"""Stores for the work and support tests: memory, SQLite (tmp_path), PostgreSQL (random schemas).

The PostgreSQL schemas come from tests/shared_fixtures.py's ``pg_fresh_url`` (one definition).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def make_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``make_url(backend)``: a fresh, empty store URL of *backend*."""
    count = itertools.count()

    def make(backend: str) -> str:
        if backend == "memory":
            return "memory://"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'work{next(count)}.db'}"
        pg: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
        return pg()

    return make


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, make_url: Callable[[str], str]) -> str:
    """A fresh, empty store URL of each backend."""
    return make_url(request.param)
