"""The built-in storage backends, registered through the same hook as third-party ones."""

from __future__ import annotations

from collections.abc import Sequence

from relationship_core._plugins.markers import hookimpl
from relationship_core._plugins.specs import StorageBackendSpec
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import Schema
from relationship_core._storage.url import StorageURL

__all__ = ["memory", "postgresql", "sqlite"]


def _memory(url: StorageURL, schema: Schema) -> StorageBackend:
    from relationship_core._storage.memory import open_memory

    return open_memory(url, schema)


def _sqlite(url: StorageURL, schema: Schema) -> StorageBackend:
    from relationship_core._storage.sqlite import open_sqlite

    return open_sqlite(url, schema)


def _postgres(url: StorageURL, schema: Schema) -> StorageBackend:
    # psycopg is an optional extra: imported only when a postgresql:// URL is opened.
    from relationship_core._storage.postgres import open_postgres

    return open_postgres(url, schema)


class _Builtin:
    """One built-in backend as a plugin object, so each can be blocked on its own."""

    def __init__(self, spec: StorageBackendSpec) -> None:
        self.spec = spec

    @hookimpl(trylast=True)
    def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:
        """This built-in backend."""
        return [self.spec]


memory = _Builtin(
    StorageBackendSpec("memory", ("memory",), _memory, "in-process, for tests and notebooks")
)
sqlite = _Builtin(
    StorageBackendSpec("sqlite", ("sqlite",), _sqlite, "one file, the embedded default")
)
postgresql = _Builtin(
    StorageBackendSpec(
        "postgresql",
        ("postgresql", "postgres"),
        _postgres,
        "PostgreSQL via psycopg 3 (extra: postgres)",
    )
)
