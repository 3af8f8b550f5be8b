"""The application facade: open a store by URL, get repositories, units of work, events, jobs.

`open_store` (``relationship_core.open``) is the one composition root: it asks
the plugins for backends, kinds, event types and handlers and wires them into
the `CRM` it returns. Nothing else assembles a store.

Thread-safety: one `CRM` may be shared by the threads of a process (a web
server's workers, say); each thread opens its own units of work, which are
not to be shared. The backends serialise what they must (SQLite a connection
per thread, PostgreSQL a pool); optimistic concurrency makes racing units of
work fail with ``ConflictError`` rather than overwrite each other.

Examples:
    >>> from datetime import date, datetime, UTC
    >>> from relationship_core._domain.parties import Person
    >>> from relationship_core._domain.engagements import Engagement
    >>> with open_store("memory://") as crm:
    ...     ada = crm.parties.add(Person(name="Ada Lovelace", emails=["ada@example.com"]))
    ...     with crm.unit_of_work() as uow:
    ...         deal = Engagement.start(ada, kind="customer", acquired_on=date(2026, 1, 5),
    ...                                 at=datetime(2026, 1, 5, 9, tzinfo=UTC), support_team="desk")
    ...         _ = uow.engagements.add(deal)
    ...     [event.name for _, event in crm.events.read()]
    ['engagement.started', 'lifecycle.stage_changed']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, overload

import attrs

from relationship_core._app.bus import DEFAULT_MAX_DEPTH, EventBus
from relationship_core._app.consumers import Consumer
from relationship_core._app.engagement_repositories import (
    EngagementRepository,
    InteractionRepository,
)
from relationship_core._app.envelope import EventTypes
from relationship_core._app.features import FeatureConfig, Features, feature_config, wire
from relationship_core._app.logs import EventLog, JobQueue
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._app.repository import Repository
from relationship_core._app.schedules import Schedules
from relationship_core._app.search import PartyRepository
from relationship_core._app.session import Known
from relationship_core._app.unique_emails import enable_unique_emails
from relationship_core._app.uow import JobRule, UnitOfWork, _mapping
from relationship_core._domain.actor import Actor
from relationship_core._domain.clock import Clock, SystemClock
from relationship_core._domain.ids import IdGenerator
from relationship_core._plugins.manager import PluginManager, get_plugin_manager
from relationship_core._plugins.specs import EventHandlerSpec
from relationship_core._storage.contract import Query
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.url import StorageURL
from relationship_core.exceptions import CorruptRecordError

T = TypeVar("T")

__all__ = [
    "CRM",
    "EngagementRepository",
    "EventLog",
    "InteractionRepository",
    "JobQueue",
    "migrate",
    "open_store",
]


@attrs.define
class CRM:
    """An open store: repositories, units of work, the event log and the job queue.

    Open one with `open_store` (exported as ``relationship_core.open``)
    and close it when done (it is a context manager). One CRM may be shared
    by threads; a unit of work belongs to the thread that opened it.

    Attributes:
        backend: The storage backend.
        registry: The kinds it knows.
        clock: Where "now" comes from (job claims, retries, event ids).
        job_rule: Deprecated outbox hook (use an event handler that enqueues).
        event_types: The event classes it knows, by name.
        bus: The event handlers run in each unit of work (``crm.bus.register``).
        actor: Who units of work act for unless told (default: the system).
        features: Everything the plugins contributed (job handlers, rule actions...).
        config: Settings per feature (``open(url, config={"billing": {...}})``).
    """

    backend: StorageBackend
    registry: MappingRegistry
    clock: Clock = attrs.field(factory=SystemClock)
    job_rule: JobRule | None = None
    event_types: EventTypes = attrs.field(factory=EventTypes, kw_only=True)
    bus: EventBus = attrs.field(factory=EventBus, kw_only=True)
    actor: Actor = attrs.field(factory=Actor.system, kw_only=True)
    features: Features | None = attrs.field(default=None, kw_only=True, repr=False)
    config: FeatureConfig = attrs.field(
        factory=lambda: feature_config(None), converter=feature_config, kw_only=True, repr=False
    )
    _known: Known = attrs.field(factory=Known, init=False, repr=False)
    _ids: IdGenerator = attrs.field(init=False, repr=False)

    @_ids.default
    def _make_ids(self) -> IdGenerator:
        return IdGenerator(self.clock)

    def new_id(self) -> str:
        """A new ULID from this store's clock (event ids, unit-of-work ids)."""
        return self._ids()

    @property
    def parties(self) -> PartyRepository:
        """People and organisations (with `PartyRepository.search`)."""
        return PartyRepository(self, self.registry.get("party"))

    @property
    def engagements(self) -> EngagementRepository:
        """Client and customer engagements."""
        return EngagementRepository(self, self.registry.get("engagement"))

    @property
    def interactions(self) -> InteractionRepository:
        """Contacts with parties."""
        return InteractionRepository(self, self.registry.get("interaction"))

    @overload
    def repository(self, kind: type[T]) -> Repository[T]: ...
    @overload
    def repository(self, kind: KindMapping[T]) -> Repository[T]: ...
    @overload
    def repository(self, kind: str) -> Repository[Any]: ...
    def repository(self, kind: str | type[Any] | KindMapping[Any]) -> Repository[Any]:
        """The repository of a registered kind: by class or mapping it is typed.

        ``crm.repository(Retainer)`` is a ``Repository[Retainer]``;
        ``crm.repository("retainer")`` a ``Repository[Any]``.
        """
        return Repository(self, _mapping(self.registry, kind))

    @property
    def events(self) -> EventLog:
        """The event log."""
        return EventLog(self.backend, self.event_types)

    @property
    def jobs(self) -> JobQueue:
        """The job queue."""
        return JobQueue(self.backend, self.clock)

    @property
    def schedules(self) -> Schedules:
        """Durable schedules: series of jobs (``crm.schedules.start(name, queue, ...)``)."""
        return Schedules(self)

    def consumer(self, name: str) -> Consumer:
        """The stored event consumer *name*: ``crm.consumer("search").process(handler)``."""
        return Consumer(self, name)

    def unit_of_work(
        self,
        actor: Actor | None = None,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> UnitOfWork:
        """A unit of work: ``with crm.unit_of_work() as uow: ...`` commits on success.

        Every event and record version it writes carries *actor* (default: `actor`).
        """
        return UnitOfWork(self, actor, causation_id=causation_id, correlation_id=correlation_id)

    def migrate(self) -> str:
        """Bring every stored document to the current layout and re-index it; a summary.

        Records that cannot be loaded (`CorruptRecordError`) are left
        untouched and listed at the end of the summary, every one of them.
        """
        # Layout changes the backend made when it was opened, reported once.
        reported: list[str] = getattr(self.backend, "schema_changes", [])
        changes = list(reported)
        reported.clear()
        corrupt: list[CorruptRecordError] = []
        for mapping in self.registry:
            upgraded = reindexed = 0
            after = None
            while True:
                page = self.backend.query(Query(mapping.kind, limit=500, after=after))
                writes = []
                for record in page.records:
                    try:
                        obj = mapping.from_record(record)
                    except CorruptRecordError as error:
                        corrupt.append(error)  # left as it is; listed below, all of them
                        continue
                    indexed = mapping.index_values(obj)
                    old = record.schema_version < mapping.schema_version
                    if old or indexed != record.indexed:
                        writes.append(mapping.to_write(obj, record.version))
                        upgraded += old
                        reindexed += not old
                if writes:
                    with self.backend.transaction() as tx:
                        tx.put_many(writes)
                if page.next_cursor is None:
                    break
                after = page.next_cursor
            if upgraded or reindexed:
                changes.append(
                    f"{mapping.kind}: {upgraded} upgraded to layout {mapping.schema_version}, "
                    f"{reindexed} re-indexed"
                )
        if corrupt:
            changes.append(
                f"{len(corrupt)} stored record(s) cannot be loaded and were left as they are; "
                "repair or delete them:"
            )
            changes.extend(f"  {e.kind} {e.record_id!r}: {e.reason}" for e in corrupt)
        if not changes:
            return "schema up to date; nothing to migrate"
        return "\n".join(changes)

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()

    def __enter__(self) -> CRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    url: str | StorageURL,
    *,
    clock: Clock | None = None,
    registry: MappingRegistry | None = None,
    plugins: PluginManager | None = None,
    job_rule: JobRule | None = None,
    handlers: Iterable[EventHandlerSpec] = (),
    actor: Actor | None = None,
    max_event_depth: int = DEFAULT_MAX_DEPTH,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> CRM:
    """Open the store at *url* (``memory://``, ``sqlite:///crm.db``, ``postgresql://…``).

    The one composition root: the plugins' kinds, event types and event
    handlers are wired into the store returned; the schema is created or
    brought up to date on open.

    Args:
        url: Storage URL; its scheme picks the backend plugin.
        clock: Source of "now" (default: the system clock).
        registry: The kinds to store (default: every kind the plugins contribute).
        plugins: Plugin manager (default: the process-wide one).
        job_rule: Deprecated: register an event handler calling ``uow.enqueue`` instead.
        handlers: The application's own event handlers, run after the plugins'.
        actor: Who units of work act for unless told (default: the system).
        max_event_depth: Levels of events handlers may cause, one after the
            other, before the unit of work fails (default 8).
        config: Settings per feature, ``{feature: {setting: value}}``, e.g.
            ``{"billing": {"invoice_on_fulfilment": False}}``; each feature
            documents its own (its handlers read them with ``uow.config(name)``).
    """
    if job_rule is not None:
        warnings.warn(
            "open(job_rule=...) is deprecated: register an event handler that calls "
            "uow.enqueue(...) (open(url, handlers=[EventHandlerSpec(...)]))",
            DeprecationWarning,
            stacklevel=2,
        )
    manager = plugins or get_plugin_manager()
    features = wire(
        manager,
        registry=registry,
        handlers=handlers,
        max_event_depth=max_event_depth,
        config=config,
    )
    backend = manager.open_backend(url, features.registry.schema())
    return CRM(
        backend,
        features.registry,
        clock or SystemClock(),
        job_rule,
        event_types=features.event_types,
        bus=features.bus,
        actor=actor or Actor.system(),
        features=features,
        config=features.config,
    )


def migrate(url: str | StorageURL, *, unique_emails: bool = False) -> str:
    """Open *url*, migrate its schema and documents, close it; a human-readable summary.

    With *unique_emails*, also turn on the parties' unique e-mail key
    (`enable_unique_emails`); while addresses are held by more than one
    party the summary lists them and the key stays off (call
    `enable_unique_emails` for the report as a value).
    """
    if not unique_emails:
        with open_store(url) as crm:
            return crm.migrate()
    with open_store(url, config={"core": {"unique_emails": True}}) as crm:
        summary = crm.migrate()
        report = enable_unique_emails(crm)
    return "\n".join(s for s in (summary, report.summary()) if s)
