"""What repositories and units of work need from an open store: the `Session` protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from relationship_core._app.bus import EventBus
from relationship_core._app.envelope import EventTypes
from relationship_core._app.mapping import MappingRegistry
from relationship_core._domain.actor import Actor
from relationship_core._domain.events import DomainEvent
from relationship_core._storage.contract import NewJob
from relationship_core._storage.protocols import StorageBackend

if TYPE_CHECKING:
    from relationship_core._app.repository import Known
    from relationship_core._app.uow import UnitOfWork

__all__ = ["JobRule", "Session"]

#: Deprecated (0.2) outbox hook: the jobs a batch of committed domain events causes.
JobRule = Callable[[Sequence[DomainEvent]], Iterable[NewJob]]


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
