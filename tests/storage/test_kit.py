"""The conformance kit run against every built-in backend."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from relationship_core.plugins import MemoryBackend, Schema, StorageBackend
from relationship_core.testing.storage import BackendMaker, StorageBackendTests


class TestMemoryBackend(StorageBackendTests):
    @pytest.fixture
    def make_backend(self) -> BackendMaker:
        def make(schema: Schema, name: str = "default") -> StorageBackend:
            return MemoryBackend(schema)

        return make


class TestSQLiteBackend(StorageBackendTests):
    @pytest.fixture
    def make_backend(self, sqlite_url: Callable[[str], str], opener: Any) -> BackendMaker:
        return opener(sqlite_url)  # type: ignore[no-any-return]


@pytest.mark.postgres
class TestPostgresBackend(StorageBackendTests):
    state_machine_settings = settings(
        max_examples=12,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    @pytest.fixture
    def make_backend(
        self, pg_url: Callable[[str], str], opener: Any, request: pytest.FixtureRequest
    ) -> BackendMaker:
        test = (
            f"{request.node.name.split('[')[0].removeprefix('test_')[:12]}_{secrets.token_hex(2)}"
        )
        return opener(lambda name: pg_url(f"{test}_{name}"))  # type: ignore[no-any-return]
