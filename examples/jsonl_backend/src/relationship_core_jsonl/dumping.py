"""Dump items as journal JSON and back, for the ``load`` line (capability ``dump``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from relationship_core.plugins import (
    ConsumerPosition,
    DumpedRecord,
    DumpItem,
    Job,
    Record,
    Schema,
    StoredEvent,
    decode_value,
    encode_value,
)

__all__ = ["item_in", "item_out"]


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _untime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def item_out(schema: Schema, item: DumpItem) -> list[Any]:
    """One dump item as JSON: ``[tag, ...fields]``."""
    if isinstance(item, DumpedRecord):
        r = item.record
        spec = schema.kind(r.kind)
        indexed = {f.name: encode_value(f.type, r.indexed.get(f.name)) for f in spec.fields}
        return ["r", r.kind, r.id, r.version, r.schema_version, r.data, indexed, item.keys]
    if isinstance(item, StoredEvent):
        e = item
        return ["e", e.seq, e.type, e.aggregate_id, _time(e.occurred_at), e.data, e.aggregate_kind]
    if isinstance(item, Job):
        j = item
        return [
            "j", j.id, j.queue, j.payload, _time(j.due_at), j.state, j.attempts, j.max_attempts,
            j.idempotency_key, j.lease_owner, _time(j.lease_expires_at), j.last_error, j.group,
            j.fence,
        ]  # fmt: skip
    if isinstance(item, ConsumerPosition):
        return ["p", item.consumer, item.seq]
    # An old record version: this backend does not declare ``versions``, and
    # dump_store / copy_any leave them out of what they hand it.
    raise ValueError("the JSON-lines journal keeps no old record versions")


def item_in(schema: Schema, entry: list[Any]) -> DumpItem:
    """The dump item `item_out` wrote."""
    tag, *rest = entry
    if tag == "r":
        kind, rid, version, schema_version, data, indexed, keys = rest
        spec = schema.kind(kind)
        values = {f.name: decode_value(f.type, indexed.get(f.name)) for f in spec.fields}
        return DumpedRecord(Record(kind, rid, version, schema_version, data, values), keys)
    if tag == "e":
        seq, type_, aggregate, at, data, kind = rest
        return StoredEvent(seq, type_, aggregate, datetime.fromisoformat(at), data, kind)
    if tag == "j":
        jid, queue, payload, due, state, attempts, most, key, owner, lease, error, group, fence = (
            rest
        )
        return Job(
            jid, queue, payload, datetime.fromisoformat(due), state, attempts, most, key, owner,
            _untime(lease), error, group, fence,
        )  # fmt: skip
    consumer, seq = rest
    return ConsumerPosition(consumer, seq)
