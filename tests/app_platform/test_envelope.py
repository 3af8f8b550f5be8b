"""The event envelope and actors: ids, causation, correlation, who did it, versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

import attrs
import pytest

import relationship_core as rc
from relationship_core import Actor, ActorKind, DomainEvent, Engagement, ManualClock, Person
from relationship_core._app.envelope import Envelope, EventTypes
from relationship_core._app.mapping import KindMapping
from relationship_core.exceptions import SchemaError, ValidationError
from relationship_core.plugins import NewEvent, StoredEvent

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_every_event_and_record_version_carries_the_actor(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0), actor=Actor.importer("batch-7")) as crm:
        ada = crm.parties.add(Person(name="Ada"))  # the CRM's default actor
        with crm.unit_of_work(actor=Actor.person("u-42")) as uow:
            deal = Engagement.start(
                ada, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk"
            )
            uow.engagements.add(deal)
        logged, moved = crm.events.read_logged()
        assert moved.event.name == "lifecycle.stage_changed"  # the lifecycle handler's, same actor
        assert moved.envelope.actor == Actor.person("u-42")
        assert moved.envelope.causation_id == logged.envelope.id
        assert logged.envelope.actor == Actor.person("u-42")
        assert logged.envelope.causation_id == logged.envelope.correlation_id == uow.id
        assert logged.envelope.schema_version == 1
        assert len(logged.envelope.id or "") == 26  # a ULID
        party_record = crm.backend.get_many("party", [ada.id])[ada.id]
        assert KindMapping.actor_of(party_record) == Actor.importer("batch-7")
        record = crm.backend.get_many("engagement", [deal.id])[deal.id]
        assert KindMapping.actor_of(record).kind is ActorKind.PERSON
        assert crm.engagements.get(deal.id) == deal  # the reserved key is stripped on load
        stored, _ = crm.events.read_stored()
        assert stored.data["_envelope"]["actor"] == {"kind": "person", "id": "u-42"}
        assert "_envelope" not in attrs.asdict(logged.event)


def test_an_event_type_nobody_knows_reads_as_unknown_event(url: str) -> None:
    with rc.open(url, clock=ManualClock(T0)) as crm:
        with crm.backend.transaction() as tx:
            tx.append_events([NewEvent("made.up", "X1", T0, {"colour": "teal"}, "")])
        crm.parties.add(Person(name="Ada"))
        ada_party = crm.parties.query().items[0]
        with crm.unit_of_work() as uow:
            uow.engagements.add(
                Engagement.start(
                    ada_party,
                    kind="customer",
                    acquired_on=date(2026, 1, 5),
                    at=T0,
                    support_team="desk",
                )
            )
        first, second, moved = crm.events.read()
        assert moved[1].name == "lifecycle.stage_changed"
        assert isinstance(first[1], rc.UnknownEvent)
        assert (first[1].event_name, first[1].data) == ("made.up", {"colour": "teal"})
        assert (first[1].aggregate_id, first[1].occurred_at) == ("X1", T0)
        assert second[1].name == "engagement.started"
        [legacy, _, _] = crm.events.read_logged()
        assert legacy.envelope == Envelope()  # stored without an envelope: defaults


@attrs.frozen(kw_only=True)
class Renamed(DomainEvent):
    """Version 2 calls ``title`` what version 1 called ``label``."""

    name: ClassVar[str] = "test.renamed"
    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Any]] = {
        1: lambda data: {**{k: v for k, v in data.items() if k != "label"}, "title": data["label"]}
    }
    title: str


def _stored(data: dict[str, Any], version: int | None) -> StoredEvent:
    if version is not None:
        data = {**data, "_envelope": Envelope(schema_version=version).to_dict()}
    return StoredEvent(1, "test.renamed", "a", T0, data, "")


def test_older_versions_are_upcast_on_read() -> None:
    types = EventTypes([Renamed])
    body = {"aggregate_id": "a", "occurred_at": T0.isoformat()}
    old = types.read(_stored({**body, "label": "hi"}, None))  # 0.1: no envelope, version 1
    assert old.event == Renamed(aggregate_id="a", occurred_at=T0, title="hi")
    new = types.read(_stored({**body, "title": "yo"}, 2))
    assert new.event == Renamed(aggregate_id="a", occurred_at=T0, title="yo")
    with pytest.raises(SchemaError, match="newer"):
        types.read(_stored({**body, "title": "yo"}, 3))


def test_an_event_class_must_upcast_every_older_version() -> None:
    @attrs.frozen(kw_only=True)
    class Gappy(DomainEvent):
        name: ClassVar[str] = "test.gappy"
        schema_version: ClassVar[int] = 3
        upcasters: ClassVar[dict[int, Any]] = {1: dict}

    with pytest.raises(ValidationError, match="upcaster"):
        EventTypes([Gappy])


def test_actor_values_are_checked() -> None:
    with pytest.raises(ValidationError, match=r"actor\.kind"):
        Actor("robot")
    with pytest.raises(ValidationError):
        Actor.from_dict("system")
    with rc.open("memory://") as crm, pytest.raises(ValidationError, match="Actor"):
        crm.unit_of_work(actor="u-42")  # type: ignore[arg-type]
    assert Actor.system().to_dict() == {"kind": "system", "id": None}
    assert Actor.billing().kind is ActorKind.BILLING
    assert Actor.form("contact").id == "contact"
    assert Actor.rule("r").kind is ActorKind.RULE
