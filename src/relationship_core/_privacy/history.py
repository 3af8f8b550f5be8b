"""Who changed what: a record's versions (and its events), and the log of erasures.

Every record version carries the actor of the unit of work that wrote it
(``_actor``) and when (``_written_at``); a backend with the ``versions``
capability keeps every replaced and deleted version (layout 6,
``rc_versions``). `history` reads them back oldest first and computes, at
read time, which fields each version changed by diffing consecutive
documents (brought to today's layout first), so the write path only copies
rows. The record's events (each with the actor in its envelope) are merged in
by time unless ``events=False``; they say *why* (``deal.won``), the versions
say *what*.

A backend without ``versions`` shows what it can: the current version (its
changes computed against nothing) and the events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from relationship_core._app.mapping import ACTOR_KEY, WRITTEN_AT_KEY, KindMapping
from relationship_core._domain.actor import Actor
from relationship_core._domain.validators import check_text
from relationship_core._privacy import raw
from relationship_core._storage.contract import Record
from relationship_core._storage.versions import StoredVersion
from relationship_core.exceptions import NotFoundError, SchemaError

__all__ = ["Change", "Erasure", "FieldChange", "erasures", "history"]

_BOOKKEEPING = ("aggregate_id", "occurred_at", "_envelope")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@attrs.frozen
class FieldChange:
    """One field's value before and after a version (``None``: absent, or the first version)."""

    old: Any
    new: Any


@attrs.frozen
class Change:
    """One entry of a record's history: a version of the record, or one of its events.

    Attributes:
        seq: Position in the event log (``None`` for a version).
        at: When: the event's time, or when the version was written (``None``
            for versions written before history was kept); for a deletion, when
            the record was deleted.
        actor: Who (the unit of work's actor; for a deletion, the system: the
            deleting actor is in the ``<kind>.deleted`` event).
        event: The event name; ``"version N"`` for a version, ``"deleted"``
            when the record was deleted (``version`` is the last one it had).
        fields: An event's fields; a version's whole document.
        version: The version number (``None`` for an event).
        changes: For a version, the fields it changed, with old and new values
            (every field of the first version, with old ``None``; every field,
            with new ``None``, for a deletion). Empty for an event.
    """

    seq: int | None
    at: datetime | None
    actor: Actor
    event: str
    fields: Mapping[str, Any]
    version: int | None = None
    changes: Mapping[str, FieldChange] = attrs.field(factory=dict)


def _document(mapping: KindMapping[Any], record: Record) -> dict[str, Any]:
    """The version's document in today's layout (as stored, bookkeeping aside, if it will not)."""
    try:
        return mapping.upgrade(record)
    except (SchemaError, KeyError, TypeError, ValueError, AttributeError):
        return {k: v for k, v in record.data.items() if k not in (ACTOR_KEY, WRITTEN_AT_KEY)}


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, FieldChange]:
    return {
        key: FieldChange(old.get(key), new.get(key))
        for key in sorted({*old, *new})
        if old.get(key) != new.get(key) or (key in old) != (key in new)
    }


def _versions(
    mapping: KindMapping[Any], kept: list[StoredVersion], current: Record | None
) -> list[Change]:
    out: list[Change] = []
    before: dict[str, Any] = {}
    for record, gone in [*((v.as_record(), v) for v in kept), (current, None)]:
        if record is None:
            continue
        doc = _document(mapping, record)
        out.append(
            Change(
                None,
                mapping.written_at_of(record),
                mapping.actor_of(record),
                f"version {record.version}",
                doc,
                record.version,
                _diff(before, doc),
            )
        )
        before = doc
        if gone is not None and gone.deleted:
            out.append(
                Change(
                    None,
                    gone.replaced_at,
                    Actor.system(),
                    "deleted",
                    {},
                    gone.version,
                    _diff(doc, {}),
                )
            )
            before = {}  # an id created again starts a new life
    return out


def _events(crm: Any, kind: str, id: str) -> list[Change]:
    out = []
    for event in raw.all_events(crm.backend):
        if event.aggregate_id != id or event.aggregate_kind not in (kind, ""):
            continue
        envelope = event.data.get("_envelope") or {}
        actor = Actor.from_dict(envelope["actor"]) if envelope.get("actor") else Actor.system()
        fields = {k: v for k, v in event.data.items() if k not in _BOOKKEEPING}
        out.append(Change(event.seq, event.occurred_at, actor, event.type, fields))
    return out


def history(crm: Any, kind: str, id: str, *, events: bool = True) -> list[Change]:
    """The versions of record *kind* *id* (and its events), oldest first.

    With ``events=True`` (the default, as before) the record's events are
    merged in by time (an event before the version its unit of work wrote) and
    the whole event log is read: an audit, not a hot path. The current stored
    version, when the record exists, is always the last entry.

    Raises ``NotFoundError`` when the record does not exist, never had a
    kept version and never had an event.
    """
    check_text("kind", kind)
    check_text("id", id)
    mapping: KindMapping[Any] = crm.registry.get(kind)
    backend = crm.backend
    current = backend.get_many(kind, [id]).get(id)
    kept: list[StoredVersion] = (
        backend.versions(kind, id) if "versions" in getattr(backend, "capabilities", ()) else []
    )
    versions = _versions(mapping, kept, current)
    logged = _events(crm, kind, id) if events else []
    if not versions and not logged:
        raise NotFoundError(kind, id)
    last = versions.pop() if current is not None else None
    out: list[Change] = []
    n = 0  # events (in log order) go before the first version written after them
    for version in versions:
        while (
            n < len(logged) and version.at is not None and (logged[n].at or _EARLIEST) <= version.at
        ):
            out.append(logged[n])
            n += 1
        out.append(version)
    out += logged[n:]
    return [*out, last] if last is not None else out


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
