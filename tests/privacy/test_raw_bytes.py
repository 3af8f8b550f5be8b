"""After an erasure the party's name, e-mail and phone are in no byte of the store.

The store is the one ``relationship-core demo`` fills (a year with a client
and a customer: orders, invoices, a ticket, notifications, tasks...), plus a
phone number for Ada, its contact. SQLite keeps deleted content in free
pages and in the write-ahead log unless told otherwise; PostgreSQL keeps
dead row versions until vacuumed. Both are searched as stored.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from relationship_core import open as open_store
from relationship_core._demo import run_demo
from relationship_core._domain.parties import Person
from relationship_core.privacy import erase_party

NAME, EMAIL, PHONE = "Ada Lovelace", "ada@analytical.example", "+44 20 7946 0958"
NEEDLES = (NAME.lower(), EMAIL, "7946 0958", "lovelace")


def _fill(url: str) -> None:
    run_demo(lambda _line: None, url)
    with open_store(url) as crm:
        [ada] = [p for p in crm.parties.iterate() if p.name == NAME]
        assert isinstance(ada, Person)
        ada.phone = PHONE
        crm.parties.update(ada)


def _erase(url: str) -> None:
    with open_store(url) as crm:
        [ada] = [p for p in crm.parties.iterate() if p.name == NAME]
        erase_party(crm, ada.id, "erasure request")


def _found(data: bytes) -> list[str]:
    low = data.lower()
    return [n for n in NEEDLES if n.encode() in low or n.upper().encode() in data]


def test_sqlite_file_and_wal_hold_no_trace(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    url = f"sqlite:///{db}"
    _fill(url)
    assert _found(db.read_bytes() + _wal(db))  # the test can fail: the data is there
    with open_store(url) as crm:
        [ada] = [p for p in crm.parties.iterate() if p.name == NAME]
        report = erase_party(crm, ada.id, "erasure request")
        assert "vacuumed" in report.storage
        assert _found(db.read_bytes() + _wal(db)) == []  # while the store is open
    assert _found(db.read_bytes() + _wal(db)) == []


def _wal(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


@pytest.mark.postgres
def test_postgres_tables_hold_no_trace(pg_fresh_url: Callable[[], str]) -> None:
    import psycopg

    url = pg_fresh_url()
    _fill(url)
    schema = url.rsplit("schema=", 1)[1]
    dsn = url.split("?")[0]

    def dump() -> bytes:
        out: list[str] = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            assert len(tables) > 10
            for (table,) in tables:
                rows = conn.execute(f'SELECT t::text FROM "{schema}"."{table}" t').fetchall()
                out.extend(str(r[0]) for r in rows)
        return "\n".join(out).encode()

    assert _found(dump())
    _erase(url)
    assert _found(dump()) == []
