"""`erase_party`: a party's personal data redacted everywhere the library stores it.

One transaction rewrites the records (at the versions read: a concurrent
change raises ``ConflictError``; erasing again is safe and finishes the job),
the event log's payloads and the job queue, cancels the party's pending jobs
and schedules, and appends ``party.erased`` (who, when, why, how much; none of
the erased data). Every kept old version (capability ``versions``) of every
record it redacts or deletes, of a twin merged into the party, and of any
record whose kept versions name the party (a record deleted since, or edited
not to), is forgotten in the same transaction: redacting a record only to keep its
unredacted past would erase nothing. Then the store's files are vacuumed
(`raw.wipe`).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import attrs

from relationship_core._app.deletion import deleted_event
from relationship_core._app.mapping import KindMapping
from relationship_core._domain.actor import Actor
from relationship_core._domain.events import DomainEvent
from relationship_core._domain.validators import check_text
from relationship_core._plugins.manager import PluginManager, get_plugin_manager
from relationship_core._privacy import raw
from relationship_core._privacy.party_records import (
    about_party,
    all_records,
    subject_of,
    versions_about,
)
from relationship_core._privacy.scrub import Subject, blank, scrub
from relationship_core._privacy.spec import RedactorSpec
from relationship_core._storage.contract import Delete, Job, Record, StoredEvent, Write
from relationship_core._storage.protocols import (
    JobControlTransaction,
    VersionedTransaction,
)
from relationship_core.exceptions import ValidationError

__all__ = ["ErasureReport", "PartyErased", "erase_party", "redactors"]

_ENVELOPE = "_envelope"


@attrs.frozen(kw_only=True)
class PartyErased(DomainEvent):
    """A party's personal data was erased (``party.erased``); the actor is in its envelope.

    Attributes:
        reason: Why, as the operator gave it (scrubbed of the party's data too).
        records: Records redacted or deleted, per kind.
        events: Event payloads rewritten.
        jobs_cancelled: Pending jobs cancelled.
    """

    name: ClassVar[str] = "party.erased"
    reason: str
    records: dict[str, int]
    events: int
    jobs_cancelled: int


@attrs.frozen
class ErasureReport:
    """What an erasure did.

    Attributes:
        party_id: The erased party (its id stays, as a pseudonym).
        pseudonym: The stand-in name its record now carries.
        actor: Who erased it.
        erased_at: When.
        reason: Why.
        redacted: Records rewritten, per kind.
        deleted: Records deleted, per kind.
        events: Event payloads rewritten.
        jobs_redacted: Job payloads rewritten.
        jobs_cancelled: Pending or claimed jobs cancelled.
        storage: What was done to the store's files.
        versions: Old record versions forgotten (capability ``versions``): every
            kept version of every record redacted, deleted or merged into the party.
    """

    party_id: str
    pseudonym: str
    actor: Actor
    erased_at: datetime
    reason: str
    redacted: dict[str, int]
    deleted: dict[str, int]
    events: int
    jobs_redacted: int
    jobs_cancelled: int
    storage: str
    versions: int = 0


def redactors(plugins: PluginManager | None = None) -> dict[str, RedactorSpec]:
    """The redactors the plugins contribute, by kind (``relationship_core_redactors``).

    A kind two plugins contribute a redactor for raises ``DuplicateContributionError``.
    """
    manager = plugins or get_plugin_manager()
    named = manager.named(
        "redactor", "relationship_core_redactors", RedactorSpec, lambda s: [s.kind]
    )
    return {kind: named.get(kind) for kind in named.names()}


def _pseudo_key(key: str | None, subject: Subject) -> str | None:
    if key is None or not subject.mentioned_in(key):
        return key
    return "erased:" + hashlib.sha256(key.encode()).hexdigest()


@attrs.define
class _Plan:
    """What one erasure will write, computed before its transaction."""

    subject: Subject
    specs: dict[str, RedactorSpec]
    actor: Actor
    writes: list[Write] = attrs.Factory(list)
    deletes: list[Delete] = attrs.Factory(list)
    redacted: dict[str, int] = attrs.Factory(dict)
    deleted: dict[str, int] = attrs.Factory(dict)
    groups: list[str] = attrs.Factory(list)
    events: list[raw.EventChange] = attrs.Factory(list)
    jobs: list[raw.JobChange] = attrs.Factory(list)
    jobs_redacted: int = 0
    cancelled: int = 0
    forget: dict[str, set[str]] = attrs.Factory(dict)
    versioned: frozenset[str] = frozenset()  # the kinds whose old versions the store keeps
    at: datetime | None = None
    forgotten: int = 0

    def record(self, mapping: KindMapping[Any], record: Record, *, about: bool) -> None:
        """Plan the redaction (or deletion) of one record."""
        kind, subject = mapping.kind, self.subject
        spec = self.specs.get(kind)
        self.forget.setdefault(kind, set()).add(record.id)
        if kind == "party_merge" and about:  # the twin merged into the party, and its records
            data = record.data
            if data.get("drop"):
                self.forget.setdefault("party", set()).add(str(data["drop"]))
            for removed in data.get("removed") or ():
                if isinstance(removed, dict) and removed.get("kind") and removed.get("id"):
                    self.forget.setdefault(str(removed["kind"]), set()).add(str(removed["id"]))
        doc = mapping.upgrade(record)
        new: dict[str, Any] | None = scrub(doc, subject)[0]
        if spec is not None and (about or spec.mentions) and new is not None:
            new = spec.apply(new, subject)
        if subject.mentioned_in(record.id) and not (spec is not None and spec.accounting):
            new = None  # an id cannot be rewritten
        if kind == "schedule" and doc.get("group"):
            self.groups.append(str(doc["group"]))
        if new is None:
            self.deletes.append(Delete(kind, record.id, record.version))
            self.deleted[kind] = self.deleted.get(kind, 0) + 1
        elif new != doc or record.schema_version != mapping.schema_version:
            try:
                obj = mapping.structure(new, mapping.cls)
            except (ValidationError, KeyError, TypeError, ValueError) as exc:
                raise ValidationError(
                    f"{kind}.{record.id}",
                    type(exc).__name__,
                    "its scrubbed document no longer loads; contribute a RedactorSpec for "
                    "this kind (relationship_core_redactors) that keeps it valid; nothing "
                    "was written",
                ) from exc
            self.writes.append(mapping.to_write(obj, record.version, actor=self.actor, at=self.at))
            self.redacted[kind] = self.redacted.get(kind, 0) + 1

    def event(self, event: StoredEvent, about_ids: set[str]) -> None:
        """Plan the rewriting of one logged event's payload, if it holds the party's data."""
        subject = self.subject
        body = {k: v for k, v in event.data.items() if k != _ENVELOPE}
        new_body = scrub(body, subject)[0]
        spec = self.specs.get(event.aggregate_kind)
        if spec is not None and event.aggregate_id in about_ids and not spec.accounting:
            new_body = blank(new_body, spec.fields, subject)
        aggregate = _safe(event.aggregate_id, subject)
        if new_body != body or aggregate != event.aggregate_id:
            envelope = event.data.get(_ENVELOPE)
            data = {**new_body, _ENVELOPE: envelope} if envelope is not None else new_body
            self.events.append(raw.EventChange(event.seq, aggregate, data))

    def job(self, job: Job, about_ids: set[str]) -> None:
        """Plan the scrubbing of one job, and its cancelling when it is pending for the party."""
        payload, hit = scrub(job.payload, self.subject)
        key = _pseudo_key(job.idempotency_key, self.subject)
        text = json.dumps(job.payload, ensure_ascii=False)
        concerns = hit or any(rid in text for rid in about_ids) or job.group in self.groups
        cancel = concerns and job.state in ("pending", "claimed")
        if hit or key != job.idempotency_key or cancel:
            self.jobs.append(raw.JobChange(job.id, payload, key, cancel))
            self.jobs_redacted += hit or key != job.idempotency_key
            self.cancelled += cancel

    def step(self, tx: JobControlTransaction) -> None:
        """Write the plan inside the unit of work's transaction."""
        tx.put_many(self.writes)
        for d in self.deletes:
            tx.delete(d)
        raw.rewrite(tx, self.events, self.jobs)
        # After the writes: the redacting update and the deletes kept what they replaced.
        for kind, ids in sorted(self.forget.items()):
            if kind in self.versioned:
                self.forgotten += cast(VersionedTransaction, tx).drop_versions(kind, sorted(ids))


def erase_party(
    crm: Any,
    party_id: str,
    reason: str,
    *,
    actor: Actor | None = None,
    plugins: PluginManager | None = None,
) -> ErasureReport:
    """Erase the personal data of party *party_id* from the store *crm*; see docs/privacy.md.

    Args:
        crm: The open store.
        party_id: The party to erase.
        reason: Why (recorded; do not put the party's data in it).
        actor: Who erases (default: the store's actor).
        plugins: Where the redactors come from (default: the process-wide plugins).

    Raises:
        NotFoundError: No such party.
        ConflictError: A record changed meanwhile; nothing was written (erase again).
        CapabilityError: The backend's event log cannot be rewritten.
    """
    check_text("reason", reason, max_length=500)
    raw.require_rewritable(crm.backend)
    _, subject = subject_of(crm, party_id)
    about, mentions = about_party(crm, subject)
    uow = crm.unit_of_work(actor)
    now = crm.clock.now() if getattr(crm, "clock", None) is not None else datetime.now(UTC)
    plan = _Plan(subject, redactors(plugins), uow.actor, at=now)
    if "versions" in crm.backend.capabilities:
        plan.versioned = frozenset(k.name for k in crm.backend.schema.kinds)
    _mentioning_ids(crm, plan.specs, about, mentions)
    for (kind, _), record in about.items():
        plan.record(crm.registry.get(kind), record, about=True)
    for (kind, _), record in mentions.items():
        plan.record(crm.registry.get(kind), record, about=False)
    about_ids = {rid for _, rid in about} | {party_id}
    for kind, rid in versions_about(crm, subject, about_ids):  # deleted or edited since
        plan.forget.setdefault(kind, set()).add(rid)
    for event in raw.all_events(crm.backend):
        plan.event(event, about_ids)
    for job in raw.all_jobs(crm.backend):
        plan.job(job, about_ids)
    clean_reason = scrub(reason, subject)[0]
    kinds = sorted({*plan.redacted, *plan.deleted})
    counts = {k: plan.redacted.get(k, 0) + plan.deleted.get(k, 0) for k in kinds}
    with uow:
        uow.publish(
            PartyErased(
                aggregate_id=party_id,
                occurred_at=now,
                reason=clean_reason,
                records=counts,
                events=len(plan.events),
                jobs_cancelled=plan.cancelled,
            ),
            kind="party",
        )
        for d in plan.deletes:
            gone = deleted_event(d.kind)(
                aggregate_id=_safe(d.id, subject),
                occurred_at=now,
                kind=d.kind,
                version=d.expected_version,
            )
            uow.publish(gone, kind=d.kind)
        uow._within_commit(plan.step)
    storage = raw.wipe(crm.backend)
    return ErasureReport(
        party_id,
        subject.pseudonym,
        uow.actor,
        now,
        clean_reason,
        plan.redacted,
        plan.deleted,
        len(plan.events),
        plan.jobs_redacted,
        plan.cancelled,
        storage,
        plan.forgotten,
    )


def _mentioning_ids(
    crm: Any,
    specs: dict[str, RedactorSpec],
    about: dict[tuple[str, str], Record],
    mentions: dict[tuple[str, str], Record],
) -> None:
    """Add to *mentions* the records of ``mentions=True`` kinds naming a record about the party.

    A rule audit filed under the party's ticket, an outbox message about its
    invoice: they hold the ticket's or invoice's id, not the party's.
    """
    ids = sorted({rid for _, rid in about if len(rid) >= 8}, key=len, reverse=True)
    if not ids:
        return
    pattern = re.compile("|".join(re.escape(i) for i in ids))
    for kind, spec in specs.items():
        if not spec.mentions or kind not in crm.registry:
            continue
        for record in all_records(crm.backend, kind):
            key = (kind, record.id)
            if key in about or key in mentions:
                continue
            if pattern.search(json.dumps(record.data, ensure_ascii=False)):
                mentions[key] = record


def _safe(rid: str, subject: Subject) -> str:
    return subject.pseudonym if subject.mentioned_in(rid) else rid
