"""Features as plugins: every hook, one generic lookup, one composition root, deprecations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs
import pytest

import relationship_core as rc
from relationship_core import DomainEvent, KindMapping
from relationship_core._app.uow import UnitOfWork
from relationship_core.exceptions import (
    DuplicateBackendError,
    DuplicateContributionError,
    UnknownBackendError,
    UnknownContributionError,
)
from relationship_core.plugins import (
    EventHandlerSpec,
    JobHandlerSpec,
    NotificationChannelSpec,
    PluginManager,
    RuleActionSpec,
    hookimpl,
)

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@attrs.define
class Note:
    id: str
    party_id: str
    text: str


@attrs.frozen(kw_only=True)
class NoteAdded(DomainEvent):
    name: ClassVar[str] = "note.added"
    party_id: str


NOTES: KindMapping[Note] = KindMapping(
    "note",
    Note,
    indexed={"party_id": ("str", lambda n: n.party_id)},
    references={"party_id": "party"},
)


def _count_notes(event: DomainEvent, uow: UnitOfWork) -> None:
    uow.enqueue(rc.plugins.NewJob("notes.count", {"party": event.aggregate_id}, event.occurred_at))


class NotesFeature:
    """A feature contributing through every feature hook."""

    @hookimpl
    def relationship_core_kinds(self) -> Sequence[KindMapping[Any]]:
        return [NOTES]

    @hookimpl
    def relationship_core_event_types(self) -> Sequence[type[DomainEvent]]:
        return [NoteAdded]

    @hookimpl
    def relationship_core_event_handlers(self) -> Sequence[EventHandlerSpec]:
        return [EventHandlerSpec("notes.count", "note.added", _count_notes)]

    @hookimpl
    def relationship_core_job_handlers(self) -> Sequence[JobHandlerSpec]:
        return [JobHandlerSpec("notes.count", lambda job, uow: None)]

    @hookimpl
    def relationship_core_rule_actions(self) -> Sequence[RuleActionSpec]:
        return [RuleActionSpec("add_note", lambda *a: None)]

    @hookimpl
    def relationship_core_notification_channels(self) -> Sequence[NotificationChannelSpec]:
        return [NotificationChannelSpec("carrier-pigeon", lambda *a: None)]


class Impostor:
    """Claims names the notes feature (or the core) already uses."""

    @hookimpl
    def relationship_core_job_handlers(self) -> Sequence[JobHandlerSpec]:
        return [JobHandlerSpec("notes.count", lambda job, uow: None)]

    @hookimpl
    def relationship_core_kinds(self) -> Sequence[KindMapping[Any]]:
        return [KindMapping("party", Note)]


def _manager(*plugins: tuple[str, object]) -> PluginManager:
    pm = PluginManager(entry_points=False, blocked=()).load()
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    return pm


def test_a_feature_plugin_is_wired_into_each_store(url: str) -> None:
    pm = _manager(("notes", NotesFeature()))
    with rc.open(url, plugins=pm, clock=rc.ManualClock(T0)) as crm:
        assert "note" in crm.registry
        ada = crm.parties.add(rc.Person(name="Ada"))
        with crm.unit_of_work() as uow:
            uow.add(Note("N1", ada.id, "hello"))
            uow.publish(NoteAdded(aggregate_id="N1", occurred_at=T0, party_id=ada.id), kind="note")
        assert crm.repository(Note).get("N1").text == "hello"
        [(_, event)] = crm.events.read()
        assert isinstance(event, NoteAdded)
        [job] = crm.jobs.claim("w")
        assert job.queue == "notes.count"
        assert crm.features is not None
        assert crm.features.job_handlers.get("notes.count").queue == "notes.count"
        assert "add_note" in crm.features.rule_actions.names()  # with the rules feature's built-ins
        channels = crm.features.notification_channels.names()
        assert "carrier-pigeon" in channels  # next to the built-in "notify" plugin's channels
    # Without the plugin, the same log still reads: the event becomes an UnknownEvent.
    if url != "memory://":
        with rc.open(url) as plain:
            [(_, unknown)] = plain.events.read()
            assert isinstance(unknown, rc.UnknownEvent)
            assert unknown.event_name == "note.added"


def test_duplicate_names_name_both_plugins_whatever_is_looked_up() -> None:
    pm = _manager(("notes", NotesFeature()), ("impostor", Impostor()))
    with pytest.raises(DuplicateContributionError) as info:
        pm.job_handlers().get("notes.count")
    assert set(info.value.plugins) == {"notes", "impostor"}
    assert "'notes.count'" in str(info.value)
    with pytest.raises(DuplicateContributionError) as kinds:
        rc.open("memory://", plugins=pm)
    assert set(kinds.value.plugins) == {"relationship_core.core", "impostor"}
    assert "kind 'party'" in str(kinds.value)


def test_unknown_names_list_the_known_ones_whatever_is_looked_up() -> None:
    pm = _manager(("notes", NotesFeature()))
    with pytest.raises(UnknownContributionError) as info:
        pm.job_handlers().get("nope")
    assert "notes.count" in info.value.available  # beside the built-in features' queues
    assert "'notes.count'" in str(info.value)
    with pytest.raises(UnknownContributionError, match="retainer"):
        pm.kinds().get("retainers")
    assert pm.event_types().get("note.added") is NoteAdded
    # Storage schemes are the same lookup, with their own subclasses of the errors.
    assert issubclass(UnknownBackendError, UnknownContributionError)
    assert issubclass(DuplicateBackendError, DuplicateContributionError)
    with pytest.raises(UnknownContributionError):
        pm.backend_for("nope")


def test_the_library_registers_through_the_same_hooks() -> None:
    pm = _manager()
    kinds = pm.kinds()
    assert kinds.contribution("party").plugin == "relationship_core.core"
    assert kinds.contribution("retainer").plugin == "relationship_core.billing"
    types = pm.event_types()
    assert types.contribution("engagement.started").plugin == "relationship_core.core"
    assert types.contribution("invoice.issued").plugin == "relationship_core.billing"


def test_the_0_1_registration_calls_still_work_with_a_warning(tmp_path: Any) -> None:
    @attrs.define
    class Legacy:
        id: str

    mapping = KindMapping("legacy_thing", Legacy)
    with pytest.warns(DeprecationWarning, match="register_mapping"):
        rc.register_mapping(mapping)
    with pytest.warns(DeprecationWarning, match="register_event"):

        @rc.register_event("legacy.happened")
        @attrs.frozen(kw_only=True)
        class LegacyHappened(DomainEvent):
            pass

    try:
        with rc.open("memory://") as crm:
            assert "legacy_thing" in crm.registry
            assert "legacy.happened" in crm.event_types
            crm.repository(Legacy).add(Legacy("L1"))
    finally:
        rc.EVENT_TYPES.pop("legacy.happened", None)
        from relationship_core._app.kinds import DEFAULT_MAPPINGS

        DEFAULT_MAPPINGS._by_kind.pop("legacy_thing", None)
