"""The plugin module named by the entry point: one hook implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from relationship_core.exceptions import ValidationError
from relationship_core.plugins import Schema, StorageBackendSpec, StorageURL, hookimpl

if TYPE_CHECKING:
    from relationship_core_jsonl.backend import JsonlBackend


def open_jsonl(url: StorageURL, schema: Schema) -> JsonlBackend:
    """Factory for ``jsonl:///relative/file.jsonl`` and ``jsonl:////absolute/file.jsonl``."""
    from relationship_core_jsonl.backend import JsonlBackend

    path = url.path[1:] if url.path.startswith("/") else url.path
    if not path or url.netloc:
        raise ValidationError("url", url.redacted, "use jsonl:///path/to/file.jsonl")
    return JsonlBackend(path, schema)


@hookimpl
def relationship_core_storage_backends() -> Sequence[StorageBackendSpec]:
    """Offer the ``jsonl://`` scheme."""
    return [StorageBackendSpec("jsonl", ("jsonl",), open_jsonl, "one JSON-lines journal file")]
