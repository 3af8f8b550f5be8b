"""The billing service: retainers, orders and invoices kept in a store, billed idempotently.

`BillingService` runs the billing domain (`relationship_core._billing`)
inside units of work on an open `CRM`.
Every operation is one unit of work: the aggregates it changes, the documents
it issues, the number sequences it draws from and the domain events they
record are committed together or not at all.

**Why the biller is idempotent.** For each retainer due, `BillingService.run`
opens ONE unit of work that reads the retainer (remembering its version),
bills every period due (`bill_retainer`
advances the retainer's ``next_period`` marker), adds the documents under
their idempotency keys (``"retainer:<id>:<period start>"``), numbers them from
the business's `InvoiceNumberSequence` read in the same unit of work,
and commits. Therefore:

* a second run finds the marker advanced and bills nothing;
* a crash before the commit leaves nothing behind, and the next run computes
  the very same documents (same keys, same lines) and the very same numbers;
* two billers racing on one retainer, or on the shared sequence, cannot both
  commit: optimistic concurrency refuses the stale write with
  `ConflictError`, the loser re-reads and
  retries (a bounded number of times), finding the period billed and the next
  number free. Numbers are taken only in committed units of work, so they
  have no gaps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

import relationship_core._app.billing_kinds  # noqa: F401 - registers the billing kinds
from relationship_core._app.facade import CRM
from relationship_core._app.uow import Repository, UnitOfWork
from relationship_core._billing.biller import (
    bill_retainer,
    credit_note_for_refund,
    invoice_for_order,
)
from relationship_core._billing.invoices import (
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    Payment,
)
from relationship_core._billing.lifecycle import end_retainer_on_lapse, start_retainer_for
from relationship_core._billing.lines import LineItem
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import Order, OrderStatus, Refund
from relationship_core._billing.retainer import Retainer, RetainerStatus, RetainerTerms
from relationship_core._domain.business import (
    DEFAULT_BUSINESS,
    Business,
    NumberingScheme,
    require_key,
)
from relationship_core._domain.clock import Clock
from relationship_core._domain.engagements import ClientLapsed, Engagement
from relationship_core._domain.ids import new_id
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_date
from relationship_core._storage.contract import Condition, Query
from relationship_core.exceptions import (
    BackendUnavailableError,
    ConflictError,
    RelationshipCoreError,
    ValidationError,
)

__all__ = ["BillingFailure", "BillingRun", "BillingInterruptedError", "BillingService"]

T = TypeVar("T")
B = TypeVar("B", Retainer, Order, Invoice)

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


def _totals(documents: Iterable[Document]) -> dict[str, Money]:
    out: dict[str, Money] = {}
    for doc in documents:
        code = doc.currency.code
        out[code] = out[code] + doc.total if code in out else doc.total
    return out


@attrs.frozen
class BillingRun:
    """What one `BillingService.run` did.

    Attributes:
        on: The date billed through (``None``: each account's local today).
        invoices: The invoices issued, in issue order.
        credit_notes: The credit notes issued, in issue order.
        retainers_billed: Retainers that had something to bill.
        orders_invoiced: Fulfilled orders invoiced.
        retries: Units of work retried after an optimistic-concurrency conflict.
        failures: What was given up on (it stays due; the next run tries again).
    """

    on: date | None
    invoices: tuple[Invoice, ...] = ()
    credit_notes: tuple[CreditNote, ...] = ()
    retainers_billed: int = 0
    orders_invoiced: int = 0
    retries: int = 0
    failures: tuple[BillingFailure, ...] = ()

    @property
    def invoices_issued(self) -> int:
        """How many invoices were issued."""
        return len(self.invoices)

    @property
    def billed(self) -> dict[str, Money]:
        """Total invoiced (tax included) per currency code."""
        return _totals(self.invoices)

    @property
    def credited(self) -> dict[str, Money]:
        """Total credited per currency code."""
        return _totals(self.credit_notes)

    @property
    def ok(self) -> bool:
        """Whether nothing was given up on."""
        return not self.failures


class BillingInterruptedError(BackendUnavailableError):
    """The store became unreachable during `BillingService.run`; the run stopped.

    Everything in `run` was committed; the rest stays due and the next run
    bills it (nothing is billed twice). It is a ``BackendUnavailableError``,
    so code catching that keeps working.

    Attributes:
        run: What the run did before the store went away.
    """

    def __init__(self, run: BillingRun, cause: BackendUnavailableError) -> None:
        super().__init__(
            f"the store became unavailable after {run.retainers_billed} retainers billed and "
            f"{run.orders_invoiced} orders invoiced ({cause}); what was billed is committed, "
            "run again when the store is back"
        )
        self.run = run


class BillingService:
    """Retainers, orders, invoices and payments on a store, one unit of work per change.

    Examples:
        >>> from datetime import UTC, date, datetime
        >>> from relationship_core import BillingCycle, ManualClock, Money, RetainerTerms
        >>> from relationship_core._app.facade import open_store
        >>> clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
        >>> with open_store("memory://", clock=clock) as crm:
        ...     billing = BillingService(crm, business="acme")
        ...     terms = RetainerTerms(Money("300.00", "EUR"), BillingCycle.monthly(), "UTC")
        ...     _ = billing.start_retainer("party-1", terms, retainer_id="R1")
        ...     first = billing.run(date(2026, 3, 1))
        ...     again = billing.run(date(2026, 3, 1))
        >>> [invoice.number for invoice in first.invoices]
        ['INV-2026-000001', 'INV-2026-000002', 'INV-2026-000003']
        >>> first.billed["EUR"], again.invoices_issued
        (Money('900.00', 'EUR'), 0)

    Args:
        crm: The open store.
        business: Whose documents these are: a `Business`, or the key of one.
            The service reads and writes that business's records only, and
            names its number sequences after it (``"<key>:invoices"``,
            ``"<key>:credit-notes"``), so numbering is gapless per business.
            A business not stored yet is stored on first use (from a key:
            with *time_zone* and the prefixes); a stored one is used as it is.
        clock: Where "now" comes from (default: the CRM's clock).
        time_zone: For a business created from its key: its zone (default
            UTC), which dates orders and numbers documents.
        payment_terms_days: Payment terms of order invoices.
        max_attempts: Units of work tried per retainer or order when another
            writer keeps winning the race (then it is reported, not raised).
        invoice_prefix: For a business created from its key: printed before
            invoice numbers (default ``"INV"``).
        credit_note_prefix: Likewise for credit notes (default ``"CN"``).

    Raises:
        ValidationError: Bad arguments, or settings that contradict the stored business.
    """

    def __init__(
        self,
        crm: CRM,
        *,
        business: str | Business = DEFAULT_BUSINESS,
        clock: Clock | None = None,
        time_zone: ZoneInfo | str | None = None,
        payment_terms_days: int = 0,
        max_attempts: int = 5,
        invoice_prefix: str | None = None,
        credit_note_prefix: str | None = None,
    ) -> None:
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError("max_attempts", max_attempts, "give a positive integer")
        if not isinstance(payment_terms_days, int) or payment_terms_days < 0:
            raise ValidationError(
                "payment_terms_days", payment_terms_days, "give a whole number of days, 0 or more"
            )
        for kind in ("business", "retainer", "invoice", "credit_note", "order", "invoice_sequence"):
            if kind not in crm.registry:
                raise ValidationError(
                    "crm.registry",
                    kind,
                    "this store does not know the billing kinds; open it with the default "
                    "registry (import relationship_core first)",
                )
        explicit = isinstance(business, Business) or any(
            v is not None for v in (time_zone, invoice_prefix, credit_note_prefix)
        )
        if not isinstance(business, Business):
            business = Business.create(
                require_key("business", business),
                time_zone="UTC" if time_zone is None else time_zone,
                numbering=NumberingScheme.with_prefixes(
                    invoice_prefix or "INV", credit_note_prefix or "CN"
                ),
            )
        self.crm = crm
        self.clock: Clock = clock or crm.clock
        self.payment_terms_days = payment_terms_days
        self.max_attempts = max_attempts
        #: The business record in use (as stored).
        self.business_record: Business = self._ensure_business(business, explicit=explicit)
        #: Its key.
        self.business: str = self.business_record.key
        #: Its zone: the date orders are invoiced on and documents numbered by.
        self.time_zone: ZoneInfo = self.business_record.time_zone

    def _ensure_business(self, wanted: Business, *, explicit: bool) -> Business:
        """The stored business of *wanted*'s key, storing *wanted* if there is none."""

        def work(uow: UnitOfWork) -> Business:
            repo: Repository[Business] = uow.repository("business")
            stored = repo.find(wanted.key)
            if stored is None:  # first use: two creators conflict, the loser re-reads
                repo.add(wanted)
                return wanted
            return stored

        stored = self._attempt(work)[0]
        if explicit and stored != wanted:
            raise ValidationError(
                "business",
                wanted.key,
                f"is stored with other settings ({stored!r}); pass just the key to use them",
            )
        return stored

    # -- repositories -------------------------------------------------------------
    @property
    def retainers(self) -> Repository[Retainer]:
        """Retainers (indexed by party, engagement, status, dates, next billing date)."""
        return self.crm.repository("retainer")

    @property
    def invoices(self) -> Repository[Invoice]:
        """Invoices (indexed by party, status, number, issue and due dates, source)."""
        return self.crm.repository("invoice")

    @property
    def credit_notes(self) -> Repository[CreditNote]:
        """Credit notes."""
        return self.crm.repository("credit_note")

    @property
    def orders(self) -> Repository[Order]:
        """Orders (indexed by party, status, placed_at, team, invoice)."""
        return self.crm.repository("order")

    # -- plumbing -----------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now()

    def _today(self, at: datetime) -> date:
        return at.astimezone(self.time_zone).date()

    def _attempt(self, work: Callable[[UnitOfWork], T]) -> tuple[T, int]:
        """Run *work* in a unit of work, retrying on conflicts; ``(result, retries)``."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.crm.unit_of_work() as uow:
                    result = work(uow)
                return result, attempt - 1
            except ConflictError:
                if attempt == self.max_attempts:
                    raise
                # Back off a little, with jitter, so racing workers fall out of step.
                time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 - not crypto
        raise AssertionError("unreachable")  # pragma: no cover

    def _sequence(self, uow: UnitOfWork, suffix: str, pattern: str) -> InvoiceNumberSequence:
        repo = uow.repository("invoice_sequence")
        sequence_id = f"{self.business}:{suffix}"
        found: InvoiceNumberSequence | None = repo.find(sequence_id)
        if found is None:  # the first document of this business: two creators conflict
            found = InvoiceNumberSequence(
                sequence_id,
                prefix=pattern.partition("{")[0].rstrip("-") or suffix,
                yearly="{year" in pattern,
                business=self.business,
                pattern=pattern,
            )
            repo.add(found)
        return found

    def _invoice_numbers(self, uow: UnitOfWork) -> InvoiceNumberSequence:
        return self._sequence(uow, "invoices", self.business_record.numbering.invoices)

    def _credit_note_numbers(self, uow: UnitOfWork) -> InvoiceNumberSequence:
        return self._sequence(uow, "credit-notes", self.business_record.numbering.credit_notes)

    def _own(self, kind: str, obj: B) -> B:
        """*obj* if it belongs to this business; else ``ValidationError`` saying whose it is."""
        if obj.business != self.business:
            raise ValidationError(
                f"{kind}.business",
                obj.business,
                f"{kind} {obj.id!r} belongs to business {obj.business!r}, not "
                f"{self.business!r}; use that business's BillingService",
            )
        return obj

    def _mine(self) -> tuple[str | None, ...]:
        """The ``business`` index values of this business's records.

        Records of the default business written before businesses existed
        have no value until ``relationship-core migrate`` indexes them.
        """
        return (self.business, None) if self.business == DEFAULT_BUSINESS else (self.business,)

    def _change(self, kind: str, id: str, change: Callable[[Any, datetime], None]) -> Any:
        at = self._now()

        def work(uow: UnitOfWork) -> Any:
            obj = self._own(kind, uow.repository(kind).get(id))
            change(obj, at)
            return obj

        return self._attempt(work)[0]

    # -- retainers ----------------------------------------------------------------
    def start_retainer(
        self,
        party_id: str,
        terms: RetainerTerms,
        *,
        retainer_id: str | None = None,
        starts_on: date | None = None,
        engagement_id: str | None = None,
    ) -> Retainer:
        """Start a retainer (e.g. for a client signed outside a promotion)."""
        at = self._now()
        rid = retainer_id or new_id()

        def work(uow: UnitOfWork) -> Retainer:
            existing: Retainer | None = uow.repository("retainer").find(rid)
            if existing is not None:  # a retried request: started already
                return self._own("retainer", existing)
            retainer = Retainer.start(
                rid,
                party_id,
                terms,
                at,
                starts_on=starts_on,
                engagement_id=engagement_id,
                business=self.business,
            )
            uow.add(retainer)
            return retainer

        return self._attempt(work)[0]

    def promote(
        self,
        engagement_id: str,
        terms: RetainerTerms,
        *,
        account_manager: str,
        reason: str,
        on: date | None = None,
        retainer_id: str | None = None,
    ) -> tuple[Engagement, Retainer]:
        """Promote a customer to client and start their retainer, in one unit of work.

        The retainer starts on the promotion day (default: today in the
        engagement's time zone); a mid-period start makes a prorated first
        invoice.
        """
        at = self._now()
        rid = retainer_id or new_id()

        def work(uow: UnitOfWork) -> tuple[Engagement, Retainer]:
            engagement: Engagement = uow.engagements.get(engagement_id)
            engagement.promote_to_client(
                account_manager=account_manager, reason=reason, at=at, on=on
            )
            retainer = start_retainer_for(
                engagement, terms, at, retainer_id=rid, business=self.business
            )
            uow.add(retainer)
            return engagement, retainer

        return self._attempt(work)[0]

    def lapse(
        self,
        engagement_id: str,
        *,
        reason: str,
        on: date | None = None,
        support_team: str | None = None,
        immediately: bool = False,
    ) -> tuple[Engagement, list[Retainer]]:
        """Let a client lapse to customer and end their open retainers, in one unit of work.

        By default each retainer's last period is the one containing the
        lapse day; with *immediately* service stops that day and the rest of
        the billed period is credited on the next run.
        """
        at = self._now()

        def work(uow: UnitOfWork) -> tuple[Engagement, list[Retainer]]:
            engagement: Engagement = uow.engagements.get(engagement_id)
            engagement.lapse_to_customer(reason=reason, at=at, support_team=support_team, on=on)
            lapse = engagement.pending_events[-1]
            assert isinstance(lapse, ClientLapsed)  # noqa: S101 - recorded just above
            ended = []
            retainers = uow.repository("retainer")
            for retainer in [
                r
                for key in self._mine()
                for r in retainers.iterate(engagement_id=engagement_id, business=key)
            ]:
                if retainer.status is not RetainerStatus.CANCELLED:
                    end_retainer_on_lapse(retainer, lapse, immediately=immediately)
                    ended.append(retainer)
            return engagement, ended

        return self._attempt(work)[0]

    def change_fee(
        self, retainer_id: str, fee: Money, *, effective_on: date | None = None
    ) -> Retainer:
        """Change a retainer's fee; billed periods get credit and charge adjustments."""
        result: Retainer = self._change(
            "retainer", retainer_id, lambda r, at: r.change_fee(fee, at, effective_on=effective_on)
        )
        return result

    def pause(self, retainer_id: str, *, on: date | None = None) -> Retainer:
        """Pause a retainer from *on* (default: today, locally)."""
        result: Retainer = self._change("retainer", retainer_id, lambda r, at: r.pause(at, on=on))
        return result

    def resume(self, retainer_id: str, *, on: date | None = None) -> Retainer:
        """Resume a paused retainer on *on* (default: today, locally)."""
        result: Retainer = self._change("retainer", retainer_id, lambda r, at: r.resume(at, on=on))
        return result

    def cancel(
        self,
        retainer_id: str,
        *,
        immediately: bool = False,
        on: date | None = None,
        reason: str = "",
    ) -> Retainer:
        """Cancel a retainer (at period end, or now with a credit on the next run)."""
        result: Retainer = self._change(
            "retainer",
            retainer_id,
            lambda r, at: r.cancel(at, immediately=immediately, on=on, reason=reason),
        )
        return result

    # -- the biller ---------------------------------------------------------------
    def due_retainers(self, on: date | None = None) -> list[str]:
        """Ids of the retainers with something to bill on or before *on*.

        Only this business's retainers, and only the ``business`` and
        ``next_billing_date`` indexes are read. Without *on*, the horizon is
        tomorrow in UTC, which covers today in every time zone; each retainer
        is then billed through its own local today.
        """
        horizon = require_date("on", on) if on is not None else self._now().astimezone(UTC).date()
        if on is None:
            horizon += timedelta(days=1)
        # Ids straight from the index: the retainers are loaded in their own units of work.
        ids: list[str] = []
        due = Condition("next_billing_date", "le", horizon)
        for key in self._mine():
            mine = Condition("business", "eq", key)
            after = None
            while True:
                query = Query("retainer", (mine, due), limit=1000, after=after)
                page = self.crm.backend.query(query)
                ids.extend(record.id for record in page.records)
                if page.next_cursor is None:
                    break
                after = page.next_cursor
        return sorted(ids)

    def bill(self, retainer_id: str, on: date | None = None) -> list[Document]:
        """Bill one retainer through *on* (default: its local today) in one unit of work.

        Returns the documents issued (none if nothing was due, e.g. another
        biller got there first). Raises ``ConflictError`` after
        `max_attempts` lost races.
        """
        return self._bill(retainer_id, on)[0]

    def _bill(self, retainer_id: str, on: date | None) -> tuple[list[Document], int]:
        at = self._now()

        # Numbers follow the business's date; each account's documents its own local date.
        number_day = on if on is not None else self._today(at)

        def work(uow: UnitOfWork) -> list[Document]:
            retainer: Retainer = self._own("retainer", uow.repository("retainer").get(retainer_id))
            through = on if on is not None else retainer.local_date(at)
            steps = bill_retainer(retainer, through, at)
            if not any(step.document is not None for step in steps):
                return []
            # Issue in order; a sequence is read (in this unit of work) only when needed.
            documents: list[Document] = []
            for step in steps:
                document = step.document
                if isinstance(document, Invoice):
                    numbers = self._invoice_numbers(uow)
                elif isinstance(document, CreditNote):
                    numbers = self._credit_note_numbers(uow)
                else:
                    continue
                document.issue(numbers, through, at, numbered_on=number_day)
                uow.add(document)
                documents.append(document)
            self._apply_credit_notes(uow, documents, at)
            return documents

        return self._attempt(work)

    def _apply_credit_notes(
        self, uow: UnitOfWork, documents: Sequence[Document], at: datetime
    ) -> None:
        """Set issued credit notes against their invoice while it is still open."""
        for note in documents:
            if not isinstance(note, CreditNote) or note.invoice_id is None:
                continue
            invoice: Invoice | None = uow.repository("invoice").find(note.invoice_id)
            if (
                invoice is not None
                and invoice.status is InvoiceStatus.ISSUED
                and note.status is CreditNoteStatus.ISSUED
                and note.total <= invoice.balance
            ):
                invoice.apply_credit_note(note, at)

    def run(self, on: date | None = None, *, orders: bool = True) -> BillingRun:
        """Bill every retainer due, then invoice every fulfilled order.

        Safe to run as often as you like (from cron, a scheduler or by hand):
        each retainer is billed in its own unit of work, so a run interrupted
        half-way keeps what it committed and the next run completes the rest,
        never billing a period twice nor skipping one.

        One retainer or order never stops the run: one that keeps losing
        races, or whose billing raises a domain or data error, is reported in
        `BillingRun.failures` (with the reason), stays due, and the rest is
        billed. A store that becomes unreachable stops the run at once with
        `BillingInterruptedError`, which carries what was committed.

        Args:
            on: Bill through this date (default: each account's local today).
            orders: Also invoice the fulfilled orders.
        """
        if on is not None:
            require_date("on", on)
        invoices: list[Invoice] = []
        notes: list[CreditNote] = []
        failures: list[BillingFailure] = []
        counts = {"billed": 0, "invoiced": 0, "retries": 0}

        def result() -> BillingRun:
            return BillingRun(
                on,
                tuple(invoices),
                tuple(notes),
                counts["billed"],
                counts["invoiced"],
                counts["retries"],
                tuple(failures),
            )

        def attempt(kind: str, id: str, work: Callable[[], tuple[T, int]]) -> T | None:
            try:
                done, retried = work()
            except BackendUnavailableError as error:
                raise BillingInterruptedError(result(), error) from error
            except ConflictError as error:
                failures.append(BillingFailure(kind, id, self.max_attempts, str(error)))
                counts["retries"] += self.max_attempts - 1
                return None
            except RelationshipCoreError as error:  # this one's data: report it, bill the rest
                failures.append(BillingFailure(kind, id, 1, str(error), type(error).__name__))
                return None
            counts["retries"] += retried
            return done

        try:
            due = self.due_retainers(on)
        except BackendUnavailableError as error:
            raise BillingInterruptedError(result(), error) from error
        for retainer_id in due:
            documents = attempt("retainer", retainer_id, partial(self._bill, retainer_id, on))
            counts["billed"] += bool(documents)
            for document in documents or ():
                (invoices if isinstance(document, Invoice) else notes).append(document)  # type: ignore[arg-type]
        if orders:
            try:
                fulfilled = sorted(
                    order.id
                    for key in self._mine()
                    for order in self.orders.iterate(
                        status=OrderStatus.FULFILLED.value, business=key
                    )
                )
            except BackendUnavailableError as error:
                raise BillingInterruptedError(result(), error) from error
            for order_id in fulfilled:
                invoice = attempt("order", order_id, partial(self._invoice_order, order_id, on))
                if invoice is not None:
                    invoices.append(invoice)
                    counts["invoiced"] += 1
        return result()

    # -- orders -------------------------------------------------------------------
    def place_order(
        self, party_id: str, lines: Sequence[LineItem], *, order_id: str | None = None
    ) -> Order:
        """Place an order; with an *order_id*, placing it again returns the stored one."""
        at = self._now()
        oid = order_id or new_id()

        def work(uow: UnitOfWork) -> Order:
            existing: Order | None = uow.repository("order").find(oid)
            if existing is not None:
                return self._own("order", existing)
            order = Order.place(oid, party_id, list(lines), at, business=self.business)
            uow.add(order)
            return order

        return self._attempt(work)[0]

    def assign_order(self, order_id: str, team: str) -> Order:
        """Assign (or reassign) an order to a fulfilment team."""
        result: Order = self._change("order", order_id, lambda o, at: o.assign(team, at))
        return result

    def start_order(self, order_id: str) -> Order:
        """The team started work on the order."""
        result: Order = self._change("order", order_id, lambda o, at: o.start_work(at))
        return result

    def fulfil_order(self, order_id: str) -> Order:
        """The order was delivered; the next run (or `invoice_order`) invoices it."""
        result: Order = self._change("order", order_id, lambda o, at: o.fulfil(at))
        return result

    def cancel_order(self, order_id: str, reason: str) -> Order:
        """Cancel an order before fulfilment."""
        result: Order = self._change("order", order_id, lambda o, at: o.cancel(reason, at))
        return result

    def invoice_order(self, order_id: str, on: date | None = None) -> Invoice:
        """Invoice a fulfilled order and issue the invoice on *on* (default: today, locally).

        Idempotent: an order invoiced already returns its invoice.
        """
        invoice, _ = self._invoice_order(order_id, on)
        if invoice is None:
            order = self.orders.get(order_id)
            return self.invoices.get(order.invoice_id or f"order:{order_id}")
        return invoice

    def _invoice_order(self, order_id: str, on: date | None) -> tuple[Invoice | None, int]:
        at = self._now()
        day = on if on is not None else self._today(at)

        def work(uow: UnitOfWork) -> Invoice | None:
            order: Order = self._own("order", uow.repository("order").get(order_id))
            if order.invoice_id is not None:
                return None
            invoice = invoice_for_order(order, at, payment_terms_days=self.payment_terms_days)
            invoice.issue(self._invoice_numbers(uow), day, at)
            uow.add(invoice)
            return invoice

        return self._attempt(work)

    def refund_order(self, order_id: str, refund: Refund, on: date | None = None) -> CreditNote:
        """Refund part or all of a paid order and issue the matching credit note.

        Idempotent on the refund's id: a refund recorded already returns its note.
        """
        day = on if on is not None else self._today(self._now())

        def work(uow: UnitOfWork) -> CreditNote:
            order: Order = self._own("order", uow.repository("order").get(order_id))
            if any(r.id == refund.id for r in order.refunds):
                found: CreditNote = uow.repository("credit_note").get(
                    f"refund:{order.id}:{refund.id}"
                )
                return found
            note = credit_note_for_refund(order, refund)
            note.issue(self._credit_note_numbers(uow), day, refund.refunded_at)
            uow.add(note)
            return note

        return self._attempt(work)[0]

    # -- payments -----------------------------------------------------------------
    def record_payment(self, invoice_id: str, payment: Payment) -> Invoice:
        """Record a payment against an issued invoice.

        Idempotent on the payment's id (a retried webhook is not counted
        twice). When the payment settles an order's invoice, the order is
        marked paid in the same unit of work.
        """

        def work(uow: UnitOfWork) -> Invoice:
            invoice: Invoice = self._own("invoice", uow.repository("invoice").get(invoice_id))
            if any(p.id == payment.id for p in invoice.payments):
                return invoice
            invoice.record_payment(payment)
            if (
                invoice.status is InvoiceStatus.PAID
                and invoice.source is InvoiceSource.ORDER
                and invoice.source_id is not None
            ):
                order: Order | None = uow.repository("order").find(invoice.source_id)
                if order is not None and order.status is OrderStatus.INVOICED:
                    order.mark_paid(payment.received_at)
            return invoice

        return self._attempt(work)[0]
