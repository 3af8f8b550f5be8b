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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

import attrs

from relationship_core._app.bus import DEFAULT_MAX_DEPTH, EventBus
from relationship_core._app.consumers import Consumer
from relationship_core._app.envelope import EventTypes, LoggedEvent
from relationship_core._app.features import FeatureConfig, Features, feature_config, wire
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._app.repository import Repository, Results
from relationship_core._app.schedules import Schedules
from relationship_core._app.search import PartyRepository
from relationship_core._app.session import Known
from relationship_core._app.unique_emails import enable_unique_emails
from relationship_core._app.uow import JobRule, UnitOfWork, _mapping
from relationship_core._domain.actor import Actor
from relationship_core._domain.clock import Clock, SystemClock
from relationship_core._domain.engagements import Engagement, EngagementKind, Interaction
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.ids import IdGenerator
from relationship_core._domain.validators import check_text, to_enum
from relationship_core._plugins.manager import PluginManager, get_plugin_manager
from relationship_core._plugins.specs import EventHandlerSpec
from relationship_core._storage.contract import Job, NewJob, Query, QueueStats, StoredEvent
from relationship_core._storage.protocols import StorageBackend, require_job_control
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


class EngagementRepository(Repository[Engagement]):
    """Engagements, with the client/customer rule built in."""

    def of_kind(
        self, kind: EngagementKind | str, *, limit: int = 100, after: str | None = None
    ) -> Results[Engagement]:
        """Engagements of *kind*: asking for customers includes clients (every client is one)."""
        wanted = to_enum(EngagementKind, "kind", kind)
        if wanted is EngagementKind.CUSTOMER:
            return self.query(limit=limit, after=after)
        return self.query(kind=wanted.value, limit=limit, after=after)

    def of_party(self, party_id: str) -> list[Engagement]:
        """Every engagement of one party."""
        return list(self.iterate(party_id=party_id))


class InteractionRepository(Repository[Interaction]):
    """Interactions, ordered by time; the last contact is derived from them, never stored."""

    def of_engagement(
        self,
        engagement_id: str,
        *,
        newest_first: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> Results[Interaction]:
        """The interactions of one engagement in time order."""
        return self.query(
            engagement_id=engagement_id,
            order_by="occurred_at",
            descending=newest_first,
            limit=limit,
            after=after,
        )

    def last_contact(self, engagement_id: str) -> datetime | None:
        """When the party of this engagement was last contacted, or ``None``."""
        page = self.of_engagement(engagement_id, newest_first=True, limit=1)
        return page.items[0].occurred_at if page.items else None


class EventLog:
    """The append-only log of domain events, read from a position.

    Events whose type no installed plugin knows read as `UnknownEvent`
    (name and data); older stored versions are upcast by their class.
    """

    def __init__(self, backend: StorageBackend, types: EventTypes | None = None) -> None:
        self._backend = backend
        self._types = types if types is not None else EventTypes()

    def read_stored(self, after: int = 0, limit: int = 100) -> list[StoredEvent]:
        """Stored events with ``seq > after`` as the backend keeps them (envelope included)."""
        return self._backend.read_events(after, limit)

    def read_logged(self, after: int = 0, limit: int = 100) -> list[LoggedEvent]:
        """Events with ``seq > after``, oldest first, each with its envelope."""
        return [self._types.read(e) for e in self._backend.read_events(after, limit)]

    def read(self, after: int = 0, limit: int = 100) -> list[tuple[int, DomainEvent]]:
        """``(seq, event)`` pairs with ``seq > after``, oldest first, rebuilt as domain events."""
        return [(e.seq, e.event) for e in self.read_logged(after, limit)]

    def follow(self, after: int = 0, batch: int = 100) -> Iterator[tuple[int, DomainEvent]]:
        """Every event after *after*, up to the end of the log as it is now."""
        while True:
            page = self.read(after, batch)
            yield from page
            if len(page) < batch:
                return
            after = page[-1][0]


class JobQueue:
    """The job queue, with time read from the CRM's clock."""

    def __init__(self, backend: StorageBackend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock

    def enqueue(
        self,
        queue: str,
        payload: dict[str, Any],
        *,
        due_at: datetime | None = None,
        idempotency_key: str | None = None,
        max_attempts: int = 5,
    ) -> str:
        """Enqueue one job in its own transaction; returns its id (or the existing one's)."""
        job = NewJob(queue, payload, due_at or self._clock.now(), idempotency_key, max_attempts)
        with self._backend.transaction() as tx:
            return tx.enqueue([job])[0]

    def claim(
        self,
        worker: str,
        *,
        lease: timedelta = timedelta(minutes=5),
        limit: int = 1,
        queues: Sequence[str] | None = None,
    ) -> list[Job]:
        """Lease due jobs to *worker* until now + *lease*."""
        return self._backend.claim_jobs(
            worker=worker, now=self._clock.now(), lease=lease, limit=limit, queues=queues
        )

    def complete(self, job: Job) -> None:
        """Mark a claimed job done."""
        self._backend.complete_job(job)

    def retry(self, job: Job, *, error: str, delay: timedelta = timedelta(minutes=1)) -> Job:
        """Give a job back to run again after *delay* (dead-lettered after its last attempt)."""
        return self._backend.retry_job(job, due_at=self._clock.now() + delay, error=error)

    def get(self, job_id: str) -> Job | None:
        """A job by id."""
        return self._backend.get_job(check_text("job_id", job_id))

    # Storage contract 2 (backends declaring ``job_control``).

    def stats(self) -> dict[str, QueueStats]:
        """Per queue: depth (pending, due, claimed, dead) and the oldest due job's lag."""
        return require_job_control(self._backend).job_stats(self._now())

    def list_jobs(
        self,
        *,
        states: Sequence[str] | None = None,
        queue: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Job]:
        """Jobs in *states* (e.g. ``["dead"]``) and *queue*, by id; page with *after*."""
        return require_job_control(self._backend).list_jobs(
            states=states, queue=queue, limit=limit, after=after
        )

    def requeue(self, job_id: str) -> Job:
        """Give a dead letter another full set of attempts, due now (its last error kept)."""
        return require_job_control(self._backend).requeue_job(job_id, due_at=self._now())

    def discard(self, job_id: str) -> Job:
        """Throw a dead letter away (it stays listed as ``discarded``)."""
        return require_job_control(self._backend).discard_job(job_id)

    def _now(self) -> datetime | None:
        # The system clock defers to the store's own (the database server's); others rule.
        return None if isinstance(self._clock, SystemClock) else self._clock.now()


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
