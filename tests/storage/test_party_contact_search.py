"""Party search by e-mail and phone: case-insensitive prefix, E.164, paged, the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Organisation, Person
from relationship_core._domain.phones import phone_key, phone_search_key, region_of
from relationship_core._storage.contract import Query
from relationship_core._storage.sql import select_page
from relationship_core.exceptions import ValidationError


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return sqlite_url(request.node.name[:40])
    made: str = request.getfixturevalue("pg_url")(f"cs_{request.node.originalname[5:30]}")
    return made


def _all(search: Callable[..., Any], *args: str, **kw: Any) -> list[str]:
    """Every page of a search, as names, in the order served."""
    names: list[str] = []
    after = None
    while True:
        page = search(*args, limit=2, after=after, **kw)
        names += [p.name for p in page]
        if page.next_cursor is None:
            return names
        after = page.next_cursor


def test_email_search_is_case_insensitive_prefix_over_every_address(url: str) -> None:
    with rc.open(url) as crm:
        crm.parties.add(Person(name="Ada", emails=["Ada@Example.org", "lovelace@work.example"]))
        crm.parties.add(Person(name="Adam", emails=["ADAM@example.org"]))
        crm.parties.add(Organisation(name="Acme", emails=["ada.sales@acme.example"]))
        crm.parties.add(Person(name="Bob", emails=["bob@example.org"]))
        crm.parties.add(Person(name="Cy"))
        assert _all(crm.parties.search_email, "ADA") == ["Acme", "Ada", "Adam"]
        assert _all(crm.parties.search_email, " ada@") == ["Ada"]
        assert _all(crm.parties.search_email, "LOVELACE@W") == ["Ada"]
        assert _all(crm.parties.search_email, "zz") == []
        for bad in ["", "  ", None, 3]:
            with pytest.raises(ValidationError):
                crm.parties.search_email(bad)  # type: ignore[arg-type]


def test_phone_search_compares_e164_whatever_the_format(url: str) -> None:
    with rc.open(url) as crm:
        crm.parties.add(Person(name="Anna", phone="079 123 45 67", locale="de-CH"))
        crm.parties.add(Person(name="Beat", phone="+41 (0)79 123 99 00"))
        crm.parties.add(Person(name="Carl", phone="+1 212-555-0123"))
        crm.parties.add(Person(name="Dora", phone="ext. 42"))
        crm.parties.add(Person(name="Emil", phone="079 123 45 67"))  # no region: digits
        assert _all(crm.parties.search_phone, "+41 79 123") == ["Anna", "Beat"]
        assert _all(crm.parties.search_phone, "079 123", region="CH") == ["Anna", "Beat"]
        assert _all(crm.parties.search_phone, "0041791234567") == ["Anna"]
        assert _all(crm.parties.search_phone, "212 555", region="US") == ["Carl"]
        assert _all(crm.parties.search_phone, "079 1") == ["Emil"]
        assert _all(crm.parties.search_phone, "42") == ["Dora"]
        with pytest.raises(ValidationError, match="region"):
            crm.parties.search_phone("079", region="Switzerland")
        with pytest.raises(ValidationError, match="digit"):
            crm.parties.search_phone("abc")


def test_the_phone_index_follows_an_updated_number(url: str) -> None:
    with rc.open(url) as crm:
        anna = crm.parties.add(Person(name="Anna", phone="+41 79 123 45 67"))
        again = crm.parties.get(anna.id)
        assert isinstance(again, Person)
        again.phone = "+44 20 7946 0958"
        crm.parties.update(again)
        assert _all(crm.parties.search_phone, "+4179") == []
        assert _all(crm.parties.search_phone, "+44 20") == ["Anna"]


def test_prefix_conditions_are_checked() -> None:
    with rc.open("memory://") as crm:
        with pytest.raises(ValidationError, match="prefix"):
            crm.parties.query(("party_kind", "prefix", ""))
        with pytest.raises(ValidationError, match="prefix"):
            crm.backend.query(Query("engagement", [("acquired_on", "prefix", "2024")]))
        assert list(crm.parties.query(("name", "prefix", "A"))) == []


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_contact_search_reads_the_rc_multi_index(
    dialect: str, sqlite_url: Callable[[str], str], request: pytest.FixtureRequest
) -> None:
    url = sqlite_url("mplan") if dialect == "sqlite" else request.getfixturevalue("pg_url")("mplan")
    with rc.open(url) as crm:
        crm.parties.add(Person(name="Ada", emails=["ada@example.org"]))
        store: Any = crm.backend
        checked = store.schema.check_query(
            Query("party", [("emails", "prefix", "ada")], order_by="name_key", limit=20)
        )
        statement, params = select_page(checked, store.dialect.ph, store.dialect.encode or _same)
        with store._reader() as conn:
            if dialect == "sqlite":
                rows = conn.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
                plan = " ".join(str(r[-1]) for r in rows)
            else:
                conn.execute("SET enable_seqscan = off")  # a tiny table: can an index serve it?
                plan = " ".join(str(r[0]) for r in conn.execute("EXPLAIN " + statement, params))
                conn.execute("RESET enable_seqscan")
    assert "rc_multi" in plan, plan
    assert "SCAN rc_multi" not in plan, plan
    assert "Seq Scan on rc_multi" not in plan, plan
    assert "value" in plan, plan  # the range is on the index's value column


def _same(_type: object, value: object) -> object:
    return value


def test_region_of_a_locale() -> None:
    assert region_of("de-CH") == "CH"
    assert region_of("zh-Hant-TW") == "TW"
    assert region_of("en") is None
    assert region_of(None) is None


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["CH", "US", "DE", "GB", "FR"]),
    st.integers(min_value=2, max_value=9),
    st.text(alphabet="0123456789", min_size=8, max_size=9),
)
def test_a_stored_number_starts_with_the_search_key_of_each_of_its_starts(
    region: str, first: int, rest: str
) -> None:
    national = f"0{first}{rest}" if region != "US" else f"{first}{rest}"
    stored = phone_key(national, region)
    assert stored is not None
    if not stored.startswith("+"):
        return  # not a possible number there: kept as digits, found by digits
    for cut in range(2, len(national) + 1):
        assert stored.startswith(phone_search_key(national[:cut], region)), (national, cut)


@pytest.mark.postgres
def test_a_layout_4_postgresql_store_gets_the_code_point_collation(
    request: pytest.FixtureRequest,
) -> None:
    url = request.getfixturevalue("pg_url")("cs_layout4")
    with rc.open(url) as crm:
        crm.parties.add(Person(name="Ada", emails=["ada@example.org"]))
        store: Any = crm.backend
        with store._writer() as conn:  # as layout 4 left it: the database's own collation
            conn.execute('ALTER TABLE rc_multi ALTER COLUMN value TYPE TEXT COLLATE "default"')
            conn.execute("UPDATE rc_schema_version SET version = 4 WHERE component = 'layout'")
    with rc.open(url) as crm:
        store = crm.backend
        assert "storage layout migrated to version 5" in store.schema_changes
        with store._reader() as conn:
            (collation,) = conn.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'rc_multi' "
                "AND column_name = 'value'"
            ).fetchone()
        assert collation == "C"
        assert [p.name for p in crm.parties.search_email("ADA")] == ["Ada"]
