"""`export_party`: everything the store holds about one party, as one JSON document.

Fit for an access or portability request (GDPR articles 15 and 20): the
party's record, every record about it (the mappings' references, followed
transitively, and records naming its id), every record anywhere mentioning
its name, e-mail addresses or phone numbers, the earlier versions the store
kept of all of them (capability ``versions``), the events of those records
and those mentioning the party, and the jobs that concern it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import attrs

from relationship_core._privacy import raw
from relationship_core._privacy.party_records import (
    about_party,
    kept_versions,
    subject_of,
    versions_about,
)

__all__ = ["FORMAT", "PartyExport", "export_party"]

#: The format name and version of the exported document.
FORMAT = "relationship_core.party_export/1"


@attrs.frozen
class PartyExport:
    """One party's data.

    Attributes:
        party_id: The party.
        document: The machine-readable document (JSON-able): ``format``,
            ``party_id``, ``exported_at``, ``party``, ``records`` (kind -> list of
            ``{"id", "version", "data"}``), ``versions`` (kind -> id -> the old
            versions the store kept of the party and of those records, oldest
            first: ``{"version", "replaced_at", "deleted", "written_by",
            "written_at", "data"}``), ``events`` and ``jobs``.
        summary: A short readable account of what is held.
    """

    party_id: str
    document: dict[str, Any]
    summary: str

    def to_json(self, indent: int | None = 2) -> str:
        """The document as JSON text (UTF-8 safe, keys sorted)."""
        return json.dumps(self.document, indent=indent, sort_keys=True, ensure_ascii=False)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """A stored document without the library's bookkeeping keys, actor kept apart."""
    return {k: v for k, v in data.items() if k not in ("_actor", "_envelope", "_written_at")}


def export_party(crm: Any, party_id: str) -> PartyExport:
    """Everything the store *crm* holds about party *party_id* (``NotFoundError`` if none)."""
    record, subject = subject_of(crm, party_id)
    about, mentions = about_party(crm, subject)
    records: dict[str, list[dict[str, Any]]] = {}
    for (kind, rid), rec in sorted({**about, **mentions}.items()):
        if (kind, rid) == ("party", party_id):
            continue
        entry = {"id": rid, "version": rec.version, "data": _clean(rec.data)}
        if "_actor" in rec.data:
            entry["written_by"] = rec.data["_actor"]
        records.setdefault(kind, []).append(entry)
    versions: dict[str, dict[str, list[dict[str, Any]]]] = {}
    about_ids = {rid for _, rid in about} | {party_id}
    earlier = versions_about(crm, subject, about_ids)  # records deleted or edited since
    for kind, rid in sorted({("party", party_id), *about, *mentions, *earlier}):
        kept = [
            {
                "version": v.version,
                "replaced_at": v.replaced_at.isoformat(),
                "deleted": v.deleted,
                "written_by": v.data.get("_actor"),
                "written_at": v.data.get("_written_at"),
                "data": _clean(v.data),
            }
            for v in kept_versions(crm.backend, kind, rid)
        ]
        if kept:
            versions.setdefault(kind, {})[rid] = kept
    ids = {rid for _, rid in about} | {party_id}
    events = []
    for event in raw.all_events(crm.backend):
        text = json.dumps(event.data, ensure_ascii=False)
        if event.aggregate_id in ids or party_id in text or subject.mentioned_in(text):
            envelope = event.data.get("_envelope") or {}
            events.append(
                {
                    "seq": event.seq,
                    "type": event.type,
                    "aggregate_kind": event.aggregate_kind,
                    "aggregate_id": event.aggregate_id,
                    "occurred_at": event.occurred_at.isoformat(),
                    "actor": envelope.get("actor"),
                    "data": _clean(event.data),
                }
            )
    jobs = []
    for job in raw.all_jobs(crm.backend):
        text = json.dumps(job.payload, ensure_ascii=False)
        if party_id in text or subject.mentioned_in(text):
            jobs.append(
                {
                    "id": job.id,
                    "queue": job.queue,
                    "state": job.state,
                    "due_at": job.due_at.isoformat(),
                    "payload": job.payload,
                }
            )
    now = crm.clock.now() if getattr(crm, "clock", None) is not None else datetime.now(UTC)
    document = {
        "format": FORMAT,
        "party_id": party_id,
        "exported_at": now.isoformat(),
        "party": _clean(record.data),
        "records": records,
        "versions": versions,
        "events": events,
        "jobs": jobs,
    }
    summary = _summary(record.data, records, events, jobs, versions)
    return PartyExport(party_id, document, summary)


def _summary(
    party: dict[str, Any],
    records: dict[str, list[dict[str, Any]]],
    events: list[Any],
    jobs: list[Any],
    versions: dict[str, dict[str, list[dict[str, Any]]]],
) -> str:
    lines = [f"Data held about {party.get('name', '?')} (party {party.get('id', '?')}):"]
    emails = ", ".join(party.get("emails") or ()) or "none"
    lines.append(f"  e-mail addresses: {emails}; phone: {party.get('phone') or 'none'}")
    for kind, items in sorted(records.items()):
        lines.append(f"  {len(items)} {kind} record(s)")
    kinds = Counter(e["type"] for e in events)
    lines.append(
        f"  {len(events)} logged event(s)"
        + (f": {', '.join(f'{n} {t}' for t, n in sorted(kinds.items()))}" if kinds else "")
    )
    old = sum(len(v) for by_id in versions.values() for v in by_id.values())
    lines.append(f"  {old} earlier version(s) of these records")
    lines.append(f"  {len(jobs)} job(s)")
    return "\n".join(lines)
