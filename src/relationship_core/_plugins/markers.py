"""The hook markers and the hook specifications (kept free of heavy imports).

Two families of hooks: STORAGE (backends chosen by URL scheme) and FEATURES
(kinds, event types, event handlers, job handlers, rule actions, notification
channels). The library's own parts register through the feature hooks exactly
as a third-party feature package does; `relationship_core.open` wires what
they contribute into each store it opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from relationship_core._app.mapping import KindMapping
    from relationship_core._domain.events import DomainEvent
    from relationship_core._plugins.specs import (
        EventHandlerSpec,
        JobHandlerSpec,
        NotificationChannelSpec,
        RuleActionSpec,
        StorageBackendSpec,
    )
    from relationship_core._privacy.spec import RedactorSpec

__all__ = ["PROJECT", "HookSpecs", "hookimpl", "hookspec"]

#: The one project string: hook markers, the PluginManager and the entry-point group.
PROJECT = "relationship_core"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class HookSpecs:
    """The hooks a relationship_core plugin may implement."""

    @hookspec
    def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:  # type: ignore[empty-body]
        """Contribute storage backends, each chosen by the scheme of a storage URL.

        Called once, when the plugin manager first needs the backends. Return
        the backends this plugin offers; each names the URL schemes it serves
        and a factory building it from the parsed URL and the declared kinds.
        Import heavy drivers inside the factory, not at module level, so that
        merely installing the plugin costs nothing.

        Returns:
            A sequence of `StorageBackendSpec`
            (possibly empty). Two plugins offering the same scheme make
            opening any store fail with ``DuplicateBackendError`` naming both.

        Example plugin (a module listed under the ``relationship_core``
        entry-point group)::

            from relationship_core.plugins import StorageBackendSpec, hookimpl

            def _open(url, schema):
                from my_package.backend import MyBackend  # lazy
                return MyBackend(url.path, schema)

            @hookimpl
            def relationship_core_storage_backends():
                return [StorageBackendSpec("mine", ("mine",), _open)]
        """

    @hookspec
    def relationship_core_kinds(self) -> Sequence[KindMapping[Any]]:  # type: ignore[empty-body]
        """Contribute record kinds: how this feature's aggregates are stored.

        Called when a store is opened. Each `KindMapping` names its kind,
        class, indexed fields, layout version with upgrades, and the references
        to other kinds the unit of work checks at commit.

        Returns:
            A sequence of `KindMapping`. Two plugins contributing one kind name
            make opening a store fail with ``DuplicateContributionError`` naming both.

        Example plugin::

            import attrs
            from relationship_core import KindMapping
            from relationship_core.plugins import hookimpl

            @attrs.define
            class Note:
                id: str
                party_id: str
                text: str

            NOTES = KindMapping("note", Note, indexed={"party_id": ("str", lambda n: n.party_id)},
                                references={"party_id": "party"})

            @hookimpl
            def relationship_core_kinds():
                return [NOTES]
        """

    @hookspec
    def relationship_core_event_types(self) -> Sequence[type[DomainEvent]]:  # type: ignore[empty-body]
        """Contribute domain event classes, known by their ``name`` class attribute.

        The event log of a store rebuilds the events whose names its plugins
        contribute; an event no installed plugin knows reads as `UnknownEvent`
        (name and data), so uninstalling a feature never makes the log unreadable.
        A class may declare ``schema_version`` and ``upcasters``
        (``{N: fn}`` turning version-N data into N + 1) for events stored by older code.

        Returns:
            A sequence of `DomainEvent` subclasses. Two plugins contributing one
            event name fail with ``DuplicateContributionError`` naming both.

        Example plugin::

            from typing import ClassVar
            import attrs
            from relationship_core import DomainEvent
            from relationship_core.plugins import hookimpl

            @attrs.frozen(kw_only=True)
            class NoteAdded(DomainEvent):
                name: ClassVar[str] = "note.added"
                party_id: str

            @hookimpl
            def relationship_core_event_types():
                return [NoteAdded]
        """

    @hookspec
    def relationship_core_event_handlers(self) -> Sequence[EventHandlerSpec]:  # type: ignore[empty-body]
        """Contribute event handlers: reactions run inside the unit of work that recorded the event.

        A handler gets the event and the unit of work: it may read and change
        aggregates through the unit of work's repositories, ``uow.enqueue`` jobs
        and ``uow.publish`` further events; all of it commits with the change
        that caused it, or none of it does. Work that is slow or leaves the store
        (e-mail, webhooks) belongs in a job the handler enqueues.

        Returns:
            A sequence of `EventHandlerSpec` (unique names; event ``"*"`` for every event).

        Example plugin::

            from relationship_core.plugins import EventHandlerSpec, NewJob, hookimpl

            def welcome(event, uow):
                uow.enqueue(NewJob("email.welcome", {"party_id": event.party_id},
                                   event.occurred_at, idempotency_key=f"welcome:{event.aggregate_id}"))

            @hookimpl
            def relationship_core_event_handlers():
                return [EventHandlerSpec("mine.welcome", "engagement.started", welcome)]
        """

    @hookspec
    def relationship_core_job_handlers(self) -> Sequence[JobHandlerSpec]:  # type: ignore[empty-body]
        """Contribute job handlers, one per queue; the job runner calls them with claimed jobs.

        Returns:
            A sequence of `JobHandlerSpec`. Two plugins handling one queue fail
            with ``DuplicateContributionError`` naming both.

        Example plugin::

            from relationship_core.plugins import JobHandlerSpec, hookimpl

            def send_welcome(job, uow):
                ...  # send it; carry job.idempotency_key to the mail service

            @hookimpl
            def relationship_core_job_handlers():
                return [JobHandlerSpec("email.welcome", send_welcome)]
        """

    @hookspec
    def relationship_core_rule_actions(self) -> Sequence[RuleActionSpec]:  # type: ignore[empty-body]
        """Contribute actions automation rules may take, by name.

        The rule engine (a later feature) defines the action signature; the
        names are looked up like every other contribution.

        Returns:
            A sequence of `RuleActionSpec`.

        Example plugin::

            from relationship_core.plugins import RuleActionSpec, hookimpl

            @hookimpl
            def relationship_core_rule_actions():
                return [RuleActionSpec("tag_party", lambda *args, **kwargs: None)]
        """

    @hookspec
    def relationship_core_notification_channels(self) -> Sequence[NotificationChannelSpec]:  # type: ignore[empty-body]
        """Contribute notification channels (e-mail, chat, webhooks), by name.

        The notifier (a later feature) defines the ``send`` signature.

        Returns:
            A sequence of `NotificationChannelSpec`.

        Example plugin::

            from relationship_core.plugins import NotificationChannelSpec, hookimpl

            @hookimpl
            def relationship_core_notification_channels():
                return [NotificationChannelSpec("chat", lambda *args, **kwargs: None)]
        """

    @hookspec
    def relationship_core_redactors(self) -> Sequence[RedactorSpec]:  # type: ignore[empty-body]
        """Contribute how this feature's kinds are redacted when a party is erased.

        `relationship_core.privacy.erase_party` scrubs every record that refers
        to the party (the mappings' ``references``, followed transitively) and
        every record mentioning its name, e-mail addresses or phone numbers:
        each such string is replaced whole. A kind holding other personal data
        (free text such as notes, complaint bodies) names those ``fields`` (emptied
        in its records about the party and in their events), gives a ``redact``
        function, or asks for ``delete=True``; records the law requires keeping
        say ``accounting=True``. See docs/privacy.md.

        Returns:
            A sequence of `RedactorSpec`. Two plugins contributing one kind fail with
            ``DuplicateContributionError`` naming both.

        Example plugin::

            from relationship_core.plugins import hookimpl
            from relationship_core.privacy import RedactorSpec

            @hookimpl
            def relationship_core_redactors():
                return [RedactorSpec("note", fields=("text",))]
        """
