"""Who changed what: a record's history from the event log, and the log of erasures.

A store keeps each record's current version only (with the actor who wrote
it); the event log keeps every change a domain object recorded, each with the
actor of its unit of work in its envelope. `history` joins the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.actor import Actor
from relationship_core._domain.validators import check_text
from relationship_core._privacy import raw
from relationship_core.exceptions import NotFoundError

__all__ = ["Change", "Erasure", "erasures", "history"]

_BOOKKEEPING = ("aggregate_id", "occurred_at", "_envelope")


@attrs.frozen
class Change:
    """One change of a record.

    Attributes:
        seq: Position in the event log (``None``: the stored version itself).
        at: When (the event's time; ``None`` for the stored version).
        actor: Who (the unit of work's actor).
        event: The event name, or ``"version N"`` for the stored version.
        fields: The fields the change set, with their values.
    """

    seq: int | None
    at: datetime | None
    actor: Actor
    event: str
    fields: Mapping[str, Any]


def history(crm: Any, kind: str, id: str) -> list[Change]:
    """The changes of record *kind* *id*, oldest first, ending with its stored version.

    Reads the whole event log (an erasure or an audit, not a hot path).
    Raises ``NotFoundError`` when the record does not exist and never had an event.
    """
    check_text("kind", kind)
    check_text("id", id)
    mapping: KindMapping[Any] = crm.registry.get(kind)
    out: list[Change] = []
    for event in raw.all_events(crm.backend):
        if event.aggregate_id != id or event.aggregate_kind not in (kind, ""):
            continue
        envelope = event.data.get("_envelope") or {}
        actor = Actor.from_dict(envelope["actor"]) if envelope.get("actor") else Actor.system()
        fields = {k: v for k, v in event.data.items() if k not in _BOOKKEEPING}
        out.append(Change(event.seq, event.occurred_at, actor, event.type, fields))
    record = crm.backend.get_many(kind, [id]).get(id)
    if record is not None:
        data = mapping.upgrade(record)
        out.append(Change(None, None, mapping.actor_of(record), f"version {record.version}", data))
    elif not out:
        raise NotFoundError(kind, id)
    return out


@attrs.frozen
class Erasure:
    """One recorded erasure (``party.erased``): who, when, why, how much; no erased data.

    Attributes:
        seq: Position in the event log.
        party_id: The erased party.
        at: When.
        actor: Who.
        reason: Why.
        records: Records redacted or deleted, per kind.
    """

    seq: int
    party_id: str
    at: datetime
    actor: Actor
    reason: str
    records: Mapping[str, int]


def erasures(crm: Any) -> list[Erasure]:
    """Every erasure recorded in the store's event log, oldest first."""
    out = []
    for event in raw.all_events(crm.backend):
        if event.type != "party.erased":
            continue
        envelope = event.data.get("_envelope") or {}
        actor = Actor.from_dict(envelope["actor"]) if envelope.get("actor") else Actor.system()
        out.append(
            Erasure(
                event.seq,
                event.aggregate_id,
                event.occurred_at,
                actor,
                str(event.data.get("reason", "")),
                dict(event.data.get("records") or {}),
            )
        )
    return out
