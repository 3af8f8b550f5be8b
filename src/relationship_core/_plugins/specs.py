"""The named records plugins contribute."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from relationship_core._storage.protocols import BackendFactory
from relationship_core._storage.schema import check_identifier

__all__ = ["StorageBackendSpec"]


def _schemes(value: object) -> tuple[str, ...]:
    items: Iterable[str] = (value,) if isinstance(value, str) else value  # type: ignore[assignment]
    schemes = tuple(items)
    for scheme in schemes:
        check_identifier("schemes", scheme)
    return schemes


@attrs.frozen
class StorageBackendSpec:
    """A storage backend offered by a plugin.

    Examples:
        >>> from relationship_core._storage.memory import open_memory
        >>> StorageBackendSpec("memory", ("memory",), open_memory).schemes
        ('memory',)

    Attributes:
        name: Short name of the backend, for messages.
        schemes: URL schemes it serves (lower-case identifiers, e.g. ``"sqlite"``).
        factory: ``factory(url, schema) -> StorageBackend``; called on every open.
        description: One line for listings.
    """

    name: str
    schemes: tuple[str, ...] = attrs.field(converter=_schemes)
    factory: BackendFactory
    description: str = ""
