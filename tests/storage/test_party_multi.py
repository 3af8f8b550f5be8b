"""Parties' e-mails and tags as multi-valued indexed fields: contains / in, and old stores."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pytest

import relationship_core as rc
from relationship_core import Person


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return sqlite_url("multi")
    return request.getfixturevalue("pg_url")("party_multi")  # type: ignore[no-any-return]


def test_parties_by_any_email_and_tag(url: str) -> None:
    with rc.open(url) as crm:
        ada = crm.parties.add(
            Person(name="Ada", emails=["Ada@Example.org", "ada@work.example"], tags=["VIP", "lead"])
        )
        bob = crm.parties.add(Person(name="Bob", emails=["bob@example.org"], tags=["lead"]))
        crm.parties.add(Person(name="Cy"))

        def ids(*where: tuple[str, str, object]) -> set[str]:
            return {p.id for p in crm.parties.query(*where)}

        assert ids(("emails", "contains", "ADA@work.example")) == {ada.id}
        assert ids(("tags", "contains", "lead")) == {ada.id, bob.id}
        assert ids(("tags", "in", ["vip", "nobody"])) == {ada.id}
        assert ids(("emails", "in", ["bob@example.org", "ada@example.org"])) == {ada.id, bob.id}
        again = crm.parties.get(bob.id)
        again.tag("VIP")
        crm.parties.update(again)
        assert ids(("tags", "contains", "vip")) == {ada.id, bob.id}


def test_a_store_written_before_emails_and_tags_fills_them_on_migrate(
    sqlite_url: Callable[[str], str],
) -> None:
    url = sqlite_url("before_multi")
    with rc.open(url) as crm:
        ada = crm.parties.add(Person(name="Ada", emails=["ada@example.org"], tags=["vip"]))
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # as the store was at layout 3, before rc_multi
        conn.execute("DROP TABLE rc_multi")
        conn.execute("ALTER TABLE rc_rec_party DROP COLUMN f_emails")
        conn.execute("ALTER TABLE rc_rec_party DROP COLUMN f_tags")
        conn.execute("UPDATE rc_schema_version SET version = 3 WHERE component = 'layout'")
        (fields,) = conn.execute("SELECT fields FROM rc_kinds WHERE kind = 'party'").fetchone()
        old = {k: v for k, v in json.loads(fields).items() if k not in ("emails", "tags")}
        conn.execute("UPDATE rc_kinds SET fields = ? WHERE kind = 'party'", (json.dumps(old),))
    conn.close()
    with rc.open(url) as crm:  # the side table is new on open, empty until migrate
        assert crm.parties.get(ada.id).name == "Ada"
        assert list(crm.parties.query(("tags", "contains", "vip"))) == []
    rc.migrate(url)
    with rc.open(url) as crm:
        assert [p.id for p in crm.parties.query(("tags", "contains", "VIP"))] == [ada.id]
        assert [p.id for p in crm.parties.query(("emails", "contains", "ada@example.org"))] == [
            ada.id
        ]
