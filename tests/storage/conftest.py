"""Shared storage fixtures: backend makers by URL.

The PostgreSQL schemas (``pg_dsn``, ``pg_url``) come from tests/shared_fixtures.py, which
every test directory shares; each is dropped when its test ends.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from relationship_core.plugins import Schema, StorageBackend, get_plugin_manager


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
