"""CSV import: presets, mapping files, validation, dedupe, upserts, money and dates, resume."""

from __future__ import annotations

import contextlib
import importlib.util
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core import Engagement, ManualClock, Order, Organisation, Person
from relationship_core._import.values import parse_decimal
from relationship_core.exceptions import RelationshipCoreError, ValidationError
from relationship_core.importing import (
    PRESETS,
    ImportMapping,
    ImportRejectedError,
    ImportStoppedError,
    import_csv,
    load_mapping,
    parties_by_email,
)

_spec = importlib.util.spec_from_file_location(
    "_platform_test_stores_import", Path(__file__).parent / "app_platform" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_platform = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_platform)
url = _platform.url

DATA = Path(__file__).parent / "data" / "import"
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _events(crm: rc.CRM) -> int:
    return sum(1 for _ in crm.events.follow())


def test_hubspot_companies_then_contacts_link_by_name_and_domain(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        companies = import_csv(
            crm, DATA / "hubspot-companies.csv", "parties", preset="hubspot-companies"
        )
        assert (companies.rows, companies.created) == (2, 2)
        report = import_csv(
            crm, DATA / "hubspot-contacts.csv", "contacts", preset="hubspot-contacts"
        )
        assert (report.created, report.organisations_created) == (3, 1)
        acme = crm.parties.get("hubspot-company:9001")
        globex = crm.parties.get("hubspot-company:9002")
        assert isinstance(acme, Organisation)
        assert isinstance(globex, Organisation)
        assert "domain:acme.example" in acme.tags
        # Ada by the organisation's name, Grace (no company name) by her address's domain.
        assert [(r.person_id, r.title) for r in acme.contacts] == [
            ("hubspot-contact:101", "Head of Finance")
        ]
        assert [r.person_id for r in globex.contacts] == ["hubspot-contact:102"]
        assert acme.contacts[0].valid_from == date(2026, 3, 2)
        initech = crm.parties.get("hubspot-contact:org:initech")
        assert isinstance(initech, Organisation)
        assert initech.name == "Initech"
        ada = crm.parties.get("hubspot-contact:101")
        assert isinstance(ada, Person)
        assert (ada.name, str(ada.email), ada.phone) == (
            "Ada Lovelace",
            "Ada@acme.example",
            "+44 20 7946 0001",
        )
        # The same file again, from the first row: nothing changes, nothing is logged.
        events = _events(crm)
        again = import_csv(
            crm, DATA / "hubspot-contacts.csv", "contacts", preset="hubspot-contacts", restart=True
        )
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert _events(crm) == events
        assert crm.parties.count() == 6
        # Without restart the marker says the file is done.
        done = import_csv(crm, DATA / "hubspot-contacts.csv", "contacts", preset="hubspot-contacts")
        assert (done.resumed_from, done.created, done.unchanged) == (3, 0, 0)


def test_next_weeks_export_updates_instead_of_duplicating(tmp_path: Path) -> None:
    header = (DATA / "hubspot-contacts.csv").read_text().splitlines()[0]
    first = _write(
        tmp_path / "week1.csv", f"{header}\n7,Ada,Lovelace,ada@acme.example,111,CFO,,,,\n"
    )
    second = _write(
        tmp_path / "week2.csv",
        f"{header}\n7,Ada,King,ada@acme.example,222,CFO,,,,\n8,Bob,Byte,bob@b.example,,,,,,\n",
    )
    with rc.open("memory://") as crm:
        import_csv(crm, first, "contacts", preset="hubspot-contacts")
        report = import_csv(crm, second, "contacts", preset="hubspot-contacts")
        assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
        ada = crm.parties.get("hubspot-contact:7")
        assert isinstance(ada, Person)
        assert (ada.name, ada.phone) == ("Ada King", "222")
        assert crm.parties.count() == 2


def test_rows_matching_a_stored_party_by_email_update_it(tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "p.csv", "name,email,tags\nAda L.,ADA@Example.com;ada@work.example,vip\n"
    )
    with rc.open("memory://") as crm:
        stored = crm.parties.add(Person(name="Ada Lovelace", emails=["ada@example.com"]))
        found = parties_by_email(crm.parties, ["Ada@EXAMPLE.com"])
        assert list(found) == ["ada@example.com"]
        assert found["ada@example.com"].id == stored.id
        report = import_csv(crm, csv, "parties")
        assert (report.created, report.updated) == (0, 1)
        ada = crm.parties.get(stored.id)
        assert ada.name == "Ada L."
        assert "vip" in ada.tags
        assert [e.value for e in ada.emails] == ["ada@example.com", "ada@work.example"]
        assert crm.parties.count() == 1


def test_bad_rows_are_all_reported_and_nothing_is_stored(tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "bad.csv",
        "id,name,email,time_zone\n"
        "1,Ada,ada@example.com,Europe/London\n"
        "2,,bob@example.com,\n"
        "3,Cy,not-an-address,\n"
        "4,Di,di@example.com,Mars/Olympus\n"
        "1,Ed,ed@example.com,\n"
        "6,Fay,ADA@example.com,\n",
    )
    with rc.open("memory://") as crm:
        with pytest.raises(ImportRejectedError) as caught:
            import_csv(crm, csv, "parties")
        problems = [(p.line, p.column, p.value) for p in caught.value.problems]
        assert problems == [
            (3, "name", ""),
            (4, "email", "not-an-address"),
            (5, "time_zone", "Mars/Olympus"),
            (6, "id", "csv:1"),
            (7, "email", "ADA@example.com"),
        ]
        assert "line 4, column 'email', value 'not-an-address'" in str(caught.value)
        assert crm.parties.count() == 0
        report = import_csv(crm, csv, "parties", skip_invalid=True)
        assert report.created == 1
        assert len(report.skipped) == 5
        assert [p.name for p in crm.parties.iterate()] == ["Ada"]


def test_a_header_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    csv = _write(tmp_path / "o.csv", "who,when\nx,y\n")
    with (
        rc.open("memory://") as crm,
        pytest.raises(ValidationError, match="no column for party_email"),
    ):
        import_csv(crm, csv, "orders")


@pytest.mark.parametrize(
    ("encoding", "delimiter", "mark"),
    [("utf-8-sig", ",", "."), ("utf-16", ";", ","), ("cp1252", ";", ","), ("utf-8", "\t", ".")],
)
def test_encodings_boms_delimiters_and_decimal_marks(
    tmp_path: Path, encoding: str, delimiter: str, mark: str
) -> None:
    price = "1.234,50" if mark == "," else "1,234.50"
    rows = [
        ["Nr", "Kunde", "Datum", "Artikel", "Menge", "Preis", "Währung"],
        ["A-1", "zoë@café.example", "2026-03-01 23:30", "Crème brûlée", "2", price, "EUR"],
    ]
    text = "\r\n".join(delimiter.join(f'"{c}"' if c == price else c for c in r) for r in rows)
    csv = _write(tmp_path / "orders.csv", text + "\r\n", encoding)
    mapping = {
        "source": "shop",
        "time_zone": "Europe/Berlin",
        "decimal_mark": mark,
        "columns": {
            "source_id": "Nr", "party_email": "Kunde", "placed_at": "Datum",
            "description": "Artikel", "quantity": "Menge", "unit_price": "Preis",
            "currency": "Währung",
        },
    }  # fmt: skip
    with rc.open("memory://") as crm:
        zoe = crm.parties.add(Person(name="Zoë", emails=["zoe@cafe.example"]))
        if encoding == "cp1252":  # an address cp1252 can hold and the domain check accepts
            text = text.replace("zoë@café.example", "zoe@cafe.example")
            csv = _write(tmp_path / "orders.csv", text + "\r\n", encoding)
        else:
            with pytest.raises(ImportRejectedError):
                import_csv(crm, csv, "orders", mapping=mapping)
            text = text.replace("zoë@café.example", "zoe@cafe.example")
            csv = _write(tmp_path / "orders.csv", text + "\r\n", encoding)
        report = import_csv(crm, csv, "orders", mapping=mapping)
        assert report.created == 1
        order = crm.repository(Order).get("shop:A-1")
        assert order.party_id == zoe.id
        assert order.lines[0].description == "Crème brûlée"
        assert order.lines[0].unit_price == rc.Money(Decimal("1234.50"), "EUR")
        assert order.total == rc.Money(Decimal("2469.00"), "EUR")
        assert order.placed_at == datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))
        assert order.placed_at.utcoffset() is not None


def test_an_order_for_an_unknown_party_stops_and_resumes(tmp_path: Path, url: str) -> None:
    lines = ["id,party_email,placed_at,unit_price,currency"]
    lines += [
        f"{i},p{i % 3}@example.com,2026-01-0{1 + i % 9}T10:00:00+01:00,9.99,GBP" for i in range(10)
    ]
    lines[8] = "7,ghost@example.com,2026-01-05,1,GBP"
    csv = _write(tmp_path / "orders.csv", "\n".join(lines) + "\n")
    with rc.open(url) as crm:
        for i in range(3):
            crm.parties.add(Person(name=f"P{i}", emails=[f"p{i}@example.com"]))
        with pytest.raises(ImportStoppedError) as caught:
            import_csv(crm, csv, "orders", batch_size=3)
        assert (caught.value.line, caught.value.stored) == (8, 6)
        assert "ghost@example.com" in str(caught.value)
        assert "line 9" in str(caught.value)
        assert crm.repository(Order).count() == 6
        crm.parties.add(Person(name="Ghost", emails=["ghost@example.com"]))
        report = import_csv(crm, csv, "orders", batch_size=3)
        assert (report.resumed_from, report.created) == (6, 4)
        assert crm.repository(Order).count() == 10
        totals = sum((o.total.amount for o in crm.repository(Order).iterate()), Decimal(0))
        assert totals == Decimal("9.99") * 9 + 1


def test_interactions_are_logged_on_the_live_engagement(tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "i.csv",
        "id,email,occurred_at,channel,summary,direction\n"
        "c1,ada@example.com,2026-02-01 10:00,call,Renewal talk,inbound\n"
        "c2,ada@example.com,2026-02-03 10:00,,Sent the proposal,\n",
    )
    with rc.open("memory://", clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada", emails=["ada@example.com"]))
        with crm.unit_of_work() as uow:
            deal = uow.engagements.add(
                Engagement.start(
                    ada, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
                )
            )
        report = import_csv(crm, csv, "interactions", mapping={"time_zone": "Europe/London"})
        assert report.created == 2
        logged = crm.interactions.of_engagement(deal.id).items
        assert [(i.id, i.channel.value, i.direction.value) for i in logged] == [
            ("csv:c1", "call", "inbound"),
            ("csv:c2", "email", "outbound"),
        ]
        names = [e.name for _, e in crm.events.read(limit=1000)]
        assert names.count("interaction.logged") == 2
        again = import_csv(crm, csv, "interactions", restart=True)
        assert (again.created, again.unchanged) == (0, 2)


def test_custom_fields_are_typed_by_the_business_definitions(tmp_path: Path) -> None:
    mapping_file = tmp_path / "legacy.toml"
    mapping_file.write_text(
        'source = "legacy"\nparty_kind = "organisation"\ndate_format = "%d.%m.%Y"\n'
        'decimal_mark = ","\ncurrency = "CHF"\n'
        '[columns]\nsource_id = "Kundennr"\nname = "Firma"\n'
        '[custom_fields]\n"Branche" = "industry"\n"Umsatz" = "revenue"\n"Seit" = "since"\n'
        '[[definitions]]\nkey = "industry"\ntype = "choice"\nchoices = ["retail", "legal"]\n'
        '[[definitions]]\nkey = "revenue"\ntype = "money"\n'
        '[[definitions]]\nkey = "since"\ntype = "date"\n',
        encoding="utf-8",
    )
    good = _write(
        tmp_path / "k.csv",
        "Kundennr;Firma;Branche;Umsatz;Seit\n1;Acme AG;retail;1.500,25;03.02.2024\n",
    )
    bad = _write(
        tmp_path / "b.csv", "Kundennr;Firma;Branche;Umsatz;Seit\n1;Acme AG;mining;x;32.13.2024\n"
    )
    with rc.open("memory://") as crm:
        with pytest.raises(ImportRejectedError) as caught:
            import_csv(crm, bad, "parties", mapping=mapping_file)
        # Every bad cell of the row, not only the first.
        problems = [(p.line, p.column, p.value) for p in caught.value.problems]
        assert problems == [(2, "Branche", "mining"), (2, "Umsatz", "x"), (2, "Seit", "32.13.2024")]
        assert "1 invalid row(s) (3 bad cell(s)), nothing stored" in str(caught.value)
        import_csv(crm, good, "parties", mapping=mapping_file)
        acme = crm.parties.get("legacy:1")
        assert isinstance(acme, Organisation)
        assert acme.custom_fields == {
            "industry": "retail",
            "revenue": rc.Money(Decimal("1500.25"), "CHF"),
            "since": date(2024, 2, 3),
        }


def test_clickup_list_export(url: str) -> None:
    with rc.open(url) as crm:
        report = import_csv(crm, DATA / "clickup-list.csv", "parties", preset="clickup-list")
        assert report.created == 2
        umbrella = crm.parties.get("clickup:86abc1")
        assert isinstance(umbrella, Organisation)
        assert umbrella.tags == frozenset({"vip", "retail"})
        assert str(umbrella.email) == "info@umbrella.example"


def test_mappings_are_checked() -> None:
    with pytest.raises(ValidationError, match="unknown key"):
        load_mapping({"kind": "parties", "colums": {}})
    with pytest.raises(ValidationError, match="not a field of parties"):
        ImportMapping(kind="parties", columns={"price": "Price"})
    with pytest.raises(ValidationError, match="imports contacts"), rc.open("memory://") as crm:
        import_csv(crm, DATA / "hubspot-contacts.csv", "parties", preset="hubspot-contacts")
    assert {m.kind for m in PRESETS.values()} == {"contacts", "parties"}
    header = ("RECORD id", "first_name", "Email")
    assert PRESETS["hubspot-contacts"].locate(header) == {
        "source_id": 0,
        "first_name": 1,
        "email": 2,
    }


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.sampled_from([".", ","]),
)
def test_decimals_read_back_exactly_with_thousands_separators(number: Decimal, mark: str) -> None:
    text = f"{number:,.2f}"
    if mark == ",":
        text = text.replace(",", " ").replace(".", ",")
    assert parse_decimal("price", text, mark) == number


_CELL = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30) | st.sampled_from(
    ["", "2026-03-02", "1764669600000", "12,50", "EUR", "call", "a@b.example", "Europe/Paris"]
)


@pytest.mark.parametrize("kind", ["parties", "contacts", "orders", "interactions"])
@given(cells=st.lists(_CELL, min_size=0, max_size=12))
def test_any_cell_text_gives_a_draft_or_a_validation_error(kind: str, cells: list[str]) -> None:
    from relationship_core._import.mapping import FIELDS
    from relationship_core._import.rows import RowParser

    header = FIELDS[kind][:12]
    mapping = ImportMapping(kind=kind, currency="EUR")
    parser = RowParser(mapping, header, "0" * 64)
    problem: ValidationError | None = None
    try:
        parser.parse(2, cells)
    except ValidationError as error:
        problem = error
    if problem is not None:
        assert problem.field in header


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_finds_its_columns_in_the_vendors_header(preset: str) -> None:
    from relationship_core._import.source import read_source

    header = read_source(DATA / f"{preset}.csv").header
    located = PRESETS[preset].locate(header)
    assert set(located) == set(PRESETS[preset].columns)


_ANYTHING = st.none() | st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2)


@given(
    field=st.sampled_from(
        ["source", "columns", "custom_fields", "definitions", "party_kind", "time_zone",
         "currency", "date_format", "decimal_mark", "channel", "kind"]
    ),
    value=_ANYTHING,
)  # fmt: skip
def test_a_mapping_refuses_wrong_values_with_a_validation_error(field: str, value: object) -> None:
    settings: dict[str, object] = {"kind": "parties", field: value}
    try:
        mapping = ImportMapping(**settings)  # type: ignore[arg-type]
    except ValidationError:
        return
    with rc.open("memory://") as crm, contextlib.suppress(RelationshipCoreError):
        import_csv(crm, DATA / "hubspot-companies.csv", "parties", mapping=mapping)


@given(
    argument=st.sampled_from(["path", "batch_size", "skip_invalid", "restart", "encoding",
                              "delimiter", "progress", "preset", "kind"]),
    value=_ANYTHING,
)  # fmt: skip
def test_import_csv_refuses_wrong_arguments_with_our_errors(argument: str, value: object) -> None:
    arguments: dict[str, object] = {"path": DATA / "clickup-list.csv", "kind": "parties"}
    arguments[argument] = value
    with rc.open("memory://") as crm, contextlib.suppress(RelationshipCoreError):
        import_csv(crm, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("keep", [0, 1, 10_000])
def test_long_files_are_parsed_again_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: int
) -> None:
    from relationship_core._import import api

    monkeypatch.setattr(api, "KEEP_DRAFTS", keep)
    lines = ["id,name,email,tags"] + [f"{i},P{i},p{i}@example.com,t{i % 3}" for i in range(7)]
    csv = _write(tmp_path / "p.csv", "\n".join([*lines, "3,Twice,x@example.com,"]) + "\n")
    with rc.open("memory://") as crm:
        report = import_csv(crm, csv, "parties", batch_size=3, skip_invalid=True)
        assert (report.created, len(report.skipped)) == (7, 1)
        assert sorted(p.name for p in crm.parties.iterate()) == [f"P{i}" for i in range(7)]


def test_every_bad_cell_of_a_row_is_reported_once(tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "cells.csv",
        "id,name,email,time_zone,locale\n"
        "1,,not-an-address,Mars/Olympus,??\n"
        "2,Bo,bo@example.com,,\n"
        "3,Cy,cy@@example,UTC,\n",
    )
    with rc.open("memory://") as crm:
        with pytest.raises(ImportRejectedError) as caught:
            import_csv(crm, csv, "parties")
        problems = [(p.line, p.column, p.value) for p in caught.value.problems]
        assert problems == [
            (2, "name", ""),
            (2, "email", "not-an-address"),
            (2, "time_zone", "Mars/Olympus"),
            (2, "locale", "??"),
            (4, "email", "cy@@example"),
        ]
        assert "2 invalid row(s) (5 bad cell(s))" in str(caught.value)
        report = import_csv(crm, csv, "parties", skip_invalid=True)
        assert report.created == 1
        assert "2 invalid row(s) skipped" in str(report)
