"""Retention: personal free text removed from old records and event payloads, on a schedule.

A `RetentionPolicy` names a record kind (or ``"events"``, the event log's
payloads), how long its personal text is kept, the document field giving a
record's age, and the fields emptied once it is older. `apply_retention` runs
the policies in one unit of work; the job handler of the queue
``privacy.retention`` runs them on the worker, so a schedule makes it daily.
Accounting kinds (invoices, credit notes, orders) are never touched, and no
policy changes an id, an amount, a date or a status: billing and idempotency
read nothing retention removes.

A policy with ``delete=True`` deletes whole records instead (their age field
must be indexed): the rule audit (``rule_audit``, through the rules feature's
own `prune_audits`, so its 90-day default is the one documented there) and
the web front's rate-limit windows (``web_rate_window``, once their window
has ended) and e-mailed sign-in links (``web_sign_in``, 30 days after they
expired). Deletions go through the store's ordinary delete in batches, each
batch its own unit of work, so each is in the event log.

The policy kind ``"versions"`` deletes old record versions (capability
``versions``) replaced longer ago than its period, in the run's own unit of
work; a record's current version is never touched. Rewriting a record keeps
the version it replaced, so a run prunes after its writes and, rather than
keep what a policy just emptied, forgets the old versions of every record it
rewrites; the versions of a kind with a deleting policy are pruned at that
policy's period (a deleted sign-in link's last version does not outlive it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import attrs

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import check_text
from relationship_core._plugins.manager import PluginManager
from relationship_core._privacy import raw
from relationship_core._privacy.erase import redactors
from relationship_core._privacy.party_records import all_records
from relationship_core._privacy.scrub import Subject, blank
from relationship_core._privacy.spec import RedactorSpec
from relationship_core._rules.audit import RULE_AUDITS
from relationship_core._rules.retention import DEFAULT_RETENTION as AUDIT_RETENTION
from relationship_core._rules.retention import prune_audits
from relationship_core._storage.contract import Job, Write
from relationship_core._storage.protocols import JobControlTransaction, VersionedTransaction
from relationship_core.exceptions import ValidationError

__all__ = [
    "DEFAULT_RETENTION",
    "EVENTS",
    "QUEUE",
    "VERSIONS",
    "RetentionPolicy",
    "RetentionReport",
    "apply_retention",
    "retention_job",
]

#: The policy kind naming the event log's payloads.
EVENTS = "events"
#: The policy kind naming the old record versions a store keeps (capability ``versions``).
VERSIONS = "versions"
#: The job queue whose handler applies the default policies.
QUEUE = "privacy.retention"
_NOBODY = Subject.of("retention", (), ())


def _delivered(doc: dict[str, Any]) -> bool:
    return doc.get("status") == "sent"


def _closed(doc: dict[str, Any]) -> bool:
    return doc.get("status") in ("resolved", "closed")


@attrs.frozen
class RetentionPolicy:
    """How long one kind of data keeps its personal text.

    Attributes:
        kind: A record kind, ``"events"`` for the event log's payloads (there
            the fields are those the aggregate kind's `RedactorSpec` names), or
            ``"versions"`` for old record versions (deleted once replaced longer
            ago than ``keep_for``; ``fields`` and ``age_field`` are ignored).
        keep_for: How long after ``age_field`` the text is kept.
        fields: The fields emptied (text becomes ``"[erased]"``, lists and
            maps empty); ignored for ``"events"``.
        age_field: The document field holding the record's time (ISO 8601).
        only_if: Records it applies to (e.g. delivered notifications only);
            ignored with ``delete``.
        delete: Delete the records older than ``keep_for`` (``fields`` is
            ignored; ``age_field`` must be one of the kind's indexed fields).
    """

    kind: str = attrs.field(validator=lambda _i, a, v: check_text(a.name, v))
    keep_for: timedelta
    fields: tuple[str, ...] = ()
    age_field: str = "created_at"
    only_if: Callable[[dict[str, Any]], bool] | None = None
    delete: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.keep_for, timedelta) or self.keep_for <= timedelta(0):
            raise ValidationError("keep_for", self.keep_for, "a positive timedelta")
        if not isinstance(self.delete, bool):
            raise ValidationError("delete", self.delete, "True or False")
        if self.delete and self.kind == EVENTS:
            raise ValidationError("delete", self.kind, "the event log is rewritten, not deleted")


#: The library's defaults: two years for event payloads and closed tickets'
#: text, one year for delivered notifications' rendered text, three years for
#: interaction notes; the rule audit deleted after 90 days (the rules
#: feature's own retention), rate-limit windows a day after they end; old
#: record versions deleted two years after they were replaced (the current
#: version always stays), sign-in links 30 days after they expired (longer
#: than any session they can have started: the default lasts 8 hours).
DEFAULT_RETENTION: tuple[RetentionPolicy, ...] = (
    RetentionPolicy(EVENTS, timedelta(days=730)),
    RetentionPolicy(
        "notification", timedelta(days=365), ("text", "html", "payload"), only_if=_delivered
    ),
    RetentionPolicy(
        "ticket", timedelta(days=730), ("name", "email", "problem", "attachments"), only_if=_closed
    ),
    RetentionPolicy("interaction", timedelta(days=1095), ("summary",), age_field="occurred_at"),
    RetentionPolicy(RULE_AUDITS.kind, AUDIT_RETENTION, age_field="at", delete=True),
    RetentionPolicy("web_rate_window", timedelta(days=1), age_field="ends_at", delete=True),
    RetentionPolicy(VERSIONS, timedelta(days=730)),
    RetentionPolicy("web_sign_in", timedelta(days=30), age_field="expires_at", delete=True),
)


@attrs.frozen
class RetentionReport:
    """What one run removed: records rewritten per kind, event payloads, records deleted per
    kind, old record versions deleted."""

    records: dict[str, int]
    events: int
    deleted: dict[str, int] = attrs.Factory(dict)
    versions: int = 0


def _older(doc: dict[str, Any], field: str, cutoff: datetime) -> bool:
    value = doc.get(field)
    if not isinstance(value, str):
        return False
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return False
    return when.tzinfo is not None and when < cutoff


def _event_changes(
    crm: Any, cutoff: datetime, specs: dict[str, RedactorSpec]
) -> list[raw.EventChange]:
    out = []
    for event in raw.all_events(crm.backend):
        spec = specs.get(event.aggregate_kind)
        if event.occurred_at >= cutoff or spec is None or not spec.fields or spec.accounting:
            continue
        new = blank(event.data, spec.fields, _NOBODY)
        if new != event.data:
            out.append(raw.EventChange(event.seq, event.aggregate_id, new))
    return out


def _record_writes(
    crm: Any, policy: RetentionPolicy, cutoff: datetime, now: datetime
) -> list[Write]:
    mapping: KindMapping[Any] = crm.registry.get(policy.kind)
    out = []
    for record in all_records(crm.backend, policy.kind):
        doc = mapping.upgrade(record)
        if not _older(doc, policy.age_field, cutoff):
            continue
        if policy.only_if is not None and not policy.only_if(doc):
            continue
        new = blank(doc, policy.fields, _NOBODY)
        if new != doc:
            obj = mapping.structure(new, mapping.cls)
            out.append(mapping.to_write(obj, record.version, actor=crm.actor, at=now))
    return out


def _prune(crm: Any, policy: RetentionPolicy, before: datetime, batch: int = 500) -> int:
    """Delete *policy*'s records older than *before*, a batch per unit of work."""
    if policy.kind == RULE_AUDITS.kind and policy.age_field == "at":
        return prune_audits(crm, before=before, batch=batch)
    deleted = 0
    while True:
        with crm.unit_of_work() as uow:
            repo = uow.repository(policy.kind)
            page = repo.query(
                (policy.age_field, "lt", before), order_by=policy.age_field, limit=batch
            ).items
            for obj in page:
                repo.delete(obj)
        deleted += len(page)
        if len(page) < batch:
            return deleted


def apply_retention(
    crm: Any,
    policies: Sequence[RetentionPolicy] = DEFAULT_RETENTION,
    *,
    now: datetime,
    uow: Any = None,
    plugins: PluginManager | None = None,
) -> RetentionReport:
    """Empty the personal text older than each policy allows (in *uow*, or a new one).

    Deleting policies run first, each batch in its own unit of work (also
    when *uow* is given: a year of audit is too much for one transaction).
    """
    require_aware("now", now)
    raw.require_rewritable(crm.backend)
    specs = redactors(plugins)
    writes: list[Write] = []
    counts: dict[str, int] = {}
    events: list[raw.EventChange] = []
    deleted: dict[str, int] = {}
    versioned = "versions" in crm.backend.capabilities  # others keep no old versions
    prune_before: datetime | None = None
    prune_kinds: dict[str, datetime] = {}
    for policy in policies:
        cutoff = now - policy.keep_for
        if policy.kind == VERSIONS:
            if versioned:
                prune_before = cutoff if prune_before is None else max(prune_before, cutoff)
            continue
        if policy.delete:
            if policy.kind in crm.registry and (gone := _prune(crm, policy, cutoff)):
                deleted[policy.kind] = deleted.get(policy.kind, 0) + gone
            if versioned and policy.kind in crm.registry:  # no older in history than in the kind
                prune_kinds[policy.kind] = max(prune_kinds.get(policy.kind, cutoff), cutoff)
            continue
        if policy.kind == EVENTS:
            events.extend(_event_changes(crm, cutoff, specs))
            continue
        spec = specs.get(policy.kind)
        if (spec is not None and spec.accounting) or policy.kind not in crm.registry:
            continue
        found = _record_writes(crm, policy, cutoff, now)
        if found:
            writes.extend(found)
            counts[policy.kind] = len(found)

    pruned = 0

    def step(tx: JobControlTransaction) -> None:
        nonlocal pruned
        tx.put_many(writes)
        raw.rewrite(tx, events, ())
        if not versioned:
            return
        kept = cast(VersionedTransaction, tx)
        # The text a policy emptied must not live on in the versions the rewrite kept.
        rewritten: dict[str, list[str]] = {}
        for w in writes:
            rewritten.setdefault(w.kind, []).append(w.id)
        for kind, ids in sorted(rewritten.items()):
            pruned += kept.drop_versions(kind, ids)
        for kind, cutoff in sorted(prune_kinds.items()):
            pruned += kept.prune_versions(cutoff, [kind])
        if prune_before is not None:
            pruned += kept.prune_versions(prune_before)

    if uow is not None:
        uow._within_commit(step)
    elif writes or events or (versioned and (prune_before is not None or prune_kinds)):
        with crm.unit_of_work() as own:
            own._within_commit(step)
    return RetentionReport(counts, len(events), deleted, pruned)


def retention_job(job: Job, uow: Any) -> None:
    """The ``privacy.retention`` job: the default policies, as of the job's due time."""
    apply_retention(uow._crm, now=job.due_at, uow=uow)
