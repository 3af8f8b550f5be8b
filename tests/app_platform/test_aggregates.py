"""Whole aggregates: children saved with their parent, references checked, ids not reused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import relationship_core as rc
from relationship_core import Engagement, Interaction, ManualClock, Party, Person
from relationship_core.exceptions import ConflictError, DuplicateIdError, ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _start(party: Party | str) -> Engagement:
    return Engagement.start(
        party, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
    )


def test_an_interaction_logged_on_an_engagement_is_saved_with_it(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        ada = crm.parties.add(Person(name="Ada"))
        deal = _start(ada)
        call = deal.log_interaction("call", at=T0, summary="kick-off")
        crm.engagements.add(deal)  # no separate interactions.add
        assert crm.interactions.last_contact(deal.id) == T0
        assert crm.interactions.get(call.id) == call
        names = [e.name for _, e in crm.events.read()]
        # The lifecycle feature's handler moves Ada to "customer" in the same commit.
        assert names == ["engagement.started", "interaction.logged", "lifecycle.stage_changed"]
        # Adding it explicitly too is harmless: the same object is tracked once.
        later = crm.engagements.get(deal.id)
        with crm.unit_of_work() as uow:
            uow.engagements.update(later)
            uow.interactions.add(later.log_interaction("email", at=T0.replace(hour=10)))
        assert crm.interactions.of_engagement(deal.id).items[-1].channel.value == "email"


def test_a_dangling_reference_is_refused_and_nothing_is_written(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        deal = _start("P-nobody")
        with pytest.raises(ValidationError) as info:
            crm.engagements.add(deal)
        assert info.value.field == "engagement.party_id"
        assert info.value.value == "P-nobody"
        assert "save the party first" in str(info.value)
        assert crm.engagements.find(deal.id) is None
        assert crm.events.read() == []
        stray = Interaction(
            engagement_id="E-none", party_id="P-none", channel="call", occurred_at=T0
        )
        with pytest.raises(ValidationError, match=r"interaction\.(engagement|party)_id"):
            crm.interactions.add(stray)


def test_objects_added_in_the_same_unit_of_work_count(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        with crm.unit_of_work() as uow:
            ada = uow.add(Person(name="Ada"))
            uow.engagements.add(_start(ada))
        assert len(crm.engagements.of_party(ada.id)) == 1


def test_adding_an_id_that_is_taken_says_so(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        crm.parties.add(Person(id="P1", name="Ada"))
        with pytest.raises(DuplicateIdError) as info:
            crm.parties.add(Person(id="P1", name="Someone else"))
        assert isinstance(info.value, ConflictError)
        assert "id is taken" in str(info.value)
        assert "re-read" not in str(info.value)
        assert crm.parties.get("P1").name == "Ada"
        # A stale update still gets the re-read advice.
        first, second = crm.parties.get("P1"), crm.parties.get("P1")
        first.tag("a")
        crm.parties.update(first)
        second.tag("b")
        with pytest.raises(ConflictError, match="re-read") as stale:
            crm.parties.update(second)
        assert not isinstance(stale.value, DuplicateIdError)
