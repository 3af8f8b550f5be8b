"""What one party may see: its engagements, shared tasks, documents, billing, tickets, comments.

Portals leak when they check ownership once, at the top, and then follow
references (odoo/odoo#61702). `client_view` checks the party at **every
hop**: each record is read by the party's index and then checked again on
the record itself, and each record it leads to (a task's order, engagement
and parent; a credit note's invoice; a comment's subject) must be the same
party's too, or the record is left out. Internal records (tasks not shared,
internal comments) are never shown, nor are comments on what is not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs

from relationship_core._app.repository import require_store
from relationship_core._billing.invoices import CreditNote, Invoice, InvoiceStatus
from relationship_core._billing.orders import Order
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.parties import Organisation, Party
from relationship_core._support.tickets import Ticket
from relationship_core._work.comments import Comment, SubjectKind, Visibility
from relationship_core._work.requirements import RequirementDocument
from relationship_core._work.tasks import Progress, Task
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._app.facade import CRM

__all__ = ["ClientView", "PortalScope", "SharedTask", "client_view", "portal_view"]

#: EspoCRM's portal scopes: ``own`` (the contact's own records) or
#: ``organisation`` (the whole organisation's, for a contact acting for it).
PortalScope = Literal["own", "organisation"]


@attrs.frozen
class SharedTask:
    """A task shared with its party, and its progress (subtasks of the same party counted).

    Attributes:
        task: The task.
        progress: Checklist items ticked and subtasks closed, out of all.
    """

    task: Task
    progress: Progress


@attrs.frozen
class ClientView:
    """Everything one party may see, each record checked to be that party's.

    Attributes:
        party: The party.
        engagements: Its engagements.
        tasks: Its shared tasks, with progress.
        requirements: The requirement documents of its engagements.
        invoices: Its invoices.
        credit_notes: Its credit notes.
        tickets: Its tickets, open and closed.
        comments: Shared comments on what it sees.
    """

    party: Party
    engagements: tuple[Engagement, ...]
    tasks: tuple[SharedTask, ...]
    requirements: tuple[RequirementDocument, ...]
    invoices: tuple[Invoice, ...]
    credit_notes: tuple[CreditNote, ...]
    tickets: tuple[Ticket, ...]
    comments: tuple[Comment, ...]

    @property
    def open_tickets(self) -> tuple[Ticket, ...]:
        """Tickets still open."""
        return tuple(t for t in self.tickets if not t.is_closed)

    @property
    def closed_tickets(self) -> tuple[Ticket, ...]:
        """Tickets resolved, rejected or marked duplicate."""
        return tuple(t for t in self.tickets if t.is_closed)


def _owned_or_none(crm: CRM, kind: type[object], id: str | None, party_id: str) -> bool:
    """Whether the record *id* points to is absent (``None``) or the party's own."""
    if id is None:
        return True
    found = crm.repository(kind).find(id)
    return found is not None and getattr(found, "party_id", None) == party_id


def _visible_task(crm: CRM, task: Task, party_id: str) -> bool:
    return (
        task.party_id == party_id
        and task.shared is True
        and _owned_or_none(crm, Order, task.order_id, party_id)
        and _owned_or_none(crm, Engagement, task.engagement_id, party_id)
        and _owned_or_none(crm, Task, task.parent_id, party_id)
    )


def client_view(crm: CRM, party_id: str) -> ClientView:
    """Everything *party_id* may see (``NotFoundError`` when there is no such party)."""
    require_store("crm", crm)
    party = crm.repository(Party).get(party_id)
    engagements = tuple(
        e for e in crm.repository(Engagement).iterate(party_id=party_id) if e.party_id == party_id
    )
    mine = {e.id for e in engagements}
    tasks = []
    for task in crm.repository(Task).iterate(party_id=party_id, shared=True):
        if not _visible_task(crm, task, party_id):
            continue
        subtasks = [
            s for s in crm.repository(Task).iterate(parent_id=task.id) if s.party_id == party_id
        ]
        tasks.append(SharedTask(task, task.progress(subtasks)))
    requirements = tuple(
        doc
        for engagement_id in sorted(mine)
        for doc in crm.repository(RequirementDocument).iterate(engagement_id=engagement_id)
        if doc.engagement_id in mine
    )
    # A draft is the business's own working copy (it can still change), so a
    # client sees an invoice only once it is issued.
    invoices = tuple(
        i
        for i in crm.repository(Invoice).iterate(party_id=party_id)
        if i.party_id == party_id and i.status is not InvoiceStatus.DRAFT
    )
    credit_notes = tuple(
        n
        for n in crm.repository(CreditNote).iterate(party_id=party_id)
        if n.party_id == party_id and _owned_or_none(crm, Invoice, n.invoice_id, party_id)
    )
    tickets = tuple(
        t for t in crm.repository(Ticket).iterate(party_id=party_id) if t.party_id == party_id
    )
    subjects = {
        SubjectKind.TASK: {t.task.id for t in tasks},
        SubjectKind.REQUIREMENT: {d.id for d in requirements},
        SubjectKind.TICKET: {t.id for t in tickets},
    }
    comments = tuple(
        c
        for c in crm.repository(Comment).iterate(
            party_id=party_id, visibility=Visibility.SHARED, order_by="at"
        )
        if c.party_id == party_id and not c.internal and c.subject_id in subjects[c.subject_kind]
    )
    return ClientView(
        party=party,
        engagements=engagements,
        tasks=tuple(tasks),
        requirements=requirements,
        invoices=invoices,
        credit_notes=credit_notes,
        tickets=tickets,
        comments=comments,
    )


def portal_view(
    crm: CRM, contact_id: str, *, organisation_id: str | None = None, scope: PortalScope = "own"
) -> ClientView:
    """What a portal user sees: their own records, or their organisation's.

    ``scope="own"`` is `client_view` of the contact (a person) themself;
    ``scope="organisation"`` is `client_view` of *organisation_id*, for a
    contact holding a role there today (the CRM's clock); anyone else is
    refused with ``ValidationError`` naming ``contact_id``.
    """
    require_store("crm", crm)
    if scope == "own":
        return client_view(crm, contact_id)
    if scope != "organisation":
        raise ValidationError("scope", scope, "'own' or 'organisation'")
    if organisation_id is None:
        raise ValidationError("organisation_id", None, "the organisation scope names one")
    organisation = crm.repository(Party).get(organisation_id)
    if not isinstance(organisation, Organisation):
        raise ValidationError("organisation_id", organisation_id, "not an organisation")
    today = crm.clock.now().astimezone(organisation.time_zone).date()  # its own day
    if not isinstance(organisation, Organisation) or not any(
        role.person_id == contact_id and role.active_on(today) for role in organisation.contacts
    ):
        raise ValidationError(
            "contact_id", contact_id, f"holds no current role at {organisation_id!r}"
        )
    return client_view(crm, organisation_id)
