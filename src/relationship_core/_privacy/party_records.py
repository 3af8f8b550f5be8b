"""Finding a party's records: what identifies it, what is about it, what mentions it.

Shared by erasure, export, merge and retention, which must agree on what
"the party's data" is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from relationship_core._app.deletion import referring_records
from relationship_core._domain.validators import check_text
from relationship_core._privacy.scrub import Subject
from relationship_core._storage.contract import Query, Record
from relationship_core._storage.protocols import (
    StorageBackend,
)
from relationship_core._storage.versions import StoredVersion
from relationship_core.exceptions import NotFoundError, ValidationError

__all__ = ["about_party", "all_records", "kept_versions", "subject_of", "versions_about"]


def subject_of(crm: Any, party_id: str) -> tuple[Record, Subject]:
    """The party's record and what identifies it (``NotFoundError`` when there is none)."""
    check_text("party_id", party_id)
    record = crm.backend.get_many("party", [party_id]).get(party_id)
    if record is None:
        raise NotFoundError("party", party_id)
    mapping = crm.registry.get("party")
    texts: list[str] = []
    phones: list[str] = []
    # Old versions too: an address the party had once is theirs as much as today's.
    for rec in [*(v.as_record() for v in kept_versions(crm.backend, "party", party_id)), record]:
        try:
            doc = mapping.upgrade(rec)
        except (ValidationError, KeyError, TypeError, ValueError):
            continue
        for text in [str(doc.get("name") or ""), *(str(e) for e in doc.get("emails") or ())]:
            if text not in texts:
                texts.append(text)
        if doc.get("phone") and str(doc["phone"]) not in phones:
            phones.append(str(doc["phone"]))
    return record, Subject.of(party_id, texts, phones)


def versions_about(crm: Any, subject: Subject, ids: set[str]) -> set[tuple[str, str]]:
    """``(kind, id)`` of every record with a kept version naming the party or its records.

    Found by reading every kept version (like the event log): a record deleted
    since, or one that mentioned the party only before an edit, is found too.
    """
    backend = crm.backend
    if "versions" not in getattr(backend, "capabilities", ()):
        return set()
    found: set[tuple[str, str]] = set()
    after = 0
    while page := backend.read_versions(after, 500):
        for v in page:
            text = json.dumps(v.data, ensure_ascii=False)
            if (
                v.id in ids
                or subject.party_id in text
                or subject.mentioned_in(text)
                or subject.mentioned_in(v.id)
            ):
                found.add((v.kind, v.id))
        after = page[-1].seq
    return found


def kept_versions(backend: Any, kind: str, rid: str) -> list[StoredVersion]:
    """The kept old versions of one record (none on a backend without ``versions``)."""
    if "versions" not in getattr(backend, "capabilities", ()):
        return []
    return list(backend.versions(kind, rid))


def all_records(backend: StorageBackend, kind: str) -> Iterator[Record]:
    """Every record of *kind*, a page at a time."""
    after = None
    while True:
        page = backend.query(Query(kind, (), limit=500, after=after))
        yield from page.records
        if page.next_cursor is None:
            return
        after = page.next_cursor


def about_party(
    crm: Any, subject: Subject
) -> tuple[dict[tuple[str, str], Record], dict[tuple[str, str], Record]]:
    """Records about the party (references followed, or naming its id) and others mentioning it."""
    backend, registry = crm.backend, crm.registry
    about: dict[tuple[str, str], Record] = {}
    todo = [("party", subject.party_id)]
    while todo:
        kind, rid = todo.pop()
        for mapping, record, _field in referring_records(backend, registry, kind, rid):
            key = (mapping.kind, record.id)
            if mapping.kind != "party" and key not in about:
                about[key] = record
                todo.append(key)
    mentions: dict[tuple[str, str], Record] = {}
    for mapping in registry:
        for record in all_records(backend, mapping.kind):
            key = (mapping.kind, record.id)
            if key in about:
                continue
            text = json.dumps(record.data, ensure_ascii=False)
            if (record.id == subject.party_id and mapping.kind == "party") or (
                subject.party_id in text and mapping.kind != "party"
            ):
                about[key] = record
            elif subject.mentioned_in(text) or subject.mentioned_in(record.id):
                mentions[key] = record
    return about, mentions
