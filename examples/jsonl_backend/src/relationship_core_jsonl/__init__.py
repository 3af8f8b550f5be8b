"""An example storage backend plugin for relationship_core: a JSON-lines journal."""

from relationship_core_jsonl.backend import JsonlBackend

__all__ = ["JsonlBackend"]
