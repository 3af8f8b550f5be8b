"""Domain events: facts that state changes record, for rules and storage to consume."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, TypeVar

import attrs

from relationship_core._domain.validators import aware
from relationship_core.exceptions import ValidationError

__all__ = ["EVENT_TYPES", "DomainEvent", "EventRecorder", "events_field", "register_event"]

E = TypeVar("E", bound="type[DomainEvent]")

#: Every registered event class by its dotted name, e.g. ``"engagement.started"``.
EVENT_TYPES: dict[str, type[DomainEvent]] = {}


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Base of all domain events.

    Attributes:
        aggregate_id: Id of the aggregate whose change produced the event.
        occurred_at: When it happened (aware).
    """

    name: ClassVar[str] = "event"

    aggregate_id: str
    occurred_at: datetime = attrs.field(validator=aware)


def register_event(name: str) -> Callable[[E], E]:
    """Class decorator: register an event class under its dotted *name*."""

    def decorate(cls: E) -> E:
        if name in EVENT_TYPES and EVENT_TYPES[name].__qualname__ != cls.__qualname__:
            raise ValidationError("name", name, f"event name already used by {EVENT_TYPES[name]}")
        cls.name = name
        EVENT_TYPES[name] = cls
        return cls

    return decorate


def events_field() -> list[DomainEvent]:
    """An attrs field holding an aggregate's pending events (not compared, not shown)."""
    return attrs.field(factory=list, init=False, repr=False, eq=False)


class EventRecorder:
    """Mixin for aggregates: collect the events their changes produce.

    An aggregate declares ``_events: list[DomainEvent] = events_field()``;
    the application layer drains it with `pull_events` when it commits
    a unit of work.
    """

    __slots__ = ()
    _events: list[DomainEvent]

    def _record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def pull_events(self) -> list[DomainEvent]:
        """Return and forget the events recorded since the last pull."""
        events = list(self._events)
        self._events.clear()
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """The events recorded and not yet pulled."""
        return tuple(self._events)
