"""Deleting aggregates: at the version read, references checked, recorded as an event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from relationship_core._app.facade import CRM, open_store
from relationship_core._domain.clock import ManualClock
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.parties import Party, Person
from relationship_core.exceptions import ConflictError, ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def crm(any_url: str) -> Iterator[CRM]:
    url = any_url
    with open_store(url, clock=ManualClock(T0)) as store:
        yield store


def _deal(crm: CRM, party: Party) -> Engagement:
    deal = Engagement.start(
        party, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
    )
    crm.engagements.add(deal)
    return deal


def test_delete_is_recorded_as_an_event(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    crm.parties.delete(crm.parties.get(ada.id))
    assert crm.parties.find(ada.id) is None
    [stored] = [e for e in crm.events.read_stored() if e.type == "party.deleted"]
    assert (stored.aggregate_id, stored.aggregate_kind, stored.data["version"]) == (
        ada.id,
        "party",
        1,
    )


def test_a_stale_delete_conflicts_and_deletes_nothing(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    old = crm.parties.get(ada.id)
    newer = crm.parties.get(ada.id)
    newer.tag("vip")
    crm.parties.update(newer)
    with pytest.raises(ConflictError):
        crm.parties.delete(old)
    assert crm.parties.get(ada.id).tags == {"vip"}
    assert not [e for e in crm.events.read_stored() if e.type == "party.deleted"]


def test_references_refuse_naming_the_referrers(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    deal = _deal(crm, ada)
    with pytest.raises(ValidationError, match=f"engagement {deal.id!r}") as err:
        crm.parties.delete(crm.parties.get(ada.id))
    assert err.value.value == ada.id
    assert crm.parties.get(ada.id) is not None
    assert crm.engagements.get(deal.id) is not None


def test_cascade_deletes_the_referrers_in_one_unit_of_work(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    deal = _deal(crm, ada)
    with crm.unit_of_work() as uow:
        live = uow.engagements.get(deal.id)
        uow.interactions.add(live.log_interaction("call", at=T0))
    with crm.unit_of_work() as uow:
        uow.parties.delete(uow.parties.get(ada.id), cascade=True)
    assert crm.parties.find(ada.id) is None
    assert crm.engagements.find(deal.id) is None
    assert crm.interactions.count() == 0
    names = {e.type for e in crm.events.read_stored()}
    assert {"party.deleted", "engagement.deleted", "interaction.deleted"} <= names


def test_adding_a_referrer_to_a_deleted_record_is_refused(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))

    def delete_then_refer() -> None:
        with crm.unit_of_work() as uow:
            uow.parties.delete(uow.parties.get(ada.id))
            uow.engagements.add(
                Engagement.start(
                    ada, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="d"
                )
            )

    with pytest.raises(ValidationError, match="deleted in this unit of work"):
        delete_then_refer()
    assert crm.parties.get(ada.id) is not None


def test_rolled_back_delete_deletes_nothing(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))

    def delete_then_fail() -> None:
        with crm.unit_of_work() as uow:
            uow.parties.delete(uow.parties.get(ada.id))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert crm.parties.get(ada.id) is not None


def test_an_object_not_read_here_cannot_be_deleted(crm: CRM) -> None:
    with pytest.raises(ValidationError, match="get\\(\\) it first"):
        crm.parties.delete(Person(name="Stranger"))
