"""The second pass: drafts written in batches, each one unit of work with its progress marker.

Every batch is one unit of work. It reads what the batch's rows already
have in the store (by id, then parties by e-mail), adds what is new and
changes what differs; the uow writes only objects whose document changed,
so a re-run of the same file writes nothing. The progress marker (the
number of rows done, stored as the position of the consumer
``import:<kind>:<file hash>``) is saved in the same transaction: a crash
loses a whole batch or nothing, and the next run starts after the last
stored batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core._app.search import parties_by_email, search_key
from relationship_core._app.uow import Repository, UnitOfWork
from relationship_core._billing.orders import Order
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.parties import Organisation, Party, Person
from relationship_core._import.rows import Draft, InteractionDraft, OrderDraft, PartyDraft
from relationship_core._storage.protocols import JobControlTransaction
from relationship_core.exceptions import ConflictError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM

__all__ = ["BatchWriter", "Counts"]

# Addresses at these domains say nothing about the organisation a person works for.
FREE_MAIL = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
     "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me",
     "protonmail.com", "mail.ru", "yandex.ru", "qq.com"}
)  # fmt: skip


@attrs.define
class Counts:
    """What the writes did so far."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations_created: int = 0


def _state(party: Party) -> tuple[Any, ...]:
    return (
        party.name,
        party.emails,
        getattr(party, "phone", None),
        party.tags,
        dict(party.custom_fields),
        party.time_zone,
        party.locale,
    )


def _merge(target: Party, draft: PartyDraft) -> None:
    """Copy the values the row gave onto *target* (empty cells leave fields alone)."""
    new = draft.party
    if target.name != new.name:
        target.name = new.name
    if "email" in draft.given:
        have = {e.value.casefold() for e in target.emails}
        extra = [e for e in new.emails if e.value.casefold() not in have]
        if extra:
            target.emails = (*target.emails, *extra)
    if "tags" in draft.given and not new.tags <= target.tags:
        target.tags = target.tags | new.tags
    if "custom_fields" in draft.given:
        merged = {**target.custom_fields, **new.custom_fields}
        if merged != target.custom_fields:
            target.custom_fields = merged
    if "time_zone" in draft.given and target.time_zone != new.time_zone:
        target.time_zone = new.time_zone
    if "locale" in draft.given and target.locale != new.locale:
        target.locale = new.locale
    if (
        "phone" in draft.given
        and isinstance(target, Person)
        and isinstance(new, Person)
        and target.phone != new.phone
    ):
        target.phone = new.phone


class BatchWriter:
    """Writes batches of drafts of one kind into the store.

    Args:
        crm: The open store.
        kind: ``parties``, ``contacts``, ``orders`` or ``interactions``.
        source: The mapping's source system (ids of organisations it creates).
        today: The day contact roles start on.
        marker: The progress marker's name.
    """

    def __init__(self, crm: CRM, kind: str, source: str, today: date, marker: str) -> None:
        self.crm = crm
        self.kind = kind
        self.source = source
        self.today = today
        self.marker = marker
        self.counts = Counts()
        self._org_names: dict[str, str] = {}
        self._org_domains: dict[str, str] = {}
        if kind == "contacts":
            self._load_organisations()

    def _load_organisations(self) -> None:
        for org in self.crm.parties.iterate(party_kind="organisation", batch=1000):
            self._remember(org)

    def _remember(self, org: Party) -> None:
        self._org_names.setdefault(search_key(org.name), org.id)
        domains = [e.value.rpartition("@")[2] for e in org.emails]
        domains += [t.removeprefix("domain:") for t in org.tags if t.startswith("domain:")]
        for domain in domains:
            if domain not in FREE_MAIL:
                self._org_domains.setdefault(domain, org.id)

    def position(self) -> int:
        """Rows done by earlier runs of this file (the stored marker)."""
        return self.crm.consumer(self.marker).position

    def write(self, drafts: Sequence[Draft], done_before: int, done_after: int) -> None:
        """Write one batch and move the marker from *done_before* to *done_after*."""
        marker = self.marker

        def save(tx: JobControlTransaction) -> None:
            current = tx.get_position(marker)
            if current != done_before:
                raise ConflictError(
                    "import", marker, done_before, current,
                    "another run of this import moved on; run one import of a file at a time",
                )  # fmt: skip
            tx.save_position(marker, done_after)

        counts = attrs.evolve(self.counts)
        with self.crm.unit_of_work() as uow:
            if self.kind in ("parties", "contacts"):
                self._parties(uow, [d for d in drafts if isinstance(d, PartyDraft)], counts)
            elif self.kind == "orders":
                self._orders(uow, [d for d in drafts if isinstance(d, OrderDraft)], counts)
            else:
                self._interactions(
                    uow, [d for d in drafts if isinstance(d, InteractionDraft)], counts
                )
            uow._within_commit(save)
        self.counts = counts

    # -- parties and contacts ------------------------------------------------------------

    def _parties(self, uow: UnitOfWork, drafts: list[PartyDraft], counts: Counts) -> None:
        repo: Repository[Party] = uow.repository("party")
        stored = repo.get_many([d.party.id for d in drafts])
        emails = [e.value for d in drafts if d.party.id not in stored for e in d.party.emails]
        by_email = parties_by_email(repo, emails) if emails else {}
        orgs: dict[str, Organisation] = {}
        for draft in drafts:
            target = stored.get(draft.party.id)
            if target is None:
                target = next(
                    (by_email[k] for e in draft.party.emails if (k := e.value.casefold()) in by_email),
                    None,
                )  # fmt: skip
            if target is None:
                repo.add(draft.party)
                target = draft.party
                counts.created += 1
                if isinstance(target, Organisation):
                    self._remember(target)
            else:
                before = _state(target)
                _merge(target, draft)
                if _state(target) != before:
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            if self.kind == "contacts":
                self._link(repo, orgs, target, draft, counts)

    def _link(
        self,
        repo: Repository[Party],
        orgs: dict[str, Organisation],
        person: Party,
        draft: PartyDraft,
        counts: Counts,
    ) -> None:
        org_id: str | None = None
        if draft.organisation:
            org_id = self._org_names.get(search_key(draft.organisation))
        if org_id is None:
            for email in person.emails:
                org_id = self._org_domains.get(email.value.rpartition("@")[2])
                if org_id is not None:
                    break
        org: Party | None = None
        if org_id is not None:
            org = orgs.get(org_id) or repo.find(org_id)
        if org is None and draft.organisation:
            key = search_key(draft.organisation)
            org = Organisation(id=f"{self.source}:org:{key}"[:255], name=draft.organisation)
            repo.add(org)
            self._remember(org)
            counts.organisations_created += 1
        if not isinstance(org, Organisation):
            return
        orgs[org.id] = org
        title = draft.title or "Contact"
        if not any(
            r.person_id == person.id and r.title == title and r.valid_to is None
            for r in org.contacts
        ):
            org.add_contact(
                person.id, title=title, valid_from=self.today, decision_maker=draft.decision_maker
            )

    # -- orders and interactions -----------------------------------------------------------

    def _party_ids(
        self, uow: UnitOfWork, drafts: Sequence[OrderDraft | InteractionDraft]
    ) -> dict[int, str]:
        """Each draft's party id by line; a party the store lacks stops the import."""
        repo: Repository[Party] = uow.repository("party")
        given = {d.party_id for d in drafts if d.party_id is not None}
        known = set(repo.get_many(sorted(given))) if given else set()
        emails = [d.party_email for d in drafts if d.party_id is None and d.party_email]
        by_email = parties_by_email(repo, emails) if emails else {}
        out: dict[int, str] = {}
        for d in drafts:
            if d.party_id is not None:
                if d.party_id not in known:
                    raise ValidationError("party_id", d.party_id, f"line {d.line}: no such party")
                out[d.line] = d.party_id
                continue
            party = by_email.get((d.party_email or "").casefold())
            if party is None:
                raise ValidationError(
                    "party_email", d.party_email, f"line {d.line}: no party has this address"
                )
            out[d.line] = party.id
        return out

    def _orders(self, uow: UnitOfWork, drafts: list[OrderDraft], counts: Counts) -> None:
        stored = uow.repository(Order).get_many([d.id for d in drafts])
        todo = [d for d in drafts if d.id not in stored]
        counts.unchanged += len(drafts) - len(todo)
        parties = self._party_ids(uow, todo) if todo else {}
        for d in todo:
            uow.add(Order.place(d.id, parties[d.line], (d.item,), d.placed_at))
            counts.created += 1

    def _interactions(
        self, uow: UnitOfWork, drafts: list[InteractionDraft], counts: Counts
    ) -> None:
        stored = uow.interactions.get_many([d.id for d in drafts])
        todo = [d for d in drafts if d.id not in stored]
        counts.unchanged += len(drafts) - len(todo)
        if not todo:
            return
        parties = self._party_ids(uow, todo)
        live: dict[str, Engagement] = {}
        wanted = sorted(set(parties.values()))
        repo: Repository[Engagement] = uow.repository("engagement")
        for engagement in repo.iterate(("party_id", "in", wanted)):
            best = live.get(engagement.party_id)
            if engagement.is_live and (best is None or engagement.acquired_on > best.acquired_on):
                live[engagement.party_id] = engagement
        for d in todo:
            chosen = live.get(parties[d.line])
            if chosen is None:
                raise ValidationError(
                    "party", parties[d.line], f"line {d.line}: the party has no live engagement"
                )
            chosen.log_interaction(
                d.channel, at=d.occurred_at, summary=d.summary, direction=d.direction,
                by=d.by, id=d.id,
            )  # fmt: skip
            counts.created += 1
