"""Invoices and credit notes: lines, numbering at issue, due dates, payments, credits."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import attrs

from relationship_core._billing._checks import (
    require_count,
    require_money,
    require_text,
)
from relationship_core._billing.events import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    InvoiceVoided,
    PaymentReceived,
)
from relationship_core._billing.lines import LineItem, LineSums, LineTotals, totals_field
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._domain.business import DEFAULT_BUSINESS
from relationship_core._domain.currency import Currency
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_aware, require_date
from relationship_core._domain.validators import to_enum
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "CreditNote",
    "CreditNoteStatus",
    "Invoice",
    "InvoiceSource",
    "InvoiceStatus",
    "Payment",
]


class InvoiceStatus(enum.Enum):
    """Where an invoice is in its life."""

    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"


#: Allowed status moves (``PAID`` and ``VOID`` are final).
INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.ISSUED}),
    InvoiceStatus.ISSUED: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


class InvoiceSource(enum.Enum):
    """What produced an invoice."""

    RETAINER = "retainer"
    ORDER = "order"
    MANUAL = "manual"


def _to_source(value: object) -> InvoiceSource:
    return to_enum(InvoiceSource, "source", value)


def _to_status(value: object) -> InvoiceStatus:
    return to_enum(InvoiceStatus, "status", value)


def _to_note_status(value: object) -> CreditNoteStatus:
    return to_enum(CreditNoteStatus, "status", value)


def _currency(value: object) -> Currency:
    return Currency.of(value)  # type: ignore[arg-type]  # Currency.of validates the type


def _zero_in_currency(self: Invoice) -> Money:
    return Money.zero(self.currency)


def _move(entity: str, current: InvoiceStatus, requested: InvoiceStatus) -> None:
    allowed = INVOICE_TRANSITIONS[current]
    if requested not in allowed:
        raise InvalidTransitionError(
            entity, current.value, requested.value, sorted(s.value for s in allowed)
        )


def _check_lines(lines: tuple[LineItem, ...], currency: Currency) -> tuple[LineItem, ...]:
    if not isinstance(lines, tuple):
        raise ValidationError("lines", lines, "expected a tuple of LineItem")
    for i, line in enumerate(lines):
        if not isinstance(line, LineItem):
            raise ValidationError(f"lines[{i}]", line, "expected a LineItem")
        if line.currency != currency:
            raise ValidationError(
                f"lines[{i}].unit_price", line.unit_price, f"expected an amount in {currency.code}"
            )
    return lines


def _number_day(on: date, at: datetime, numbered_on: date | None) -> date:
    """Check an issue's dates once; the date that decides the number."""
    require_date("on", on)
    require_aware("at", at)
    return on if numbered_on is None else require_date("numbered_on", numbered_on)


@attrs.frozen
class Payment:
    """Money received against an invoice.

    Attributes:
        id: The payment's id (e.g. the payment provider's reference); recording
            the same id twice is refused, so retried webhooks do not double-count.
        amount: How much was received (positive).
        received_at: When (aware).
        method: How, free text ("card", "transfer").
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    amount: Money = attrs.field(validator=lambda _i, a, v: require_money(a.name, v))
    received_at: datetime = attrs.field(validator=lambda _i, a, v: require_aware(a.name, v))
    method: str = ""

    def __attrs_post_init__(self) -> None:
        if self.amount.amount <= 0 or not self.amount.is_rounded:
            raise ValidationError(
                "amount", self.amount, "must be positive and in whole minor units"
            )


@attrs.define
class Invoice(LineTotals, EventRecorder):
    """A bill to one party: lines, a number and dates once issued, payments and credits.

    Drafts can change; `issue` takes the next number from the business's
    `InvoiceNumberSequence` and fixes the issue and due dates. Payments
    (partial or whole) and credit notes reduce the balance; at zero the
    invoice is ``PAID``. An issued invoice is never deleted: voiding keeps its
    number, so numbering stays gapless.

    Attributes:
        id: The invoice's id. Biller invoices derive it from the idempotency key.
        party_id: Who is billed.
        currency: The invoice currency; every line uses it.
        lines: The lines, in print order.
        payment_terms_days: Days from issue to due date (e.g. 30 for "net 30").
        source: What produced it.
        source_id: The retainer or order id it came from, if any.
        idempotency_key: Deterministic key of the billing step that made it
            (e.g. ``"retainer:R1:2026-01-31"``); storage keeps it unique.
        status: Draft, issued, paid or void.
        number: The gapless number, set at issue.
        issued_on: The local date of issue.
        due_on: ``issued_on + payment_terms_days``.
        payments: Payments received, in order.
        credit_note_ids: Credit notes applied to it.
        credited: Total of the credit notes applied.
        business: The key of the business that issues it.
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    party_id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    currency: Currency = attrs.field(converter=_currency)
    lines: tuple[LineItem, ...] = ()
    payment_terms_days: int = attrs.field(
        default=30, validator=lambda _i, a, v: require_count(a.name, v, minimum=0)
    )
    source: InvoiceSource = attrs.field(default=InvoiceSource.MANUAL, converter=_to_source)
    source_id: str | None = None
    idempotency_key: str | None = None
    status: InvoiceStatus = attrs.field(default=InvoiceStatus.DRAFT, converter=_to_status)
    number: str | None = None
    issued_on: date | None = None
    due_on: date | None = None
    payments: tuple[Payment, ...] = ()
    credit_note_ids: tuple[str, ...] = ()
    credited: Money = attrs.field(default=attrs.Factory(_zero_in_currency, takes_self=True))
    business: str = DEFAULT_BUSINESS
    _events: list[DomainEvent] = events_field()
    _sums: LineSums | None = totals_field()

    def __attrs_post_init__(self) -> None:
        _check_lines(self.lines, self.currency)
        require_money("credited", self.credited, self.currency)

    @classmethod
    def _trusted_draft(
        cls,
        key: str,
        party_id: str,
        *,
        currency: Currency,
        lines: tuple[LineItem, ...],
        payment_terms_days: int,
        source: InvoiceSource,
        source_id: str | None,
        idempotency_key: str | None,
        business: str = DEFAULT_BUSINESS,
    ) -> Invoice:
        """A draft built without validation, for the biller's already-checked values."""
        invoice = object.__new__(cls)
        set_ = object.__setattr__
        for name, value in (
            ("id", key),
            ("party_id", party_id),
            ("currency", currency),
            ("lines", lines),
            ("payment_terms_days", payment_terms_days),
            ("source", source),
            ("source_id", source_id),
            ("idempotency_key", idempotency_key),
            ("status", InvoiceStatus.DRAFT),
            ("number", None),
            ("issued_on", None),
            ("due_on", None),
            ("payments", ()),
            ("credit_note_ids", ()),
            ("credited", Money.zero(currency)),
            ("business", business),
            ("_events", []),
            ("_sums", None),
        ):
            set_(invoice, name, value)
        return invoice

    # -- totals -----------------------------------------------------------------

    @property
    def paid(self) -> Money:
        """Sum of the payments received."""
        return sum((p.amount for p in self.payments), Money.zero(self.currency))

    @property
    def balance(self) -> Money:
        """What is still owed: total less credits less payments."""
        return self.total - self.credited - self.paid

    # -- drafting ---------------------------------------------------------------
    def add_line(self, line: LineItem) -> None:
        """Append a line to a draft."""
        if self.status is not InvoiceStatus.DRAFT:
            raise ValidationError("status", self.status.value, "only a draft can take new lines")
        self.lines = _check_lines((*self.lines, line), self.currency)

    # -- life cycle -------------------------------------------------------------
    def issue(
        self,
        sequence: InvoiceNumberSequence,
        on: date,
        at: datetime,
        *,
        numbered_on: date | None = None,
    ) -> str:
        """Give the draft its number from *sequence* and issue it on local date *on*.

        *on* is the account's local date (it decides ``due_on``);
        *numbered_on* is the issuing business's date, which decides the
        number's year and order (default: *on*). Save the invoice and the
        sequence in one unit of work. Returns the number.
        """
        number_day = _number_day(on, at, numbered_on)
        _move("invoice", self.status, InvoiceStatus.ISSUED)
        if not self.lines:
            raise ValidationError("lines", self.lines, "an invoice needs at least one line")
        total = self.total
        if total.amount < 0:
            raise ValidationError("total", total, "a negative invoice is a credit note; issue one")
        self.number = sequence._take(number_day)
        self.issued_on = on
        self.due_on = on + timedelta(days=self.payment_terms_days)
        self.status = InvoiceStatus.ISSUED
        self._record(
            InvoiceIssued(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                number=self.number,
                total=total,
                issued_on=on,
                due_on=self.due_on,
            )
        )
        if total.amount == 0:
            self._settle(at)
        return self.number

    def record_payment(self, payment: Payment) -> None:
        """Record a payment; refuses overpayment and a payment id seen before."""
        if not isinstance(payment, Payment):
            raise ValidationError("payment", payment, "expected a Payment")
        if self.status is not InvoiceStatus.ISSUED:
            raise ValidationError(
                "status", self.status.value, "payments are recorded against issued invoices only"
            )
        require_money("payment.amount", payment.amount, self.currency)
        if any(p.id == payment.id for p in self.payments):
            raise ValidationError("payment.id", payment.id, "this payment was already recorded")
        if payment.amount > self.balance:
            raise ValidationError(
                "payment.amount", payment.amount, f"exceeds the balance of {self.balance}"
            )
        self.payments = (*self.payments, payment)
        self._record(
            PaymentReceived(
                aggregate_id=self.id,
                occurred_at=payment.received_at,
                party_id=self.party_id,
                payment_id=payment.id,
                amount=payment.amount,
                balance=self.balance,
            )
        )
        if self.balance.amount == 0:
            self._settle(payment.received_at)

    def apply_credit_note(self, note: CreditNote, at: datetime) -> None:
        """Reduce the balance by an issued credit note made out against this invoice."""
        require_aware("at", at)
        if self.status is not InvoiceStatus.ISSUED:
            raise ValidationError(
                "status", self.status.value, "credit notes apply to issued, unpaid invoices"
            )
        if note.status is not CreditNoteStatus.ISSUED:
            raise ValidationError("note.status", note.status.value, "issue the credit note first")
        if note.invoice_id != self.id or note.id in self.credit_note_ids:
            raise ValidationError(
                "note.invoice_id", note.invoice_id, f"must name invoice {self.id!r}, once"
            )
        amount = note.total
        if amount > self.balance:
            raise ValidationError("note.total", amount, f"exceeds the balance of {self.balance}")
        self.credited = self.credited + amount
        self.credit_note_ids = (*self.credit_note_ids, note.id)
        if self.balance.amount == 0:
            self._settle(at)

    def void(self, reason: str, at: datetime) -> None:
        """Void an issued invoice nobody has paid; it keeps its number."""
        require_aware("at", at)
        _move("invoice", self.status, InvoiceStatus.VOID)
        if self.payments:
            raise ValidationError(
                "payments", len(self.payments), "refund the payments before voiding; or credit it"
            )
        self.status = InvoiceStatus.VOID
        self._record(
            InvoiceVoided(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                number=self.number or "",
                reason=reason,
            )
        )

    def _settle(self, at: datetime) -> None:
        _move("invoice", self.status, InvoiceStatus.PAID)
        self.status = InvoiceStatus.PAID
        self._record(
            InvoicePaid(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                number=self.number or "",
            )
        )


class CreditNoteStatus(enum.Enum):
    """A credit note is drafted, then issued (numbered)."""

    DRAFT = "draft"
    ISSUED = "issued"


@attrs.define
class CreditNote(LineTotals, EventRecorder):
    """Money owed back to a party: unused retainer days, a refund, a correction.

    Lines are written the other way round from an invoice: a positive line
    is money credited, a ``CREDIT`` line is taken off the credit. The
    `total` must be positive at issue.

    Attributes:
        id: The credit note's id.
        party_id: Who is credited.
        currency: Its currency.
        lines: What is credited, positive amounts.
        reason: Why, as printed.
        invoice_id: The invoice it corrects, if any.
        source: What produced it.
        source_id: The retainer or order id, if any.
        idempotency_key: Deterministic key of the step that made it.
        status: Draft or issued.
        number: Its gapless number (a separate sequence, e.g. prefix ``"CN"``).
        issued_on: Local date of issue.
        business: The key of the business that issues it.
    """

    id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    party_id: str = attrs.field(validator=lambda _i, a, v: require_text(a.name, v))
    currency: Currency = attrs.field(converter=_currency)
    lines: tuple[LineItem, ...] = ()
    reason: str = ""
    invoice_id: str | None = None
    source: InvoiceSource = attrs.field(default=InvoiceSource.MANUAL, converter=_to_source)
    source_id: str | None = None
    idempotency_key: str | None = None
    status: CreditNoteStatus = attrs.field(
        default=CreditNoteStatus.DRAFT, converter=_to_note_status
    )
    number: str | None = None
    issued_on: date | None = None
    business: str = DEFAULT_BUSINESS
    _events: list[DomainEvent] = events_field()
    _sums: LineSums | None = totals_field()

    def __attrs_post_init__(self) -> None:
        _check_lines(self.lines, self.currency)

    def issue(
        self,
        sequence: InvoiceNumberSequence,
        on: date,
        at: datetime,
        *,
        numbered_on: date | None = None,
    ) -> str:
        """Number the credit note from *sequence* and issue it on *on*.

        *numbered_on* (default *on*) is the business's date that decides the number.
        """
        number_day = _number_day(on, at, numbered_on)
        if self.status is not CreditNoteStatus.DRAFT:
            raise InvalidTransitionError("credit note", self.status.value, "issued", [])
        if not self.lines:
            raise ValidationError("lines", self.lines, "a credit note needs at least one line")
        if self.total.amount <= 0:
            raise ValidationError(
                "total", self.total, "a credit note must credit a positive amount"
            )
        self.number = sequence._take(number_day)
        self.issued_on = on
        self.status = CreditNoteStatus.ISSUED
        self._record(
            CreditNoteIssued(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                number=self.number,
                total=self.total,
                invoice_id=self.invoice_id,
            )
        )
        return self.number
