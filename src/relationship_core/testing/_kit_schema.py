"""The kinds the conformance kit stores: one place, shared by the kit's modules."""

from __future__ import annotations

from relationship_core._storage.schema import KindSpec, Schema

__all__ = ["KIT_SCHEMA"]

#: Every field type, one nullable field, and a second kind.
KIT_SCHEMA = Schema(
    [
        KindSpec(
            "item",
            {
                "name": "str",
                "rank": "int",
                "score": "float",
                "active": "bool",
                "seen_at": "datetime",
                "due": "date",
                "note": "str?",
            },
        ),
        KindSpec("tag", {"label": "str"}),
    ]
)
