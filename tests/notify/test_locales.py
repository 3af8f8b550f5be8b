"""Party locales: validated tags, the fallback chain, and stored parties from before locales."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core._domain.locale import check_locale, locale_chain
from relationship_core._notify.locales import babel_locale, recipient_of
from relationship_core._storage.contract import Write
from relationship_core.exceptions import ValidationError


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("en", "en"),
        ("de_ch", "de-CH"),
        ("DE-ch", "de-CH"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("sl-rozaj", "sl-rozaj"),
    ],
)
def test_a_party_locale_is_stored_in_its_canonical_form(given: str, canonical: str) -> None:
    assert rc.Person(name="Ada", locale=given).locale == canonical


@pytest.mark.parametrize("bad", ["", "e", "english!", "de-", "de--CH", "12", "de-CH\n", 7, b"en"])
def test_a_bad_locale_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        rc.Person(name="Ada", locale=bad)
    assert (info.value.field, info.value.value) == ("locale", bad)


@given(st.from_regex(r"\A[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?\Z"))
def test_canonical_tags_are_fixed_points_and_chains_end_in_the_defaults(tag: str) -> None:
    assert check_locale("locale", tag) == tag
    assert check_locale("locale", tag.lower().replace("-", "_")) == tag
    chain = locale_chain(tag, "fr", "en")
    language = tag.split("-", maxsplit=1)[0]
    assert chain[0] == tag
    assert len(set(chain)) == len(chain)
    # every tag of the party's own chain is of its language, the language last among them
    own = chain[: chain.index(language) + 1]
    assert all(t.split("-")[0] == language for t in own)
    assert set(chain[len(own) :]) <= {"fr", "en"}
    assert {"fr", "en"} <= set(chain) | {language}


def test_the_chain_goes_from_specific_to_general_then_to_the_defaults() -> None:
    assert locale_chain("de-Latn-CH", "en") == ("de-Latn-CH", "de-CH", "de-Latn", "de", "en")
    assert locale_chain(None, "fr") == ("fr",)
    assert babel_locale("de-CH") == "de_CH"
    assert babel_locale("xx-YY", "fr") == "fr"  # unknown to Babel: the default
    assert babel_locale("de-XX") == "de"  # an unknown region: the language
    assert babel_locale(None) == "en"


def test_a_recipient_is_made_from_a_party() -> None:
    ada = rc.Person(
        name="Ada", emails=["ada@example.com"], locale="de-CH", time_zone="Europe/Zurich"
    )
    recipient = recipient_of(ada)
    assert (recipient.address, recipient.name, recipient.locale) == (
        "ada@example.com",
        "Ada",
        "de_CH",
    )
    assert recipient.time_zone.key == "Europe/Zurich"
    assert recipient_of(rc.Person(name="Bob"), default_locale="fr").locale == "fr"
    with pytest.raises(ValidationError):
        recipient_of("Ada")


@pytest.fixture
def crm(store_url: str) -> Iterator[rc.CRM]:
    store = rc.open(store_url)
    yield store
    store.close()


def test_parties_stored_before_locales_are_upgraded_on_read_and_by_migrate(crm: rc.CRM) -> None:
    with crm.unit_of_work() as uow:
        ada = uow.parties.add(rc.Person(name="Ada", emails=["ada@example.com"]))
        acme = uow.parties.add(rc.Organisation(name="Acme"))
    parties = crm.registry.get("party")
    assert parties.schema_version == 2
    # Rewrite both as the previous release wrote them: layout 1, no locale, not indexed.
    old = crm.backend.get_many("party", [ada.id, acme.id])
    writes = []
    for record in old.values():
        data = {k: v for k, v in record.data.items() if k != "locale"}
        indexed = {**record.indexed, "locale": None}
        writes.append(Write("party", record.id, data, indexed, record.version, 1))
    with crm.backend.transaction() as tx:
        tx.put_many(writes)
    assert crm.backend.get_many("party", [ada.id])[ada.id].schema_version == 1
    assert crm.parties.get(ada.id).locale is None  # read: upgraded on the fly
    summary = crm.migrate()
    assert "party: 2 upgraded to layout 2" in summary
    assert {
        r.schema_version for r in crm.backend.get_many("party", [ada.id, acme.id]).values()
    } == {2}
    with crm.unit_of_work() as uow:
        uow.parties.get(ada.id).locale = "pt-BR"
    assert [p.name for p in crm.parties.query(locale="pt-BR")] == ["Ada"]
    assert crm.migrate() == "schema up to date; nothing to migrate"
