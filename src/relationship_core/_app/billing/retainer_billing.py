"""Billing one retainer inside a unit of work: what the run and its batches share.

`bill_in` issues, numbers and adds one retainer's due documents in the
caller's unit of work without committing, so `BillingRunner` can commit one
retainer per unit of work and `bill_batch` many.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import attrs

from relationship_core._app.billing.context import (
    BillingContext,
    credit_note_numbers,
    invoice_numbers,
)
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.biller import bill_retainer
from relationship_core._billing.invoices import CreditNote, CreditNoteStatus, Invoice, InvoiceStatus
from relationship_core._billing.retainer import Retainer

__all__ = ["BillingFailure", "Document", "bill_in"]

Document = Invoice | CreditNote


@attrs.frozen
class BillingFailure:
    """A retainer or order the run could not bill; it stays due, nothing of it was saved.

    Either it kept losing races (``ConflictError`` after every attempt: the
    next run will most likely succeed) or billing it raised a domain or data
    error (a ``ValidationError`` naming the field and value, a record that
    cannot be read...): fix what *error* says, then run again.

    Attributes:
        kind: ``"retainer"`` or ``"order"``.
        id: Its id.
        attempts: How many units of work were tried.
        error: The last error's message (what to fix).
        error_type: The last error's class name, e.g. ``"ConflictError"``.
    """

    kind: str
    id: str
    attempts: int
    error: str
    error_type: str = "ConflictError"


def _apply_credit_notes(uow: UnitOfWork, documents: Sequence[Document], at: datetime) -> None:
    """Set issued credit notes against their invoice while it is still open."""
    for note in documents:
        if not isinstance(note, CreditNote) or note.invoice_id is None:
            continue
        invoice: Invoice | None = uow.repository(Invoice).find(note.invoice_id)
        if (
            invoice is not None
            and invoice.status is InvoiceStatus.ISSUED
            and note.status is CreditNoteStatus.ISSUED
            and note.total <= invoice.balance
        ):
            invoice.apply_credit_note(note, at)


def bill_in(
    ctx: BillingContext,
    retainer_id: str,
    uow: UnitOfWork,
    *,
    on: date | None,
    at: datetime,
    number_day: date,
) -> list[Document]:
    """Bill one retainer in *uow* (not committed): issue, number and add its documents."""
    retainer: Retainer = ctx.own("retainer", uow.repository(Retainer).get(retainer_id))
    through = on if on is not None else retainer.local_date(at)
    steps = bill_retainer(retainer, through, at)
    if not any(step.document is not None for step in steps):
        return []
    # Issue in order; a sequence is read (in this unit of work) only when needed.
    documents: list[Document] = []
    for step in steps:
        document = step.document
        if isinstance(document, Invoice):
            numbers = invoice_numbers(uow, ctx.business)
        elif isinstance(document, CreditNote):
            numbers = credit_note_numbers(uow, ctx.business)
        else:
            continue
        document.issue(numbers, through, at, numbered_on=number_day)
        uow.add(document)
        documents.append(document)
    _apply_credit_notes(uow, documents, at)
    return documents
