"""After an erasure the party's name, e-mail and phone are in no byte of the store.

The store is the one ``relationship-core demo`` fills (a year with a client
and a customer: orders, invoices, a ticket, notifications, tasks...), plus,
for Ada, its contact: a phone number set by a CSV import (its marker), an
e-mailed sign-in link, a form submission's ticket and a comment naming her;
every update keeps the version it replaced (``rc_versions``), so her old
versions are searched too. SQLite keeps deleted content in free
pages and in the write-ahead log unless told otherwise; PostgreSQL keeps
dead row versions until vacuumed. Both are searched as stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from relationship_core import open as open_store
from relationship_core._demo import run_demo
from relationship_core._domain.parties import Person
from relationship_core._storage.contract import Query
from relationship_core._support.forms import FormSubmission
from relationship_core._support.tickets import Ticket
from relationship_core._work.comments import AuthorKind, Comment, SubjectKind, Visibility
from relationship_core._work.kinds import COMMENTS
from relationship_core.importing import import_csv
from relationship_core.privacy import erase_party
from relationship_core.web import SignIn
from relationship_core.web._kinds import SIGN_INS

NAME, EMAIL, PHONE = "Ada Lovelace", "ada@analytical.example", "+44 20 7946 0958"
NEEDLES = (NAME.lower(), EMAIL, "7946 0958", "lovelace")


def _fill(url: str, tmp: Path) -> None:
    """The demo, then Ada in the newer kinds too: her phone set by an import (its marker and
    old versions), a sign-in link, a form submission's ticket and a comment naming her."""
    run_demo(lambda _line: None, url)
    csv = tmp / "ada.csv"
    csv.write_text(f"name,email,phone\n{NAME},{EMAIL},{PHONE}\n", encoding="utf-8")
    with open_store(url) as crm:
        [ada] = [p for p in crm.parties.iterate() if p.name == NAME]
        assert isinstance(ada, Person)
        ada.tag("erasure-test")
        crm.parties.update(ada)
        assert import_csv(crm, csv, "parties").updated == 1  # sets her phone
        now = crm.clock.now()
        link = SignIn(
            id=hashlib.sha256(b"token").hexdigest(),
            party_id=ada.id,
            email=EMAIL,
            created_at=now,
            expires_at=now + timedelta(minutes=15),
        )
        crm.repository(SIGN_INS).add(link)
        with crm.unit_of_work() as uow:  # used: a second version of the link
            uow.repository(SIGN_INS).get(link.id).used_at = now
        form = FormSubmission(name=NAME, email=EMAIL, problem=f"Call me on {PHONE}")
        ticket = Ticket.open(form, at=now, id="ticket-form-ada", party_id=ada.id)
        with crm.unit_of_work() as uow:
            uow.repository("ticket").add(ticket)
            uow.repository(COMMENTS).add(
                Comment(
                    subject_kind=SubjectKind.TICKET,
                    subject_id=ticket.id,
                    author_kind=AuthorKind.STAFF,
                    author="clerk-7",
                    body=f"{NAME} asked us to use {EMAIL}",
                    visibility=Visibility.INTERNAL,
                    at=now,
                    party_id=ada.id,
                )
            )
        kinds = {"web_sign_in", "ticket", "comment", "notification", "party"}
        assert {k for k in kinds if _mentions(crm, k)} == kinds  # the test can fail
        assert any(p.startswith("import:parties:") for p in _positions(crm))


def _erase(url: str) -> None:
    with open_store(url) as crm:
        [ada] = [p for p in crm.parties.iterate() if p.name == NAME]
        erase_party(crm, ada.id, "erasure request")


def _mentions(crm: Any, kind: str) -> bool:
    records = crm.backend.query(Query(kind, (), limit=1000)).records
    kept = [v for r in records for v in crm.backend.versions(kind, r.id)]
    text = json.dumps([r.data for r in records] + [v.data for v in kept]).lower()
    return any(n in text for n in NEEDLES)


def _positions(crm: Any) -> list[str]:
    return [consumer for consumer, _ in _consumers(crm)]


def _consumers(crm: Any) -> list[tuple[str, int]]:
    from relationship_core._storage.dump import ConsumerPosition, dump_store

    return [(i.consumer, i.seq) for i in dump_store(crm.backend) if isinstance(i, ConsumerPosition)]


def _found(data: bytes) -> list[str]:
    low = data.lower()
    return [n for n in NEEDLES if n.encode() in low or n.upper().encode() in data]


def test_sqlite_file_and_wal_hold_no_trace(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    url = f"sqlite:///{db}"
    _fill(url, tmp_path)
    assert _found(db.read_bytes() + _wal(db))  # the test can fail: the data is there
    conn = sqlite3.connect(db)  # and the old versions hold it too
    try:
        rows = conn.execute("SELECT kind, data FROM rc_versions").fetchall()
    finally:
        conn.close()
    assert {k for k, d in rows if _found(d.encode())} >= {"party", "web_sign_in"}
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
def test_postgres_tables_hold_no_trace(pg_fresh_url: Callable[[], str], tmp_path: Path) -> None:
    import psycopg

    url = pg_fresh_url()
    _fill(url, tmp_path)
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
    with psycopg.connect(dsn, autocommit=True) as conn:  # the old versions hold it too
        rows = conn.execute(f'SELECT kind, data::text FROM "{schema}".rc_versions').fetchall()
    assert {k for k, d in rows if _found(d.encode())} >= {"party", "web_sign_in"}
    _erase(url)
    assert _found(dump()) == []
