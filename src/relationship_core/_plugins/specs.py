"""The named records plugins contribute."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core._domain.validators import items
from relationship_core._storage.protocols import BackendFactory
from relationship_core._storage.schema import check_identifier
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._domain.events import DomainEvent
    from relationship_core._storage.contract import Job

__all__ = [
    "ANY_EVENT",
    "EventHandler",
    "EventHandlerSpec",
    "JobHandler",
    "JobHandlerSpec",
    "NotificationChannelSpec",
    "RuleActionSpec",
    "StorageBackendSpec",
]

#: The event name a handler subscribes to in order to see every event.
ANY_EVENT = "*"

#: ``handler(event, uow)``: reacts to one event inside the unit of work that recorded it.
EventHandler = Callable[["DomainEvent", "UnitOfWork"], None]

#: ``handler(job, uow)``: does one job in a unit of work of its own (run by the job runner).
JobHandler = Callable[["Job", "UnitOfWork"], None]


def _schemes(value: object) -> tuple[str, ...]:
    schemes = (value,) if isinstance(value, str) else tuple(items("schemes", value))
    for scheme in schemes:
        check_identifier("schemes", scheme)
    return schemes  # type: ignore[return-value]  # each checked to be an identifier


def _name(field: str) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, value, "give a non-empty name")

    return check


def _callable(field: str) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not callable(value):
            raise ValidationError(field, value, "give a function")

    return check


@attrs.frozen
class StorageBackendSpec:
    """A storage backend offered by a plugin.

    Examples:
        >>> from relationship_core._storage.memory import open_memory
        >>> StorageBackendSpec("memory", ("memory",), open_memory).schemes
        ('memory',)

    Attributes:
        name: Short name of the backend, for messages.
        schemes: URL schemes it serves (lower-case identifiers, e.g. ``"sqlite"``).
        factory: ``factory(url, schema) -> StorageBackend``; called on every open.
        description: One line for listings.
    """

    name: str
    schemes: tuple[str, ...] = attrs.field(converter=_schemes)
    factory: BackendFactory
    description: str = ""


@attrs.frozen
class EventHandlerSpec:
    """A named reaction to one event type (or ``"*"``: every event), run in the transaction.

    Examples:
        >>> spec = EventHandlerSpec("audit", "*", lambda event, uow: None)
        >>> spec.event
        '*'

    Attributes:
        name: Unique name of the handler (for errors and the cascade chain), e.g.
            ``"billing.start-retainer-on-promotion"``.
        event: The event name it reacts to, or ``"*"``.
        handler: ``handler(event, uow)``; may change aggregates through *uow*,
            ``uow.enqueue`` jobs and ``uow.publish`` further events.
    """

    name: str = attrs.field(validator=_name("name"))
    event: str = attrs.field(validator=_name("event"))
    handler: EventHandler = attrs.field(validator=_callable("handler"))


@attrs.frozen
class JobHandlerSpec:
    """The handler of one job queue (the job runner calls it with each claimed job).

    Attributes:
        queue: The queue name, e.g. ``"email.welcome"``.
        handler: ``handler(job, uow)``: does the job in a unit of work of its own.
        description: One line for listings.
    """

    queue: str = attrs.field(validator=_name("queue"))
    handler: JobHandler = attrs.field(validator=_callable("handler"))
    description: str = ""


@attrs.frozen
class RuleActionSpec:
    """An action automation rules may take, by name (the rule engine comes later).

    Attributes:
        name: The action name rules refer to, e.g. ``"tag_party"``.
        action: The function doing it; its signature is the rule engine's to define.
        description: One line for listings.
    """

    name: str = attrs.field(validator=_name("name"))
    action: Callable[..., Any] = attrs.field(validator=_callable("action"))
    description: str = ""


@attrs.frozen
class NotificationChannelSpec:
    """A way to notify people (e-mail, chat, webhook), by name (notifications come later).

    Attributes:
        name: The channel name, e.g. ``"email"``.
        send: The function sending one notification; its signature is the notifier's.
        description: One line for listings.
    """

    name: str = attrs.field(validator=_name("name"))
    send: Callable[..., Any] = attrs.field(validator=_callable("send"))
    description: str = ""
