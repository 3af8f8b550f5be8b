"""Unique keys in SQL: the ``rc_unique`` side table, written with the record.

``(kind, ukey, value)`` is the primary key, so the database refuses a second
holder; ``INSERT ... ON CONFLICT DO NOTHING`` lets a racing transaction wait
for the first to commit and then see that it lost (one row inserted or none),
without aborting the transaction the way a failed insert does on PostgreSQL.
"""

from __future__ import annotations

from relationship_core._storage.dialect import Conn, SQLDialect
from relationship_core._storage.unique import KeyClaims
from relationship_core.exceptions import UniqueKeyConflictError

__all__ = ["layout_v3", "claim_keys", "release_keys"]


def layout_v3(d: SQLDialect) -> tuple[str, ...]:
    """Layout version 3: the unique-key side table."""
    return (
        """CREATE TABLE IF NOT EXISTS rc_unique (
            kind TEXT NOT NULL, ukey TEXT NOT NULL, value TEXT NOT NULL,
            record_id TEXT NOT NULL, PRIMARY KEY (kind, ukey, value))""",
        "CREATE INDEX IF NOT EXISTS rc_unique_holder ON rc_unique (kind, record_id)",
    )


def release_keys(conn: Conn, d: SQLDialect, kind: str, rid: str) -> None:
    """Drop every claim of one record."""
    conn.execute(f"DELETE FROM rc_unique WHERE kind = {d.ph} AND record_id = {d.ph}", (kind, rid))


def claim_keys(conn: Conn, d: SQLDialect, kind: str, rid: str, claims: KeyClaims) -> None:
    """Make *claims* the record's claims, or raise `UniqueKeyConflictError`."""
    ph = d.ph
    release_keys(conn, d, kind, rid)
    for key, value in claims:
        inserted = conn.execute(
            f"INSERT INTO rc_unique (kind, ukey, value, record_id) VALUES ({ph}, {ph}, {ph}, {ph}) "
            "ON CONFLICT (kind, ukey, value) DO NOTHING",
            (kind, key, value, rid),
        ).rowcount
        if inserted != 1:
            row = conn.execute(
                f"SELECT record_id FROM rc_unique WHERE kind = {ph} AND ukey = {ph} "
                f"AND value = {ph}",
                (kind, key, value),
            ).fetchone()
            raise UniqueKeyConflictError(kind, rid, key, value, row[0] if row else "")
