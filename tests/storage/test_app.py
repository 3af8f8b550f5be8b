"""The application layer: mappings, repositories, the unit of work and the facade."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from relationship_core._app.facade import CRM, migrate, open_store
from relationship_core._app.kinds import DEFAULT_MAPPINGS
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.clock import ManualClock
from relationship_core._domain.engagements import (
    Channel,
    CustomerPromoted,
    Engagement,
    EngagementKind,
    EngagementStarted,
)
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.parties import Organisation, Party, Person
from relationship_core.exceptions import ConflictError, NotFoundError, SchemaError, ValidationError
from relationship_core.plugins import NewJob

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def url(request: pytest.FixtureRequest, sqlite_url: Callable[[str], str]) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return sqlite_url("app")
    pg_url = request.getfixturevalue("pg_url")
    return pg_url(f"app_{request.node.name.split('[')[0][-20:]}")  # type: ignore[no-any-return]


@pytest.fixture
def crm(url: str) -> Iterator[CRM]:
    with open_store(url, clock=ManualClock(T0)) as store:
        yield store


def _customer(party: Party, **kw: Any) -> Engagement:
    return Engagement.start(
        party, kind="customer", acquired_on=date(2026, 1, 5), at=T0, support_team="desk", **kw
    )


def test_parties_round_trip(crm: CRM) -> None:
    ada = Person(name="Ada Lovelace", emails=["ada@example.com"], tags={"vip"}, phone="+44 1")
    acme = Organisation(name="Acme Ltd")
    acme.add_contact(ada, title="CTO", valid_from=date(2025, 1, 1), decision_maker=True)
    crm.parties.add(ada)
    crm.parties.add(acme)
    got = crm.parties.get(ada.id)
    assert isinstance(got, Person)
    assert got == ada
    org = crm.parties.get(acme.id)
    assert isinstance(org, Organisation)
    assert org.contacts == acme.contacts
    assert [p.id for p in crm.parties.query(party_kind="organisation")] == [acme.id]
    assert [p.name for p in crm.parties.query(email="ada@example.com")] == ["Ada Lovelace"]
    with pytest.raises(NotFoundError):
        crm.parties.get("nobody")
    assert crm.parties.find("nobody") is None


def test_update_names_the_version_read(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    first = crm.parties.get(ada.id)
    second = crm.parties.get(ada.id)
    first.tag("vip")
    crm.parties.update(first)
    second.tag("churned")
    with pytest.raises(ConflictError) as info:
        crm.parties.update(second)
    assert (info.value.expected, info.value.actual) == (1, 2)
    assert crm.parties.get(ada.id).tags == frozenset({"vip"})
    fresh = crm.parties.get(ada.id)
    fresh.tag("churned")
    crm.parties.update(fresh)
    assert crm.parties.get(ada.id).tags == frozenset({"vip", "churned"})
    with pytest.raises(ValidationError):
        crm.parties.update(Person(name="never read"))


def test_the_deprecated_job_rule_still_enqueues_in_the_same_commit(url: str) -> None:
    caused: list[Sequence[DomainEvent]] = []

    def rule(events: Sequence[DomainEvent]) -> list[NewJob]:
        caused.append(events)
        return [
            NewJob(
                "welcome",
                {"engagement": e.aggregate_id},
                e.occurred_at,
                f"welcome:{e.aggregate_id}",
            )
            for e in events
            if isinstance(e, EngagementStarted)
        ]

    with pytest.warns(DeprecationWarning, match="job_rule"):
        store = open_store(url, clock=ManualClock(T0), job_rule=rule)
    with store as crm:
        ada = crm.parties.add(Person(name="Ada"))
        with crm.unit_of_work() as uow:
            deal = uow.engagements.add(_customer(ada))
            deal.promote_to_client(account_manager="Grace", reason="retainer signed", at=T0)
            uow.interactions.add(deal.log_interaction("call", at=T0 + timedelta(hours=1)))
        assert deal.pending_events == ()
        names = [e.name for _, e in crm.events.read()]
        # Then the lifecycle's moves the start and the promotion cause, in the same commit.
        assert names == [
            "engagement.started",
            "engagement.promoted",
            "interaction.logged",
            "lifecycle.stage_changed",
            "lifecycle.stage_changed",
        ]
        moves = [e for _, e in crm.events.read() if e.name == "lifecycle.stage_changed"]
        assert [m.to_stage for m in moves] == ["customer", "client"]  # type: ignore[attr-defined]
        [(_, promoted)] = [(s, e) for s, e in crm.events.read() if isinstance(e, CustomerPromoted)]
        assert promoted.account_manager == "Grace"
        [job] = crm.jobs.claim("w1")
        assert job.payload == {"engagement": deal.id}
        assert len(caused) == 1
        stored = crm.engagements.get(deal.id)
        assert stored.kind is EngagementKind.CLIENT


def test_failed_unit_of_work_writes_nothing(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    stale = crm.parties.get(ada.id)
    winner = crm.parties.get(ada.id)
    winner.tag("first")
    crm.parties.update(winner)
    with pytest.raises(ConflictError), crm.unit_of_work() as uow:  # noqa: PT012
        uow.engagements.add(_customer(ada))
        stale.tag("second")
        uow.parties.update(stale)
        uow.enqueue(NewJob("x", {}, T0))
    assert crm.events.read() == []
    assert list(crm.engagements.iterate()) == []
    assert crm.jobs.claim("w") == []
    with pytest.raises(RuntimeError), crm.unit_of_work() as uow:  # noqa: PT012
        uow.engagements.add(_customer(ada))
        raise RuntimeError("user code failed")
    assert list(crm.engagements.iterate()) == []


def test_unit_of_work_tracks_loaded_objects(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    with crm.unit_of_work() as uow:
        loaded = uow.parties.get(ada.id)
        assert uow.parties.get(ada.id) is loaded
        loaded.tag("tracked")
        untouched = uow.parties.query(party_kind="person").items[0]
        assert untouched is loaded
    assert crm.parties.get(ada.id).tags == frozenset({"tracked"})
    with crm.unit_of_work() as uow:
        uow.parties.get(ada.id)  # read only: no write, no version bump
    assert crm.backend.get_many("party", [ada.id])[ada.id].version == 2


def test_customers_include_clients(crm: CRM) -> None:
    people = [crm.parties.add(Person(name=f"P{i}")) for i in range(3)]
    deals = [crm.engagements.add(_customer(p)) for p in people]
    with crm.unit_of_work() as uow:
        deal = uow.engagements.get(deals[1].id)
        deal.promote_to_client(account_manager="Grace", reason="signed", at=T0)
    customers = {e.id for e in crm.engagements.of_kind("customer")}
    clients = {e.id for e in crm.engagements.of_kind(EngagementKind.CLIENT)}
    assert customers == {d.id for d in deals}
    assert clients == {deals[1].id}
    assert [e.id for e in crm.engagements.of_party(people[2].id)] == [deals[2].id]


def test_last_contact_is_derived_from_interactions(crm: CRM) -> None:
    ada = crm.parties.add(Person(name="Ada"))
    deal = crm.engagements.add(_customer(ada))
    assert crm.interactions.last_contact(deal.id) is None
    times = [T0 + timedelta(days=d) for d in (3, 1, 7, 2)]
    with crm.unit_of_work() as uow:
        live = uow.engagements.get(deal.id)
        for at in times:
            uow.interactions.add(live.log_interaction(Channel.EMAIL, at=at))
    ordered = [i.occurred_at for i in crm.interactions.of_engagement(deal.id)]
    assert ordered == sorted(times)
    assert crm.interactions.last_contact(deal.id) == max(times)
    page = crm.interactions.of_engagement(deal.id, newest_first=True, limit=2)
    assert [i.occurred_at for i in page] == sorted(times, reverse=True)[:2]
    rest = crm.interactions.of_engagement(
        deal.id, newest_first=True, limit=2, after=page.next_cursor
    )
    assert [i.occurred_at for i in rest] == sorted(times, reverse=True)[2:]


def test_job_queue_uses_the_clock(url: str) -> None:
    clock = ManualClock(T0)
    with open_store(url, clock=clock) as crm:
        jid = crm.jobs.enqueue(
            "mail", {"to": "a"}, due_at=T0 + timedelta(minutes=5), idempotency_key="k"
        )
        assert crm.jobs.enqueue("mail", {"to": "b"}, idempotency_key="k") == jid
        assert crm.jobs.claim("w") == []
        clock.advance(timedelta(minutes=5))
        [job] = crm.jobs.claim("w", lease=timedelta(seconds=30))
        retried = crm.jobs.retry(job, error="down", delay=timedelta(minutes=1))
        assert retried.due_at == clock.now() + timedelta(minutes=1)
        clock.advance(timedelta(minutes=1))
        [job] = crm.jobs.claim("w")
        crm.jobs.complete(job)
        done = crm.jobs.get(jid)
        assert done is not None
        assert done.state == "done"


def test_unknown_kind_is_refused(crm: CRM) -> None:
    with pytest.raises(ValidationError) as info:
        crm.repository("spaceship")
    assert info.value.value == "spaceship"
    with pytest.raises(ValidationError):
        crm.parties.query(("name; DROP TABLE rc_rec_party", "eq", "x"))
    with pytest.raises(ValidationError):
        crm.unit_of_work().add(object())


# -- schema versions and migrate ---------------------------------------------------------


@attrs.define
class Note:
    id: str
    title: str
    words: int = 0


def _notes_v1() -> MappingRegistry:
    def dump(note: Note) -> dict[str, Any]:
        return {"id": note.id, "heading": note.title}

    def load(data: dict[str, Any], cls: type[Note]) -> Note:
        return cls(data["id"], data["heading"])

    return MappingRegistry(
        [
            KindMapping(
                "note",
                Note,
                {"title": ("str", lambda n: n.title)},
                1,
                {},
                unstructure=dump,
                structure=load,
            )
        ]
    )


def _notes_v2() -> MappingRegistry:
    def up(data: dict[str, Any]) -> dict[str, Any]:
        return {"id": data["id"], "title": data["heading"], "words": len(data["heading"].split())}

    def dump(note: Note) -> dict[str, Any]:
        return attrs.asdict(note)

    def load(data: dict[str, Any], cls: type[Note]) -> Note:
        return cls(**data)

    return MappingRegistry(
        [
            KindMapping(
                "note",
                Note,
                {"title": ("str", lambda n: n.title), "words": ("int", lambda n: n.words)},
                2,
                {1: up},
                unstructure=dump,
                structure=load,
            )
        ]
    )


def test_migrate_upgrades_documents_and_fills_new_indexes(sqlite_url: Callable[[str], str]) -> None:
    url = sqlite_url("notes")
    with open_store(url, registry=_notes_v1()) as old:
        for i in range(7):
            old.repository("note").add(Note(f"n{i}", "hello brave new world"[: 5 + i * 2]))
    with open_store(url, registry=_notes_v2()) as new:
        # Reading an old document upgrades it on the fly...
        assert new.repository("note").get("n6").words == 4
        summary = new.migrate()
        assert "added indexed field note.words" in summary
        assert "note: 7 upgraded to layout 2" in summary
        # ...and after migrate the new index answers queries.
        assert [n.id for n in new.repository("note").query(("words", "ge", 3))] == [
            "n4",
            "n5",
            "n6",
        ]
        assert new.migrate() == "schema up to date; nothing to migrate"
    with pytest.raises(SchemaError), open_store(url, registry=_notes_v1()) as again:
        again.repository("note").get("n1")


def test_migrate_function_summarises(sqlite_url: Callable[[str], str]) -> None:
    url = sqlite_url("fresh")
    assert "created kind 'party'" in migrate(url)
    assert migrate(url) == "schema up to date; nothing to migrate"


def test_default_registry_lists_the_core_kinds() -> None:
    assert {m.kind for m in DEFAULT_MAPPINGS} >= {"party", "engagement", "interaction"}
    with pytest.raises(ValidationError):
        DEFAULT_MAPPINGS.register(KindMapping("party", Note))


@pytest.mark.parametrize("value", [0, None, 1.5, object()])
def test_in_with_something_that_is_not_a_sequence_names_the_field(value: object) -> None:
    from relationship_core.exceptions import ValidationError

    crm = open_store("memory://")
    with pytest.raises(ValidationError, match="where"):
        crm.parties.query(("name", "in", value))
