"""The event envelope: id, causation, correlation, actor and schema version of every event.

The envelope is stored under the reserved key ``"_envelope"`` of the event's
data, so the storage contract does not change; reading strips it again. Events
stored by 0.1 (no envelope) read with defaults: no id, no causation or
correlation, the system as actor, schema version 1.

`EventTypes` is a store's name -> class table (built from the feature plugins):
it upcasts older stored versions and reads a name nobody knows as `UnknownEvent`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from relationship_core import _serialize
from relationship_core._domain.actor import Actor
from relationship_core._domain.events import DomainEvent, UnknownEvent
from relationship_core._storage.contract import StoredEvent
from relationship_core.exceptions import SchemaError, ValidationError

__all__ = ["ENVELOPE_KEY", "Envelope", "EventTypes", "LoggedEvent"]

#: Reserved key of the stored event data holding the envelope.
ENVELOPE_KEY = "_envelope"


@attrs.frozen
class Envelope:
    """What the log knows about an event besides its data.

    Attributes:
        id: The event's own id (a ULID from the store's id generator; sorts by time).
            ``None`` for events stored before 0.2.
        causation_id: The event, command or job that caused it.
        correlation_id: The id shared by everything one command set off.
        actor: Who did it.
        schema_version: Version of the event data as stored.
    """

    id: str | None = None
    causation_id: str | None = None
    correlation_id: str | None = None
    actor: Actor = attrs.field(factory=Actor.system)
    schema_version: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, as stored."""
        return {
            "id": self.id,
            "causation_id": self.causation_id,
            "correlation_id": self.correlation_id,
            "actor": self.actor.to_dict(),
            "schema_version": self.schema_version,
        }

    @classmethod
    def from_dict(cls, data: object) -> Envelope:
        """Inverse of `to_dict` (``None``: the defaults of events stored before 0.2)."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValidationError("_envelope", data, "expected the stored event envelope")
        version = data.get("schema_version", 1)
        return cls(
            data.get("id"),
            data.get("causation_id"),
            data.get("correlation_id"),
            Actor.from_dict(data["actor"]) if data.get("actor") else Actor.system(),
            version if isinstance(version, int) else 1,
        )


@attrs.frozen
class LoggedEvent:
    """One event read from the log, with its position and envelope.

    Attributes:
        seq: Position in the log.
        event: The rebuilt event (`UnknownEvent` if no installed plugin knows its name).
        envelope: Id, causation, correlation, actor, schema version.
        aggregate_kind: Kind of the aggregate that recorded it.
    """

    seq: int
    event: DomainEvent
    envelope: Envelope
    aggregate_kind: str = ""


def pack(data: Mapping[str, Any], envelope: Envelope) -> dict[str, Any]:
    """Event data with its envelope, ready to store."""
    return {**data, ENVELOPE_KEY: envelope.to_dict()}


def unpack(data: Mapping[str, Any]) -> tuple[dict[str, Any], Envelope]:
    """Stored event data split into the event's own data and its envelope."""
    body = dict(data)
    return body, Envelope.from_dict(body.pop(ENVELOPE_KEY, None))


class EventTypes:
    """A store's event classes by name: upcasts old versions, tolerates unknown names."""

    def __init__(self, classes: Iterable[type[DomainEvent]] = ()) -> None:
        self._by_name: dict[str, type[DomainEvent]] = {}
        for cls in classes:
            self.add(cls)

    def add(self, cls: type[DomainEvent]) -> None:
        """Know *cls* by its ``name`` (checking its upcasters cover every older version)."""
        if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
            raise ValidationError("event type", cls, "expected a DomainEvent subclass")
        missing = [v for v in range(1, cls.schema_version) if v not in cls.upcasters]
        if missing:
            raise ValidationError(
                f"{cls.name}.upcasters", missing, "give an upcaster from every older version"
            )
        self._by_name[cls.name] = cls

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._by_name))

    def get(self, name: str) -> type[DomainEvent] | None:
        """The class of *name*, or ``None``."""
        return self._by_name.get(name)

    def version_of(self, event: DomainEvent) -> int:
        """The schema version *event*'s class writes."""
        return type(event).schema_version

    def rebuild(self, cls: type[DomainEvent], data: Mapping[str, Any], version: int) -> DomainEvent:
        """*cls* rebuilt from *data* stored at *version*, upcast to the current version."""
        name = cls.name
        if version > cls.schema_version:
            raise SchemaError(
                f"event {name!r} was stored at version {version}, newer than this code's "
                f"{cls.schema_version}; upgrade the plugin that defines it"
            )
        body = dict(data)
        while version < cls.schema_version:
            body = cls.upcasters[version](body)
            version += 1
        return _serialize.structure(body, cls)

    def read(self, stored: StoredEvent) -> LoggedEvent:
        """One stored event rebuilt, with its envelope."""
        body, envelope = unpack(stored.data)
        cls = self._by_name.get(stored.type)
        event: DomainEvent
        if cls is None:
            event = UnknownEvent(
                aggregate_id=stored.aggregate_id,
                occurred_at=stored.occurred_at,
                event_name=stored.type,
                data=body,
            )
        else:
            event = self.rebuild(cls, body, envelope.schema_version)
        return LoggedEvent(stored.seq, event, envelope, stored.aggregate_kind)
