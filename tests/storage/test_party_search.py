"""Party search: case-insensitive prefix, paginated, and an index range read on both SQL dialects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Person
from relationship_core._app.search import search_key
from relationship_core._storage.contract import Query
from relationship_core._storage.schema import prefix_end
from relationship_core._storage.sql import select_page
from relationship_core.exceptions import ValidationError

NAMES = ["Ada Lovelace", "ADA Ltd", "adam smith", "Adelaide", "Bob", "Ádám", "ada"]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return sqlite_url("search")
    return request.getfixturevalue("pg_url")("party_search")  # type: ignore[no-any-return]


def test_search_is_case_insensitive_prefix_in_name_order_and_pages(url: str) -> None:
    crm = rc.open(url)
    try:
        for name in NAMES:
            crm.parties.add(Person(name=name))
        expected = sorted((n for n in NAMES if search_key(n).startswith("ada")), key=search_key)
        got: list[str] = []
        after = None
        while True:
            page = crm.parties.search("  aDa", limit=2, after=after)
            got += [p.name for p in page]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert sorted(got, key=search_key) == expected
        assert [search_key(n) for n in got] == sorted(search_key(n) for n in got)
        assert [p.name for p in crm.parties.search("ádá")] == ["Ádám"]
        assert list(crm.parties.search("zz")) == []
        for bad in ["", "   ", 3, None]:
            with pytest.raises(ValidationError):
                crm.parties.search(bad)  # type: ignore[arg-type]
    finally:
        crm.close()


def _plan(crm: Any) -> str:
    store = crm.backend
    query = Query(
        "party",
        [("name_key", "ge", "ada"), ("name_key", "lt", "adb")],
        order_by="name_key",
        limit=20,
    )
    checked = store.schema.check_query(query)
    encode = store.dialect.encode or (lambda _t, v: v)
    statement, params = select_page(checked, store.dialect.ph, encode)
    with store._reader() as conn:
        if store.dialect.name.lower() == "sqlite":
            rows = conn.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            return " ".join(str(r[-1]) for r in rows)
        conn.execute("SET enable_seqscan = off")  # tiny table: ask whether the index serves it
        rows = conn.execute("EXPLAIN " + statement, params).fetchall()
        conn.execute("RESET enable_seqscan")
        return " ".join(str(r[0]) for r in rows)


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_search_reads_the_name_key_index(
    dialect: str, sqlite_url: Callable[[str], str], request: pytest.FixtureRequest
) -> None:
    url = sqlite_url("plan") if dialect == "sqlite" else request.getfixturevalue("pg_url")("plan")
    crm = rc.open(url)
    try:
        crm.parties.add(Person(name="Ada"))
        plan = _plan(crm)
        assert "name_key" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "SCAN rc_" not in plan, plan
    finally:
        crm.close()


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=6), st.text(max_size=6))
def test_the_upper_bound_is_above_every_extension_and_below_what_follows(
    prefix: str, rest: str
) -> None:
    upper = prefix_end(prefix)
    if upper:
        assert prefix + rest < upper
        assert prefix <= upper


def test_a_store_written_before_name_key_is_searchable_after_migrate(
    sqlite_url: Callable[[str], str],
) -> None:
    import json
    import sqlite3

    url = sqlite_url("before")
    with rc.open(url) as crm:
        ada = crm.parties.add(Person(name="Ada Lovelace"))
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # as the store was before parties indexed name_key
        conn.execute("DROP INDEX rc_ix_party_name_key")
        conn.execute("ALTER TABLE rc_rec_party DROP COLUMN f_name_key")
        (fields,) = conn.execute("SELECT fields FROM rc_kinds WHERE kind = 'party'").fetchone()
        old = {k: v for k, v in json.loads(fields).items() if k != "name_key"}
        conn.execute("UPDATE rc_kinds SET fields = ? WHERE kind = 'party'", (json.dumps(old),))
    conn.close()
    with rc.open(url) as crm:
        assert crm.parties.get(ada.id).name == "Ada Lovelace"
        assert list(crm.parties.search("ada")) == []  # not filled yet
    rc.migrate(url)
    with rc.open(url) as crm:
        assert [p.id for p in crm.parties.search("ADA")] == [ada.id]
