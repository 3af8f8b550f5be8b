"""A plugin's own kind takes part in an erasure: found by its references, redacted by its hook."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import relationship_core as rc
from relationship_core import KindMapping
from relationship_core.exceptions import DuplicateContributionError, ValidationError
from relationship_core.plugins import hookimpl
from relationship_core.privacy import ERASED, RedactorSpec, erase_party, export_party


@attrs.define
class Note:
    """A note about a party: free text the default scrub cannot recognise as personal."""

    id: str
    party_id: str
    text: str
    tags: list[str]


@attrs.define
class Badge:
    """A badge naming nobody: deleted with the party all the same."""

    id: str
    holder: str


NOTES = KindMapping(
    "note",
    Note,
    indexed={"party_id": ("str", lambda n: n.party_id)},
    references={"party_id": "party"},
)
#: Not indexed: found by reading every badge.
BADGES = KindMapping("badge", Badge, references={"holder": "party"})


class NotesPlugin:
    """Two kinds and their redactors."""

    @hookimpl
    def relationship_core_kinds(self) -> list[KindMapping[Any]]:
        return [NOTES, BADGES]

    @hookimpl
    def relationship_core_redactors(self) -> list[RedactorSpec]:
        return [RedactorSpec("note", fields=("text", "tags")), RedactorSpec("badge", delete=True)]


class Clash:
    """A second redactor for the same kind."""

    @hookimpl
    def relationship_core_redactors(self) -> list[RedactorSpec]:
        return [RedactorSpec("note", fields=("text",))]


def _manager(*plugins: object) -> Any:
    pm = rc.plugins.PluginManager(entry_points=False, blocked=()).load()
    for n, plugin in enumerate(plugins):
        pm.register(plugin, name=f"privacy-test-{n}")
    return pm


def test_a_plugin_kind_is_redacted_by_its_own_rules(url: str) -> None:
    pm = _manager(NotesPlugin())
    with rc.open(url, plugins=pm) as crm:
        ann, bob = rc.Person(name="Ann Example"), rc.Person(name="Bob Other")
        with crm.unit_of_work() as uow:
            uow.add(ann)
            uow.add(bob)
            uow.add(Note("n1", ann.id, "prefers calls after six", ["vip"]))
            uow.add(Note("n2", bob.id, "prefers e-mail", ["vip"]))
            uow.add(Badge("b1", ann.id))
        assert [r["id"] for r in export_party(crm, ann.id).document["records"]["note"]] == ["n1"]
        report = erase_party(crm, ann.id, "request", plugins=pm)
        notes = crm.repository(Note)
        assert (notes.get("n1").text, notes.get("n1").tags) == (ERASED, [])
        assert (notes.get("n2").text, notes.get("n2").tags) == ("prefers e-mail", ["vip"])
        assert crm.repository(Badge).find("b1") is None
        assert report.deleted == {"badge": 1}
        assert report.redacted["note"] == 1


def test_two_redactors_for_one_kind_are_refused() -> None:
    pm = _manager(NotesPlugin(), Clash())
    with rc.open("memory://", plugins=pm) as crm:
        ann = rc.Person(name="Ann Example")
        crm.parties.add(ann)
        with pytest.raises(DuplicateContributionError, match="note"):
            erase_party(crm, ann.id, "request", plugins=pm)


def _address(_obj: object, _attr: object, value: str) -> None:
    if "@" not in value:
        raise ValidationError("to", value, "expected an address")


@attrs.define
class Letter:
    """A kind whose scrubbed text would no longer load: erasing refuses, writing nothing."""

    id: str
    party_id: str
    to: str = attrs.field(validator=_address)


LETTERS = KindMapping("letter", Letter, references={"party_id": "party"})


class LettersPlugin:
    @hookimpl
    def relationship_core_kinds(self) -> list[KindMapping[Any]]:
        return [LETTERS]


def test_a_document_that_no_longer_loads_is_refused_before_writing() -> None:
    pm = _manager(LettersPlugin())
    with rc.open("memory://", plugins=pm) as crm:
        ann = rc.Person(name="Ann Example", emails=["ann@example.org"])
        with crm.unit_of_work() as uow:
            uow.add(ann)
            uow.add(Letter("l1", ann.id, "Ann Example <ann@example.org>"))
        with pytest.raises(ValidationError, match=r"letter\.l1.*RedactorSpec"):
            erase_party(crm, ann.id, "request", plugins=pm)
        assert crm.parties.get(ann.id).name == "Ann Example"
