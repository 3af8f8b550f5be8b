"""Duplicate parties: finding candidates, and merging two with an undo until confirmed.

`merge_parties(keep, drop)` re-points every reference to *drop*, in every
kind (the mappings' declared references), to *keep*, deletes *drop* and keeps
its document in a `PartyMerge` record (kind ``party_merge``) so that
`undo_merge` can restore it and point the references back. `confirm_merge`
forgets the dropped document; from then on the merge is final. Events and
history stay as they were: they name the id the aggregate had then.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs

from relationship_core._app.deletion import referring_records
from relationship_core._app.mapping import ACTOR_KEY, WRITTEN_AT_KEY, KindMapping
from relationship_core._domain.actor import Actor
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.validators import check_text
from relationship_core._privacy.party_records import all_records
from relationship_core._privacy.similar import NAME_SIMILARITY, normalise_name, similar_groups
from relationship_core._storage.contract import Delete, Record, Write
from relationship_core._storage.protocols import JobControlTransaction
from relationship_core.exceptions import NotFoundError, ValidationError

__all__ = [
    "MERGES",
    "DuplicateGroup",
    "PartyMerge",
    "PartyMerged",
    "confirm_merge",
    "duplicates",
    "merge_parties",
    "undo_merge",
]

_DIGITS = re.compile(r"\D+")


@attrs.frozen
class DuplicateGroup:
    """Parties sharing one normalised e-mail address or phone number, or alike names.

    Attributes:
        key: ``email:<address>``, ``phone:<digits>``, or
            ``name:<organisation id>:<normalised name>`` for contacts of one
            organisation with alike names (see `similar_names`).
        party_ids: The parties, by id.
    """

    key: str
    party_ids: tuple[str, ...]


def duplicates(
    crm: Any, *, name_similarity: float | None = NAME_SIMILARITY
) -> list[DuplicateGroup]:
    """Candidate duplicates: parties with the same e-mail (case aside) or phone (digits only).

    Also the contacts of one organisation (past or present roles) with alike
    names (`similar_names` at *name_similarity*; ``None`` leaves them out).
    """
    if name_similarity is not None and (
        isinstance(name_similarity, bool)
        or not isinstance(name_similarity, int | float)
        or not 0 < name_similarity <= 1
    ):
        raise ValidationError("name_similarity", name_similarity, "a ratio in (0, 1], or None")
    groups: dict[str, set[str]] = defaultdict(set)
    mapping: KindMapping[Any] = crm.registry.get("party")
    names: dict[str, str] = {}
    organisations: dict[str, list[str]] = {}
    for record in all_records(crm.backend, "party"):
        doc = mapping.upgrade(record)
        names[record.id] = normalise_name(str(doc.get("name") or ""))
        contacts = [str(c.get("person_id")) for c in doc.get("contacts") or ()]
        if contacts:
            organisations[record.id] = contacts
        for email in doc.get("emails") or ():
            groups[f"email:{str(email).strip().lower()}"].add(record.id)
        digits = _DIGITS.sub("", str(doc.get("phone") or ""))
        if len(digits) >= 6:
            groups[f"phone:{digits}"].add(record.id)
    if name_similarity is not None:
        for key, ids in similar_groups(organisations, names, float(name_similarity)).items():
            groups[key].update(ids)
    return [
        DuplicateGroup(key, tuple(sorted(ids)))
        for key, ids in sorted(groups.items())
        if len(ids) > 1
    ]


@attrs.define
class PartyMerge:
    """One merge of two parties, undoable while ``pending``.

    Attributes:
        id: The merge's id.
        keep: The party that stays.
        drop: The party merged into it (deleted).
        dropped: Its stored document, until the merge is confirmed (then ``{}``).
        dropped_layout: The layout version of that document.
        repointed: ``[kind, id, field]`` of every reference moved to *keep*.
        removed: ``{"kind", "id", "layout", "data"}`` of the records keyed by
            the dropped party (its lifecycle, its score), removed with it; ``[]``
            once confirmed.
        state: ``pending``, ``confirmed`` or ``undone``.
        at: When it was merged.
    """

    id: str
    keep: str
    drop: str
    dropped: dict[str, Any]
    dropped_layout: int
    repointed: list[list[str]]
    state: str
    at: datetime
    removed: list[dict[str, Any]] = attrs.Factory(list)


#: The mapping of merges (contributed by the privacy plugin).
MERGES: KindMapping[PartyMerge] = KindMapping(
    "party_merge",
    PartyMerge,
    indexed={"keep": ("str", lambda m: m.keep), "state": ("str", lambda m: m.state)},
)


@attrs.frozen(kw_only=True)
class PartyMerged(DomainEvent):
    """A merge was made, undone or confirmed (``party.merged``; ``state`` says which).

    Attributes:
        merge_id: The `PartyMerge` record.
        drop: The party merged into this one (the event's aggregate).
        state: ``pending`` (merged), ``undone`` or ``confirmed``.
        references: How many references were moved.
    """

    name: ClassVar[str] = "party.merged"
    merge_id: str
    drop: str
    state: str
    references: int


def _now(crm: Any) -> datetime:
    clock = getattr(crm, "clock", None)
    now: datetime = clock.now() if clock is not None else datetime.now(UTC)
    return now


def _repoint(
    crm: Any, kind: str, rid: str, field: str, *, old: str, new: str
) -> Write | Record | None:
    """The write moving one reference; the record itself when its id is the party's.

    A record keyed by its party (a lifecycle, a score) cannot move: it is
    returned, to be removed with the dropped party and kept for an undo.
    """
    record: Record | None = crm.backend.get_many(kind, [rid]).get(rid)
    if record is None:
        return None
    mapping: KindMapping[Any] = crm.registry.get(kind)
    doc = mapping.upgrade(record)
    if doc.get(field) != old:
        return None
    obj = mapping.structure({**doc, field: new}, mapping.cls)
    if mapping.id_of(obj) != rid:
        return record
    return mapping.to_write(obj, record.version)


def _stamped(crm: Any, actor: Actor | None, writes: list[Write]) -> list[Write]:
    """*writes* signed with who merges and when, so each version's history names them."""
    who = (actor or crm.actor).to_dict()
    at = _now(crm).isoformat()
    return [attrs.evolve(w, data={**w.data, ACTOR_KEY: who, WRITTEN_AT_KEY: at}) for w in writes]


def _commit(crm: Any, actor: Actor | None, event: PartyMerged, step: Any) -> None:
    with crm.unit_of_work(actor) as uow:
        uow.publish(event, kind="party")
        uow._within_commit(step)


def merge_parties(crm: Any, keep: str, drop: str, *, actor: Actor | None = None) -> PartyMerge:
    """Merge party *drop* into *keep*: references re-pointed, *drop* deleted; undoable."""
    check_text("keep", keep)
    check_text("drop", drop)
    if keep == drop:
        raise ValidationError("drop", drop, "a party cannot be merged into itself")
    found = crm.backend.get_many("party", [keep, drop])
    for rid in (keep, drop):
        if rid not in found:
            raise NotFoundError("party", rid)
    moved: list[list[str]] = []
    writes: list[Write] = []
    removed: list[Record] = []
    for mapping, record, field in referring_records(crm.backend, crm.registry, "party", drop):
        if mapping.kind == "party":
            continue
        write = _repoint(crm, mapping.kind, record.id, field, old=drop, new=keep)
        if isinstance(write, Record):
            removed.append(write)
        elif write is not None:
            writes.append(write)
            moved.append([mapping.kind, record.id, field])
    dropped = found[drop]
    merge = PartyMerge(
        crm.new_id(),
        keep,
        drop,
        dict(dropped.data),
        dropped.schema_version,
        moved,
        "pending",
        _now(crm),
        [
            {"kind": r.kind, "id": r.id, "layout": r.schema_version, "data": dict(r.data)}
            for r in removed
        ],
    )

    def step(tx: JobControlTransaction) -> None:
        for r in removed:
            tx.delete(Delete(r.kind, r.id, r.version))
        tx.delete(Delete("party", drop, dropped.version))
        tx.put_many(_stamped(crm, actor, [*writes, MERGES.to_write(merge, None)]))

    event = PartyMerged(
        aggregate_id=keep,
        occurred_at=merge.at,
        merge_id=merge.id,
        drop=drop,
        state="pending",
        references=len(moved),
    )
    _commit(crm, actor, event, step)
    return merge


def _pending(crm: Any, merge_id: str) -> tuple[PartyMerge, int]:
    check_text("merge_id", merge_id)
    record = crm.backend.get_many("party_merge", [merge_id]).get(merge_id)
    if record is None:
        raise NotFoundError("party_merge", merge_id)
    merge = MERGES.from_record(record)
    if merge.state != "pending":
        raise ValidationError("merge_id", merge_id, f"this merge is {merge.state}, not pending")
    return merge, record.version


def undo_merge(crm: Any, merge_id: str, *, actor: Actor | None = None) -> PartyMerge:
    """Restore the dropped party and point the moved references back to it."""
    merge, version = _pending(crm, merge_id)
    party_mapping: KindMapping[Any] = crm.registry.get("party")
    obj = party_mapping.from_record(
        Record("party", merge.drop, 1, merge.dropped_layout, merge.dropped)
    )
    restored = party_mapping.to_write(obj, None)
    writes = [restored]
    for item in merge.removed:
        mapping: KindMapping[Any] = crm.registry.get(item["kind"])
        back = Record(item["kind"], item["id"], 1, item["layout"], item["data"])
        writes.append(mapping.to_write(mapping.from_record(back), None))
    for kind, rid, field in merge.repointed:
        write = _repoint(crm, kind, rid, field, old=merge.keep, new=merge.drop)
        if isinstance(write, Write):
            writes.append(write)
    merge.state = "undone"
    merge.dropped = {}
    merge.removed = []

    def step(tx: JobControlTransaction) -> None:
        tx.put_many(_stamped(crm, actor, [*writes, MERGES.to_write(merge, version)]))

    event = PartyMerged(
        aggregate_id=merge.keep,
        occurred_at=_now(crm),
        merge_id=merge.id,
        drop=merge.drop,
        state="undone",
        references=len(writes) - 1,
    )
    _commit(crm, actor, event, step)
    return merge


def confirm_merge(crm: Any, merge_id: str, *, actor: Actor | None = None) -> PartyMerge:
    """Make the merge final: the dropped party's document is forgotten."""
    merge, version = _pending(crm, merge_id)
    merge.state = "confirmed"
    merge.dropped = {}
    merge.removed = []

    def step(tx: JobControlTransaction) -> None:
        tx.put_many(_stamped(crm, actor, [MERGES.to_write(merge, version)]))

    event = PartyMerged(
        aggregate_id=merge.keep,
        occurred_at=_now(crm),
        merge_id=merge.id,
        drop=merge.drop,
        state="confirmed",
        references=len(merge.repointed),
    )
    _commit(crm, actor, event, step)
    return merge
