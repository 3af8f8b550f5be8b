"""Duplicate candidates by alike names among one organisation's contacts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationship_core as rc
from relationship_core._privacy.similar import normalise_name, similar_names
from relationship_core.exceptions import ValidationError
from relationship_core.privacy import duplicates


def _people(crm: rc.CRM, org_name: str, *names: str) -> tuple[str, list[str]]:
    people = [rc.Person(name=n) for n in names]
    org = rc.Organisation(name=org_name)
    for n, person in enumerate(people):
        org.add_contact(person, title=f"Role {n}", valid_from=date(2026, 1, 1))
    with crm.unit_of_work() as uow:
        for person in people:
            uow.parties.add(person)
        uow.parties.add(org)
    return org.id, [p.id for p in people]


def test_alike_names_within_an_organisation_and_not_across(url: str) -> None:
    with rc.open(url) as crm:
        acme, (ada, ada2, ada3, grace) = _people(
            crm, "Acme", "Ada Lovelace", "Lovelace, Ada", "ADA LOVELANCE", "Grace Hopper"
        )
        _other, (ada_elsewhere,) = _people(crm, "Globex", "Ada Lovelace")
        groups = {g.key: g.party_ids for g in duplicates(crm)}
        name_groups = {k: v for k, v in groups.items() if k.startswith("name:")}
        assert name_groups == {f"name:{acme}:ada lovelace": tuple(sorted((ada, ada2, ada3)))}
        assert grace not in name_groups[f"name:{acme}:ada lovelace"]
        assert ada_elsewhere not in name_groups[f"name:{acme}:ada lovelace"]
        off = duplicates(crm, name_similarity=None)
        assert not [g for g in off if g.key.startswith("name:")]


def test_a_stricter_threshold_keeps_only_the_same_words(url: str) -> None:
    with rc.open(url) as crm:
        acme, (a, b, _c) = _people(crm, "Acme", "Ada Lovelace", "Lovelace Ada", "Ada Lovelance")
        [group] = [g for g in duplicates(crm, name_similarity=0.99) if g.key.startswith("name:")]
        assert group.party_ids == tuple(sorted((a, b)))
        assert group.key == f"name:{acme}:{normalise_name('Ada Lovelace')}"


@pytest.mark.parametrize("bad", [0, 1.5, -0.1, True, "0.9"])
def test_a_bad_threshold_is_refused(bad: object) -> None:
    with rc.open("memory://") as crm, pytest.raises(ValidationError, match="name_similarity"):
        duplicates(crm, name_similarity=bad)  # type: ignore[arg-type]


def test_normalising() -> None:
    assert normalise_name("  José  Núñez-García ") == "jose nunez garcia"
    assert similar_names("jose nunez garcia", "garcia jose nunez")
    assert not similar_names("ada lovelace", "grace hopper")
    assert not similar_names("", "")


_names = st.text(alphabet="abcdefghij ", min_size=1, max_size=30).map(normalise_name)


@given(_names, _names)
def test_similarity_is_symmetric_and_reflexive(a: str, b: str) -> None:
    assert similar_names(a, b) == similar_names(b, a)
    assert similar_names(a, a) == bool(a)
