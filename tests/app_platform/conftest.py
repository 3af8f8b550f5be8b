"""Stores for the platform tests: memory, SQLite (tmp_path) and PostgreSQL (random schemas)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL of each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'platform.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
    return make()
