"""What repositories and units of work need from an open store: the `Session` protocol."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from relationship_core._app.bus import EventBus
from relationship_core._app.envelope import EventTypes
from relationship_core._app.logs import EventLog
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._domain.actor import Actor
from relationship_core._domain.clock import Clock
from relationship_core._domain.events import DomainEvent
from relationship_core._storage.contract import NewJob
from relationship_core._storage.protocols import StorageBackend

if TYPE_CHECKING:
    from relationship_core._app.repository import Repository
    from relationship_core._app.uow import UnitOfWork

__all__ = ["JobRule", "Known", "OpenStore", "Session"]

T = TypeVar("T")

#: Deprecated (0.2) outbox hook: the jobs a batch of committed domain events causes.
JobRule = Callable[[Sequence[DomainEvent]], Iterable[NewJob]]


class Known:
    """Versions of objects this CRM handed out, so a later update names the right one.

    Shared by every thread using the CRM, hence the lock; an entry is
    forgotten when its object is collected, but only if it is still that
    object's entry (a new object may reuse the id meanwhile).
    """

    def __init__(self) -> None:
        self._by_obj: dict[int, tuple[weakref.ref[Any], int]] = {}
        self._lock = threading.Lock()

    def remember(self, obj: object, version: int) -> None:
        key = id(obj)
        hit = self._by_obj.get(key)
        if hit is not None and hit[0]() is obj:
            # Known already (every commit re-remembers what it wrote): keep its
            # reference and callback, just move the version; no new weakref.
            with self._lock:
                if self._by_obj.get(key) is hit:
                    self._by_obj[key] = (hit[0], version)
                    return

        def forget(dead: weakref.ref[Any]) -> None:
            with self._lock:
                hit = self._by_obj.get(key)
                if hit is not None and hit[0] is dead:
                    del self._by_obj[key]

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:  # not weak-referenceable: cannot be tracked
            return
        with self._lock:
            self._by_obj[key] = (ref, version)

    def version(self, obj: object) -> int | None:
        with self._lock:
            hit = self._by_obj.get(id(obj))
        if hit is None or hit[0]() is not obj:
            return None
        return hit[1]


class Session(Protocol):
    """What repositories and units of work need from an open store (`CRM` is the one).

    Naming the need here keeps this module from importing the facade that builds on it.
    """

    @property
    def backend(self) -> StorageBackend:
        """The storage backend."""
        ...

    @property
    def registry(self) -> MappingRegistry:
        """The kinds the store knows."""
        ...

    @property
    def event_types(self) -> EventTypes:
        """The event classes the store knows."""
        ...

    @property
    def bus(self) -> EventBus:
        """The event handlers."""
        ...

    @property
    def actor(self) -> Actor:
        """The default actor of units of work."""
        ...

    @property
    def config(self) -> Mapping[str, Mapping[str, Any]]:
        """Settings per feature, as given to ``open(url, config=...)``."""
        ...

    @property
    def job_rule(self) -> JobRule | None:
        """The deprecated outbox hook."""
        ...

    @property
    def _known(self) -> Known:
        """Versions of the aggregates loaded through this store."""
        ...

    def new_id(self) -> str:
        """A new sortable id from the store's clock."""
        ...

    def unit_of_work(self, actor: Actor | None = None) -> UnitOfWork:
        """A new unit of work."""
        ...


class OpenStore(Session, Protocol):
    """What the store's own services (schedules, consumers) use of `CRM`.

    Named here so those services, which the facade hands out, need not import it.
    """

    @property
    def clock(self) -> Clock:
        """Where "now" comes from."""
        ...

    @property
    def events(self) -> EventLog:
        """The event log."""
        ...

    @overload
    def repository(self, kind: KindMapping[T]) -> Repository[T]: ...
    @overload
    def repository(self, kind: str) -> Repository[Any]: ...
    def repository(self, kind: str | KindMapping[Any]) -> Repository[Any]:
        """The repository of *kind*."""
        ...

    def unit_of_work(
        self,
        actor: Actor | None = None,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> UnitOfWork:
        """A new unit of work, caused by (and correlated with) another event if given."""
        ...
