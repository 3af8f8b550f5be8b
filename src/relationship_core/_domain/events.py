"""Domain events: facts that state changes record, for handlers, rules and storage to consume.

An event class names itself with a ``name`` class attribute (``"engagement.started"``)
and is contributed to a store by a feature plugin's ``relationship_core_event_types``
hook. It may declare a ``schema_version`` and ``upcasters`` turning the data of
older stored versions into the current one, so the log stays readable as events
evolve. The `register_event` decorator and the process-wide `EVENT_TYPES` dict are
the 0.1 way, kept for one release.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar, Self, SupportsIndex, TypeVar

import attrs

from relationship_core._domain.validators import aware
from relationship_core.exceptions import ValidationError

__all__ = [
    "EVENT_TYPES",
    "DomainEvent",
    "EventRecorder",
    "Recorded",
    "Upcaster",
    "UnknownEvent",
    "events_field",
    "noting",
    "register_event",
]

E = TypeVar("E", bound="type[DomainEvent]")

#: Turns the data of a version-N event into version N + 1.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

#: Deprecated (0.2): every event class registered with `register_event`, by name.
#: Stores now know the event types their feature plugins contribute.
EVENT_TYPES: dict[str, type[DomainEvent]] = {}


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of all domain events.

    Class attributes:
        name: The dotted event name, e.g. ``"engagement.started"``.
        schema_version: Version of the data this class writes (default 1).
        upcasters: ``{N: fn}`` turning stored version-N data into version N + 1.

    Attributes:
        aggregate_id: Id of the aggregate whose change produced the event.
        occurred_at: When it happened (aware).
    """

    name: ClassVar[str] = "event"
    schema_version: ClassVar[int] = 1
    upcasters: ClassVar[Mapping[int, Upcaster]] = {}

    aggregate_id: str
    occurred_at: datetime = attrs.field(validator=aware)


@attrs.frozen(kw_only=True)
class UnknownEvent(DomainEvent):
    """A stored event whose type no installed plugin knows, kept readable as name and data.

    Attributes:
        event_name: The stored event name.
        data: The stored data, as JSON.
    """

    name: ClassVar[str] = "unknown"

    event_name: str
    data: dict[str, Any] = attrs.field(factory=dict)


def register_event(name: str) -> Callable[[E], E]:
    """Class decorator: name an event class and add it to `EVENT_TYPES` (deprecated).

    Give the class a ``name`` class attribute and contribute it through the
    ``relationship_core_event_types`` hook instead; this keeps working for one
    release (the library's own classes still use it, silently).
    """

    def decorate(cls: E) -> E:
        if not cls.__module__.startswith("relationship_core."):
            warnings.warn(
                "register_event() is deprecated: set name = ... on the class and contribute it "
                "with a relationship_core_event_types hook (see docs/plugins.md)",
                DeprecationWarning,
                stacklevel=2,
            )
        if name in EVENT_TYPES and EVENT_TYPES[name].__qualname__ != cls.__qualname__:
            raise ValidationError("name", name, f"event name already used by {EVENT_TYPES[name]}")
        cls.name = name
        EVENT_TYPES[name] = cls
        return cls

    return decorate


class Recorded(list[DomainEvent]):
    """An aggregate's pending events, and the new child aggregates its changes created.

    While a unit of work dispatches, every append is also noted in the
    dispatch's sink (`noting`), so after a handler it looks at the aggregates
    the handler changed, not at all it holds (a batch of thousands stayed
    linear in its events).
    """

    def __init__(self, events: object = ()) -> None:
        super().__init__(events)  # type: ignore[call-overload]
        self.created: list[object] = []

    def append(self, event: DomainEvent) -> None:
        super().append(event)
        _note(self)

    def extend(self, events: Iterable[DomainEvent]) -> None:
        super().extend(events)
        _note(self)

    def insert(self, index: SupportsIndex, event: DomainEvent) -> None:
        super().insert(index, event)
        _note(self)

    def __iadd__(self, events: Iterable[DomainEvent]) -> Self:  # type: ignore[override,misc]
        self.extend(events)
        return self


_sinks = threading.local()


def _note(recorded: Recorded) -> None:
    sink: list[Recorded] | None = getattr(_sinks, "sink", None)
    if sink is not None:
        sink.append(recorded)


@contextlib.contextmanager
def noting() -> Iterator[list[Recorded]]:
    """Collect, in this thread, the `Recorded` lists that gain events or children.

    Nested collections also report to the enclosing one, so an outer
    dispatch never misses what an inner one saw.
    """
    sink: list[Recorded] = []
    outer: list[Recorded] | None = getattr(_sinks, "sink", None)
    _sinks.sink = sink
    try:
        yield sink
    finally:
        _sinks.sink = outer
        if outer is not None:
            outer.extend(sink)


def events_field() -> list[DomainEvent]:
    """An attrs field holding an aggregate's pending events (not compared, not shown)."""
    return attrs.field(factory=Recorded, init=False, repr=False, eq=False)


class EventRecorder:
    """Mixin for aggregates: collect the events (and new child aggregates) their changes produce.

    An aggregate declares ``_events: list[DomainEvent] = events_field()``;
    the unit of work drains it with `pull_events` when it commits. A change
    that creates another aggregate (logging an interaction on an engagement)
    calls ``_created(child)``: the unit of work saving the parent saves the
    child too, so the log never mentions something the store does not hold.
    """

    __slots__ = ()
    _events: list[DomainEvent]

    def _record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def _recorded(self) -> Recorded:
        if not isinstance(self._events, Recorded):  # set by hand to a plain list
            object.__setattr__(self, "_events", Recorded(self._events))
        return self._events  # type: ignore[return-value]

    def _created(self, child: object) -> None:
        recorded = self._recorded()
        recorded.created.append(child)
        _note(recorded)

    def pull_events(self) -> list[DomainEvent]:
        """Return and forget the events (and new children) recorded since the last pull."""
        events = list(self._events)
        self._events.clear()
        created = getattr(self._events, "created", None)
        if created is not None:
            created.clear()
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The events recorded and not yet pulled."""
        return tuple(self._events)

    @property
    def new_children(self) -> tuple[object, ...]:
        """The aggregates this one created since the last pull (to be saved with it)."""
        return tuple(getattr(self._events, "created", ()))
