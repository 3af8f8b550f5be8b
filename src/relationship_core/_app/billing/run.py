"""The billing run: bill every due retainer, then invoice every fulfilled order.

**Why the biller is idempotent.** For each retainer due, `BillingRunner.run`
opens ONE unit of work that reads the retainer (remembering its version),
bills every period due (`bill_retainer` advances the retainer's
``next_period`` marker), adds the documents under their idempotency keys
(``"retainer:<id>:<period start>"``), numbers them from the business's
`InvoiceNumberSequence` read in the same unit of work, and commits. Therefore:

* a second run finds the marker advanced and bills nothing;
* a crash before the commit leaves nothing behind, and the next run computes
  the very same documents (same keys, same lines) and the very same numbers;
* two billers racing on one retainer, or on the shared sequence, cannot both
  commit: optimistic concurrency refuses the stale write with
  `ConflictError`, the loser re-reads and retries (a bounded number of
  times), finding the period billed and the next number free. Numbers are
  taken only in committed units of work, so they have no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, timedelta
from functools import partial
from typing import TypeVar

import attrs

from relationship_core._app.billing.batch import bill_batch
from relationship_core._app.billing.context import BillingContext
from relationship_core._app.billing.orders import OrderCommands
from relationship_core._app.billing.retainer_billing import BillingFailure, Document, bill_in
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.orders import Order, OrderStatus
from relationship_core._domain.money import Money
from relationship_core._domain.timeutil import require_date
from relationship_core._storage.contract import Condition, Query
from relationship_core.exceptions import (
    BackendUnavailableError,
    ConflictError,
    RelationshipCoreError,
    ValidationError,
)

__all__ = [
    "BillingFailure",
    "BillingInterruptedError",
    "BillingRun",
    "BillingRunner",
    "Document",
    "bill_in",
]

T = TypeVar("T")


def _totals(documents: Iterable[Document]) -> dict[str, Money]:
    out: dict[str, Money] = {}
    for doc in documents:
        code = doc.currency.code
        out[code] = out[code] + doc.total if code in out else doc.total
    return out


@attrs.frozen
class BillingRun:
    """What one `BillingRunner.run` did.

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
    """The store became unreachable during `BillingRunner.run`; the run stopped.

    Everything in `run` was committed; the rest stays due and the next run
    bills it (nothing is billed twice). It is a ``BackendUnavailableError``,
    so code catching that keeps working.

    Attributes:
        run: What the run did before the store went away.
    """

    def __init__(self, run: BillingRun, cause: BackendUnavailableError) -> None:
        # An error's constructor must never fail itself, whatever it is given.
        billed = getattr(run, "retainers_billed", "?")
        invoiced = getattr(run, "orders_invoiced", "?")
        super().__init__(
            f"the store became unavailable after {billed} retainers billed and "
            f"{invoiced} orders invoiced ({cause}); what was billed is committed, "
            "run again when the store is back"
        )
        self.run = run


class BillingRunner:
    """Bills one business's due retainers and fulfilled orders, each in its own unit of work."""

    def __init__(self, context: BillingContext, orders: OrderCommands) -> None:
        self.context = context
        self.orders = orders

    def due_retainers(self, on: date | None = None) -> list[str]:
        """Ids of the retainers with something to bill on or before *on*.

        Only this business's retainers, and only the ``business`` and
        ``next_billing_date`` indexes are read. Without *on*, the horizon is
        tomorrow in UTC, which covers today in every time zone; each retainer
        is then billed through its own local today.
        """
        ctx = self.context
        horizon = require_date("on", on) if on is not None else ctx.now().astimezone(UTC).date()
        if on is None:
            horizon += timedelta(days=1)
        # Ids straight from the index: the retainers are loaded in their own units of work.
        ids: list[str] = []
        due = Condition("next_billing_date", "le", horizon)
        for key in ctx.mine():
            mine = Condition("business", "eq", key)
            after = None
            while True:
                query = Query("retainer", (mine, due), limit=1000, after=after)
                page = ctx.crm.backend.query(query)
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
        ctx = self.context
        at = ctx.now()
        # Numbers follow the business's date; each account's documents its own local date.
        number_day = on if on is not None else ctx.today(at)
        return ctx.attempt(partial(bill_in, ctx, retainer_id, on=on, at=at, number_day=number_day))

    def run(
        self, on: date | None = None, *, orders: bool = True, batch_size: int = 1
    ) -> BillingRun:
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
            batch_size: Retainers billed per unit of work (default 1). Above 1,
                the batched path (`relationship_core._app.billing.batch`):
                the same documents, numbers and guarantees, far fewer
                transactions; a retainer that fails is taken out of its
                batch, which is retried without it.
        """

        ctx = self.context
        if on is not None:
            require_date("on", on)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError("batch_size", batch_size, "expected a whole number, 1 or more")
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
                failures.append(BillingFailure(kind, id, ctx.max_attempts, str(error)))
                counts["retries"] += ctx.max_attempts - 1
                return None
            except RelationshipCoreError as error:  # this one's data: report it, bill the rest
                failures.append(BillingFailure(kind, id, 1, str(error), type(error).__name__))
                return None
            counts["retries"] += retried
            return done

        def keep(documents: Sequence[Document] | None) -> None:
            counts["billed"] += bool(documents)
            for document in documents or ():
                (invoices if isinstance(document, Invoice) else notes).append(document)  # type: ignore[arg-type]

        try:
            due = self.due_retainers(on)
        except BackendUnavailableError as error:
            raise BillingInterruptedError(result(), error) from error
        for start in range(0, len(due) if batch_size > 1 else 0, batch_size):
            try:
                batch = bill_batch(ctx, due[start : start + batch_size], on)
            except BackendUnavailableError as error:
                raise BillingInterruptedError(result(), error) from error
            failures.extend(batch.failures)
            counts["retries"] += batch.retries
            for _, issued in batch.billed:
                keep(issued)
        for retainer_id in due if batch_size == 1 else ():
            keep(attempt("retainer", retainer_id, partial(self._bill, retainer_id, on)))
        if orders:
            try:
                fulfilled = sorted(
                    order.id
                    for key in ctx.mine()
                    for order in ctx.crm.repository(Order).iterate(
                        status=OrderStatus.FULFILLED.value, business=key
                    )
                )
            except BackendUnavailableError as error:
                raise BillingInterruptedError(result(), error) from error
            for order_id in fulfilled:
                invoice = attempt(
                    "order", order_id, partial(self.orders.invoice_fulfilled, order_id, on)
                )
                if invoice is not None:
                    invoices.append(invoice)
                    counts["invoiced"] += 1
        return result()
