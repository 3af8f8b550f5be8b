"""The billing service: retainers, orders and invoices kept in a store, billed idempotently.

`BillingService` is a thin facade over one command service per aggregate:

* `retainers.py`: `RetainerCommands` (start, promote, lapse, fee, pause, resume, cancel,
  trials);
* `orders.py`: `OrderCommands` (place ... fulfil, invoice, refund);
* `payments.py`: `PaymentCommands` (payments against invoices);
* `run.py`: `BillingRunner` (the idempotent run) and what it returns;
* `batch.py`: the batched path of the run (many retainers per unit of work);
* `policies.py`: the event handlers the billing plugin contributes (promotion
  starts a retainer, a lapse ends it, a payment marks the order paid, a
  fulfilled order is invoiced);
* `context.py`: what they share (store, business, clock, retries, numbering).

Every operation is one unit of work: the aggregates it changes, the
handlers' reactions, the documents issued, the number sequences drawn from
and the events recorded are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from relationship_core._app.billing.context import BillingContext
from relationship_core._app.billing.orders import OrderCommands
from relationship_core._app.billing.payments import PaymentCommands
from relationship_core._app.billing.retainers import RetainerCommands
from relationship_core._app.billing.run import (
    BillingFailure,
    BillingInterruptedError,
    BillingRun,
    BillingRunner,
    Document,
)
from relationship_core._app.facade import CRM
from relationship_core._app.repository import Repository
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.invoices import CreditNote, Invoice, Payment
from relationship_core._billing.lines import LineItem
from relationship_core._billing.orders import Order, Refund
from relationship_core._billing.retainer import Retainer, RetainerTerms
from relationship_core._domain.business import (
    DEFAULT_BUSINESS,
    Business,
    NumberingScheme,
    require_key,
)
from relationship_core._domain.clock import Clock
from relationship_core._domain.engagements import Engagement
from relationship_core._domain.money import Money
from relationship_core.exceptions import ValidationError

__all__ = [
    "BillingFailure",
    "BillingInterruptedError",
    "BillingRun",
    "BillingService",
    "OrderCommands",
    "PaymentCommands",
    "RetainerCommands",
]

_KINDS = (
    "business",
    "retainer",
    "invoice",
    "credit_note",
    "order",
    "invoice_sequence",
    "retainer_plan",
)


def _ensure_business(context: BillingContext, *, explicit: bool) -> Business:
    """The stored business of the context's key, storing the context's if there is none."""
    wanted = context.business

    def work(uow: UnitOfWork) -> Business:
        repo = uow.repository(Business)
        stored = repo.find(wanted.key)
        if stored is None:  # first use: two creators conflict, the loser re-reads
            return repo.add(wanted)
        return stored

    stored = context.attempt(work)[0]
    if explicit and stored != wanted:
        raise ValidationError(
            "business",
            wanted.key,
            f"is stored with other settings ({stored!r}); pass just the key to use them",
        )
    return stored


class BillingService:
    """Retainers, orders, invoices and payments on a store: a facade over the commands.

    Each method is one unit of work, run by the command service of its
    aggregate (`RetainerCommands`, `OrderCommands`, `PaymentCommands`,
    `BillingRunner`); the policies that tie them together (promotion starts
    a retainer, fulfilment issues the invoice...) are the billing feature's
    event handlers (`relationship_core._app.billing.policies`).

    Examples:
        >>> from datetime import UTC, date, datetime
        >>> from relationship_core import BillingCycle, ManualClock, Money, Person, RetainerTerms
        >>> from relationship_core._app.facade import open_store
        >>> clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
        >>> with open_store("memory://", clock=clock) as crm:
        ...     billing = BillingService(crm, business="acme")
        ...     terms = RetainerTerms(Money("300.00", "EUR"), BillingCycle.monthly(), "UTC")
        ...     ada = crm.parties.add(Person(name="Ada"))  # saved first: references are checked
        ...     _ = billing.start_retainer(ada.id, terms, retainer_id="R1")
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
        if not isinstance(crm, CRM):
            raise ValidationError(
                "crm", crm, "expected an open CRM, e.g. relationship_core.open(url)"
            )
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError("max_attempts", max_attempts, "give a positive integer")
        if not isinstance(payment_terms_days, int) or payment_terms_days < 0:
            raise ValidationError(
                "payment_terms_days", payment_terms_days, "give a whole number of days, 0 or more"
            )
        for kind in _KINDS:
            if kind not in crm.registry:
                raise ValidationError(
                    "crm.registry",
                    kind,
                    "this store does not know the billing kinds; open it with the default "
                    "registry (the billing plugin contributes them)",
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
        self.business_record: Business = _ensure_business(
            BillingContext(crm, business, self.clock, max_attempts), explicit=explicit
        )
        context = BillingContext(
            crm, self.business_record, self.clock, max_attempts, payment_terms_days
        )
        #: The commands, one service per aggregate; the methods below delegate to them.
        self.retainer_commands = RetainerCommands(context)
        self.order_commands = OrderCommands(context)
        self.payment_commands = PaymentCommands(context)
        self.runner = BillingRunner(context, self.order_commands)
        #: Its key.
        self.business: str = self.business_record.key
        #: Its zone: the date orders are invoiced on and documents numbered by.
        self.time_zone: ZoneInfo = self.business_record.time_zone

    # -- repositories -------------------------------------------------------------
    @property
    def retainers(self) -> Repository[Retainer]:
        """Retainers (indexed by party, engagement, status, dates, next billing date)."""
        return self.crm.repository(Retainer)

    @property
    def invoices(self) -> Repository[Invoice]:
        """Invoices (indexed by party, status, number, issue and due dates, source)."""
        return self.crm.repository(Invoice)

    @property
    def credit_notes(self) -> Repository[CreditNote]:
        """Credit notes."""
        return self.crm.repository(CreditNote)

    @property
    def orders(self) -> Repository[Order]:
        """Orders (indexed by party, status, placed_at, team, invoice)."""
        return self.crm.repository(Order)

    # -- retainers (RetainerCommands) ----------------------------------------------
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
        return self.retainer_commands.start_retainer(
            party_id,
            terms,
            retainer_id=retainer_id,
            starts_on=starts_on,
            engagement_id=engagement_id,
        )

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
        return self.retainer_commands.promote(
            engagement_id,
            terms,
            account_manager=account_manager,
            reason=reason,
            on=on,
            retainer_id=retainer_id,
        )

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
        return self.retainer_commands.lapse(
            engagement_id, reason=reason, on=on, support_team=support_team, immediately=immediately
        )

    def change_fee(
        self, retainer_id: str, fee: Money, *, effective_on: date | None = None
    ) -> Retainer:
        """Change a retainer's fee; billed periods get credit and charge adjustments."""
        return self.retainer_commands.change_fee(retainer_id, fee, effective_on=effective_on)

    def pause(self, retainer_id: str, *, on: date | None = None) -> Retainer:
        """Pause a retainer from *on* (default: today, locally)."""
        return self.retainer_commands.pause(retainer_id, on=on)

    def resume(self, retainer_id: str, *, on: date | None = None) -> Retainer:
        """Resume a paused retainer on *on* (default: today, locally)."""
        return self.retainer_commands.resume(retainer_id, on=on)

    def cancel(
        self,
        retainer_id: str,
        *,
        immediately: bool = False,
        on: date | None = None,
        reason: str = "",
    ) -> Retainer:
        """Cancel a retainer (at period end, or now with a credit on the next run)."""
        return self.retainer_commands.cancel(
            retainer_id, immediately=immediately, on=on, reason=reason
        )

    def extend_trial(
        self,
        retainer_id: str,
        *,
        days: int | None = None,
        periods: int | None = None,
        price: Money | None = None,
    ) -> Retainer:
        """Lengthen a retainer's trial by *days* or *periods* (at *price*; default free)."""
        return self.retainer_commands.extend_trial(
            retainer_id, days=days, periods=periods, price=price
        )

    def convert_trial(self, retainer_id: str) -> Retainer:
        """Decide now that paid service follows a retainer's trial."""
        return self.retainer_commands.convert_trial(retainer_id)

    def cancel_trial(
        self,
        retainer_id: str,
        *,
        immediately: bool = False,
        on: date | None = None,
        reason: str = "",
    ) -> Retainer:
        """End a retainer in its trial (at the trial's end, or *on* with *immediately*)."""
        return self.retainer_commands.cancel_trial(
            retainer_id, immediately=immediately, on=on, reason=reason
        )

    # -- the run (BillingRunner) -----------------------------------------------------
    def due_retainers(self, on: date | None = None) -> list[str]:
        """Ids of this business's retainers with something to bill on or before *on*."""
        return self.runner.due_retainers(on)

    def bill(self, retainer_id: str, on: date | None = None) -> list[Document]:
        """Bill one retainer through *on* (default: its local today) in one unit of work."""
        return self.runner.bill(retainer_id, on)

    def run(
        self, on: date | None = None, *, orders: bool = True, batch_size: int = 1
    ) -> BillingRun:
        """Bill every retainer due, then invoice every fulfilled order not invoiced yet.

        Safe to run as often as you like; see `BillingRunner.run`. With
        *batch_size* above 1, that many retainers are billed per unit of
        work (the batched path, for large runs; same documents and numbers).
        """
        return self.runner.run(on, orders=orders, batch_size=batch_size)

    # -- orders (OrderCommands) ----------------------------------------------------
    def place_order(
        self, party_id: str, lines: Sequence[LineItem], *, order_id: str | None = None
    ) -> Order:
        """Place an order; with an *order_id*, placing it again returns the stored one."""
        return self.order_commands.place_order(party_id, lines, order_id=order_id)

    def assign_order(self, order_id: str, team: str) -> Order:
        """Assign (or reassign) an order to a fulfilment team."""
        return self.order_commands.assign_order(order_id, team)

    def start_order(self, order_id: str) -> Order:
        """The team started work on the order."""
        return self.order_commands.start_order(order_id)

    def fulfil_order(self, order_id: str) -> Order:
        """The order was delivered; it is invoiced at once (or by the next run, if switched off)."""
        return self.order_commands.fulfil_order(order_id)

    def cancel_order(self, order_id: str, reason: str) -> Order:
        """Cancel an order before fulfilment."""
        return self.order_commands.cancel_order(order_id, reason)

    def invoice_order(self, order_id: str, on: date | None = None) -> Invoice:
        """Invoice a fulfilled order (idempotent: an invoiced order returns its invoice)."""
        return self.order_commands.invoice_order(order_id, on)

    def refund_order(self, order_id: str, refund: Refund, on: date | None = None) -> CreditNote:
        """Refund part or all of a paid order and issue the matching credit note."""
        return self.order_commands.refund_order(order_id, refund, on)

    # -- payments (PaymentCommands) ------------------------------------------------
    def record_payment(self, invoice_id: str, payment: Payment) -> Invoice:
        """Record a payment against an issued invoice (idempotent on the payment's id)."""
        return self.payment_commands.record_payment(invoice_id, payment)
