"""Stores for the privacy tests: memory, SQLite (tmp_path) and PostgreSQL (random schemas)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL of each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'privacy.db'}"
    make: Callable[[], str] = request.getfixturevalue("pg_fresh_url")
    return make()
