"""The event bus: handlers run inside the unit of work whose changes recorded the event.

A handler is ``handler(event, uow)``. It may read and change aggregates through
the unit of work, ``uow.enqueue`` jobs and ``uow.publish`` further events; the
events those changes record are dispatched in turn (a cascade), up to
`EventBus.max_depth` levels. State, events and jobs then commit together, or,
if any handler raises or a write conflicts, nothing is written at all.

Handlers come from the feature plugins (``relationship_core_event_handlers``)
and from the application (``open(url, handlers=[...])`` or ``crm.bus.register``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from relationship_core._domain.validators import items
from relationship_core._plugins.specs import ANY_EVENT, EventHandler, EventHandlerSpec
from relationship_core.exceptions import ValidationError

__all__ = ["DEFAULT_MAX_DEPTH", "EventBus"]

#: How many levels of events handlers may cause before the unit of work fails.
DEFAULT_MAX_DEPTH = 8


def _depth(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("max_event_depth", value, "give a positive whole number")
    return value


class EventBus:
    """Event handlers by event name (``"*"``: every event), in registration order.

    Safe to share between threads: registering copies the table, and a unit
    of work dispatches over the table as it was when it looked.

    Examples:
        >>> bus = EventBus()
        >>> _ = bus.register("engagement.started", lambda event, uow: None, name="hello")
        >>> [spec.name for spec in bus.handlers_for("engagement.started")]
        ['hello']

    Args:
        handlers: The initial handlers (names must be unique).
        max_depth: Levels of cascading events allowed (default `DEFAULT_MAX_DEPTH`).
    """

    def __init__(
        self, handlers: Iterable[EventHandlerSpec] = (), *, max_depth: int = DEFAULT_MAX_DEPTH
    ) -> None:
        self._lock = threading.Lock()
        self._specs: tuple[EventHandlerSpec, ...] = ()
        self._max_depth = _depth(max_depth)
        for spec in items("handlers", handlers):
            self.register(spec)  # type: ignore[arg-type]  # register checks it is a spec

    @property
    def max_depth(self) -> int:
        """Levels of cascading events allowed: an event caused at a deeper level fails the unit of work."""
        return self._max_depth

    @max_depth.setter
    def max_depth(self, value: int) -> None:
        self._max_depth = _depth(value)

    def register(
        self,
        event: str | EventHandlerSpec,
        handler: EventHandler | None = None,
        *,
        name: str | None = None,
    ) -> EventHandlerSpec:
        """Add a handler: ``register(spec)`` or ``register("engagement.started", fn, name=...)``.

        The name defaults to the function's qualified name; it must be unique
        on this bus (it names the handler in errors and cascade chains).
        """
        if isinstance(event, EventHandlerSpec):
            spec = event
        else:
            if handler is None:
                raise ValidationError("handler", None, "give the function to call")
            label: str = name or getattr(handler, "__qualname__", None) or repr(handler)
            spec = EventHandlerSpec(label, event, handler)
        with self._lock:
            if any(s.name == spec.name for s in self._specs):
                raise ValidationError(
                    "name", spec.name, "a handler with this name is registered already"
                )
            self._specs = (*self._specs, spec)
        return spec

    def unregister(self, name: str) -> None:
        """Remove the handler named *name* (``ValidationError`` listing the names if unknown)."""
        with self._lock:
            kept = tuple(s for s in self._specs if s.name != name)
            if len(kept) == len(self._specs):
                raise ValidationError(
                    "name", name, f"no such handler; known: {', '.join(self.names()) or 'none'}"
                )
            self._specs = kept

    def names(self) -> list[str]:
        """The registered handlers' names, in registration order."""
        return [s.name for s in self._specs]

    def handlers_for(self, event_name: str) -> tuple[EventHandlerSpec, ...]:
        """The handlers of *event_name* and of ``"*"``, in registration order."""
        specs = self._specs
        return tuple(s for s in specs if s.event in (event_name, ANY_EVENT))

    def __len__(self) -> int:
        return len(self._specs)
