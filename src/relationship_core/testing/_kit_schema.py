"""The kinds the conformance kit stores and the helpers its modules share."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol

from relationship_core._storage.contract import Query, Write
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import KindSpec, Schema

__all__ = ["KIT_SCHEMA", "T0", "BackendMaker", "all_ids", "item"]

#: The kit's reference instant.
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

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


class BackendMaker(Protocol):
    """What the ``make_backend`` fixture returns."""

    def __call__(self, schema: Schema, name: str = "default") -> StorageBackend:
        """Open the store called *name* (same name: same store) for *schema*."""
        ...


def item(
    rid: str,
    *,
    name: str = "n",
    rank: int = 0,
    score: float = 0.0,
    active: bool = True,
    seen_at: datetime = T0,
    due: date = date(2026, 1, 1),
    note: str | None = None,
    data: dict[str, Any] | None = None,
    expected: int | None = None,
) -> Write:
    """A write of one ``item`` record (test helper)."""
    indexed = {
        "name": name,
        "rank": rank,
        "score": score,
        "active": active,
        "seen_at": seen_at,
        "due": due,
        "note": note,
    }
    return Write("item", rid, data if data is not None else {"id": rid}, indexed, expected)


def all_ids(store: StorageBackend, query: Query) -> list[str]:
    """Every id *query* matches, following its pages (and checking them)."""
    ids: list[str] = []
    cursor = None
    while True:
        page = store.query(
            Query(query.kind, query.where, query.order_by, query.descending, query.limit, cursor)
        )
        ids.extend(r.id for r in page.records)
        if page.next_cursor is None:
            return ids
        assert page.records, "a page with a next cursor must not be empty"
        cursor = page.next_cursor
